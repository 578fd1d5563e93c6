//! XGBoost's collective (rabit, in Debian's 1.7.4 build): a worker joins a job through a tracker
//! (crates/pgml-collective), after which every boosting round of this thread's boosters sums its
//! histograms with the other workers'. Only statistics cross the network, never rows.
//!
//! XGBoost keeps the collective per thread (`thread_local` in communicator.cc and rabit's
//! engine.cc), so a `Communicator` is tied to the thread that made it, and boosters must be
//! trained on that thread. A thread joins at most one job, ever: when joining fails (or leaving
//! cannot reach the tracker) rabit keeps its half-made engine in the thread and would hand it to
//! the next join without a word, so a second join on the same thread is refused.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ffi::{c_int, c_void};
use std::marker::PhantomData;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{api, c_string, check, Error, Result};

/// Where and as whom a worker joins: the tracker's address, its task id (which carries the job
/// token), and how long a silent peer is waited for.
#[derive(Debug, Clone)]
pub struct CommunicatorConfig {
    pub tracker_host: String,
    pub tracker_port: u16,
    pub task_id: String,
    /// A collective call that hears nothing from a peer for this long fails (rabit's
    /// `rabit_timeout_sec`; without it rabit waits 30 minutes). At least one second.
    pub timeout: Duration,
    /// Attempts to reach the tracker (rabit sleeps 2 s, 4 s, … between them; its default, 5,
    /// spends 20 s before giving up on a tracker that is gone).
    pub connect_attempts: u32,
}

impl CommunicatorConfig {
    pub fn new(tracker_host: &str, tracker_port: u16, task_id: &str) -> CommunicatorConfig {
        CommunicatorConfig {
            tracker_host: tracker_host.to_string(),
            tracker_port,
            task_id: task_id.to_string(),
            timeout: Duration::from_secs(30),
            connect_attempts: 2,
        }
    }

    /// The JSON `XGCommunicatorInit` reads. Rabit copies every `key=value` with `sscanf("%s")`
    /// into 256-byte buffers: values are limited to a short, safe alphabet (which also means
    /// nothing needs JSON escaping).
    fn json(&self) -> Result<String> {
        let safe = |what: &str, v: &str| {
            let ok = !v.is_empty()
                && v.len() <= 200
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:-_[]".contains(&b));
            if ok {
                Ok(())
            } else {
                Err(Error(format!(
                    "{what} {v:?}: 1 to 200 characters among letters, digits and . : - _ [ ]"
                )))
            }
        };
        safe("tracker host", &self.tracker_host)?;
        safe("task id", &self.task_id)?;
        if self.tracker_port == 0 {
            return Err(Error("tracker port 0".into()));
        }
        let timeout = self.timeout.as_secs();
        if !(1..=86_400).contains(&timeout) {
            return Err(Error(format!(
                "collective timeout {:?}: 1 s to 1 day (0 would make every wait fail at once)",
                self.timeout
            )));
        }
        if !(1..=100).contains(&self.connect_attempts) {
            return Err(Error(format!(
                "{} attempts to reach the tracker: 1 to 100",
                self.connect_attempts
            )));
        }
        Ok(format!(
            concat!(
                "{{\"xgboost_communicator\": \"rabit\", \"DMLC_TRACKER_URI\": \"{}\", ",
                "\"DMLC_TRACKER_PORT\": \"{}\", \"DMLC_TASK_ID\": \"{}\", ",
                "\"rabit_timeout\": \"1\", \"rabit_timeout_sec\": \"{}\", ",
                "\"DMLC_WORKER_CONNECT_RETRY\": \"{}\"}}"
            ),
            self.tracker_host, self.tracker_port, self.task_id, timeout, self.connect_attempts
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThreadState {
    Never,
    Joined,
    Used,
}

thread_local! {
    static STATE: Cell<ThreadState> = const { Cell::new(ThreadState::Never) };
}

/// Bytes this worker's links to its peers carried (TCP's own counters: payload acknowledged by
/// the peer, payload received).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub sent: u64,
    pub received: u64,
}

/// This thread's membership of a job: joined on `join`, left (`XGCommunicatorFinalize`, which
/// tells the tracker `shutdown`) on drop.
#[derive(Debug)]
pub struct Communicator {
    /// The sockets that appeared while joining: the links to peers.
    links: Vec<RawFd>,
    // XGBoost's state is the calling thread's: the guard must not move to another.
    _thread: PhantomData<*const ()>,
}

impl Communicator {
    /// Joins the job; blocks until every worker has joined (or the tracker gives up on them).
    pub fn join(config: &CommunicatorConfig) -> Result<Communicator> {
        let json = c_string(&config.json()?)?;
        let api = api()?;
        if STATE.get() != ThreadState::Never {
            return Err(Error(
                "this thread already joined a distributed job; join each job from a new thread \
                 (XGBoost keeps the collective per thread and cannot reset it after a failure)"
                    .into(),
            ));
        }
        STATE.set(ThreadState::Used);
        let before = tcp_sockets();
        #[allow(unsafe_code)]
        // SAFETY: a NUL-terminated JSON string that outlives the call.
        check(unsafe { (api.XGCommunicatorInit)(json.as_ptr()) }).map_err(|e| {
            // Rabit says only "Failed to initialize Rabit"; the cause went to its log (stderr).
            Error(format!(
                "cannot join the job through the tracker at {}:{}: {} (the tracker is gone, \
                 refused this worker, or gave up waiting for the others; XGBoost's log says which)",
                config.tracker_host,
                config.tracker_port,
                without_backtrace(&e.0)
            ))
        })?;
        let after = tcp_sockets();
        STATE.set(ThreadState::Joined);
        let communicator = Communicator {
            links: after.difference(&before).copied().collect(),
            _thread: PhantomData,
        };
        let (rank, size) = (communicator.rank_raw(), communicator.world_size_raw());
        if size < 1 || rank < 0 || rank >= size {
            return Err(Error(format!(
                "the collective reports rank {rank} of {size} workers after joining"
            )));
        }
        Ok(communicator)
    }

    fn rank_raw(&self) -> c_int {
        #[allow(unsafe_code)]
        // SAFETY: no arguments; reads this thread's communicator.
        api().map_or(-1, |api| unsafe { (api.XGCommunicatorGetRank)() })
    }

    fn world_size_raw(&self) -> c_int {
        #[allow(unsafe_code)]
        // SAFETY: no arguments; reads this thread's communicator.
        api().map_or(-1, |api| unsafe { (api.XGCommunicatorGetWorldSize)() })
    }

    /// This worker's rank, 0-based (checked in range when joining).
    pub fn rank(&self) -> usize {
        usize::try_from(self.rank_raw()).unwrap_or(0)
    }

    pub fn world_size(&self) -> usize {
        usize::try_from(self.world_size_raw()).unwrap_or(1)
    }

    /// Replaces `values` on every worker by their element-wise `op` over all workers. Every
    /// worker must call it with the same length, in the same order of collective calls.
    pub fn allreduce<T: Reducible>(&self, values: &mut [T], op: Operation) -> Result<()> {
        let api = api()?;
        #[allow(unsafe_code)]
        // SAFETY: the buffer holds values.len() elements of the type T::DATA_TYPE names.
        check(unsafe {
            (api.XGCommunicatorAllreduce)(
                values.as_mut_ptr().cast::<c_void>(),
                values.len(),
                T::DATA_TYPE,
                op as c_int,
            )
        })
    }

    /// Replaces `bytes` on every worker by worker `root`'s. Every worker must pass the same length.
    pub fn broadcast(&self, bytes: &mut [u8], root: usize) -> Result<()> {
        let root = c_int::try_from(root)
            .ok()
            .filter(|&r| r < self.world_size_raw())
            .ok_or_else(|| {
                Error(format!(
                    "broadcast root {root} of {} workers",
                    self.world_size()
                ))
            })?;
        let api = api()?;
        #[allow(unsafe_code)]
        // SAFETY: the buffer is valid for bytes.len() bytes.
        check(unsafe {
            (api.XGCommunicatorBroadcast)(bytes.as_mut_ptr().cast::<c_void>(), bytes.len(), root)
        })
    }

    /// What the links to peers carried so far. Counts the TCP sockets that appeared in this
    /// process while joining, so it is exact only where nothing else opens sockets meanwhile (a
    /// worker process or a PostgreSQL backend; not a process that also runs the tracker).
    pub fn traffic(&self) -> Traffic {
        let mut t = Traffic::default();
        for &fd in &self.links {
            if let Some((sent, received)) = tcp_bytes(fd) {
                t.sent += sent;
                t.received += received;
            }
        }
        t
    }
}

impl Drop for Communicator {
    fn drop(&mut self) {
        if let Ok(api) = api() {
            #[allow(unsafe_code)]
            // SAFETY: no arguments; leaves this thread's job (closes the links, tells the tracker).
            unsafe {
                (api.XGCommunicatorFinalize)();
            }
        }
        STATE.set(ThreadState::Used);
    }
}

/// XGBoost's message without the stack trace dmlc appends to it.
fn without_backtrace(message: &str) -> &str {
    message
        .split("\nStack trace:")
        .next()
        .unwrap_or(message)
        .trim()
}

/// `xgboost::collective::Operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Max = 0,
    Min = 1,
    Sum = 2,
}

/// Element types the collective reduces, with `xgboost::collective::DataType`'s numbers.
pub trait Reducible: Copy {
    const DATA_TYPE: c_int;
}

macro_rules! reducible {
    ($($t:ty => $n:expr),*) => { $(impl Reducible for $t { const DATA_TYPE: c_int = $n; })* };
}
reducible!(i8 => 0, u8 => 1, i32 => 2, u32 => 3, i64 => 4, u64 => 5, f32 => 6, f64 => 7);

/// The process's TCP sockets (file descriptors), from /proc/self/fd.
fn tcp_sockets() -> BTreeSet<RawFd> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return BTreeSet::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .filter(|&fd| tcp_bytes(fd).is_some())
        .collect()
}

/// (bytes acknowledged by the peer, bytes received) of a TCP socket, from the kernel's
/// `struct tcp_info` (Linux ≥ 4.1: `tcpi_bytes_acked` at offset 120, `tcpi_bytes_received` at
/// 128); `None` for anything else.
fn tcp_bytes(fd: RawFd) -> Option<(u64, u64)> {
    let mut info = [0u64; 32];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    #[allow(unsafe_code)]
    // SAFETY: the buffer is valid for len bytes; getsockopt writes at most len bytes and sets len.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast::<c_void>(),
            &mut len,
        )
    };
    if rc != 0 || (len as usize) < 136 {
        return None;
    }
    Some((info[120 / 8], info[128 / 8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_json_with_checked_values() {
        let c = CommunicatorConfig::new("127.0.0.1", 9091, "ab12-0");
        let json: serde_json::Value = serde_json::from_str(&c.json().unwrap()).unwrap();
        assert_eq!(json["DMLC_TRACKER_URI"], "127.0.0.1");
        assert_eq!(json["DMLC_TRACKER_PORT"], "9091");
        assert_eq!(json["DMLC_TASK_ID"], "ab12-0");
        assert_eq!(json["rabit_timeout_sec"], "30");
        for (host, task) in [
            ("a b", "t"),
            ("h", "t=1"),
            ("h", "\"}"),
            ("", "t"),
            ("h", &"x".repeat(201)),
        ] {
            assert!(
                CommunicatorConfig::new(host, 1, task).json().is_err(),
                "{host:?} {task:?}"
            );
        }
        let mut zero = c.clone();
        zero.timeout = Duration::from_millis(500);
        assert!(zero.json().unwrap_err().0.contains("1 s to 1 day"));
        assert!(CommunicatorConfig::new("h", 0, "t").json().is_err());
    }

    #[test]
    fn a_failed_join_leaves_the_thread_unusable_and_is_refused_again() {
        // Nothing listens on this port (bound, then released): joining fails fast.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::thread::spawn(move || {
            let mut c = CommunicatorConfig::new("127.0.0.1", port, "t-0");
            c.connect_attempts = 1;
            let e = Communicator::join(&c).unwrap_err();
            assert!(
                e.0.contains("127.0.0.1") || e.0.to_lowercase().contains("connect"),
                "{e}"
            );
            let again = Communicator::join(&c).unwrap_err();
            assert!(again.0.contains("new thread"), "{again}");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn traffic_counts_a_tcp_sockets_payload() {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut b, _) = l.accept().unwrap();
        a.write_all(&[7u8; 1000]).unwrap();
        let mut buf = [0u8; 1000];
        b.read_exact(&mut buf).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(tcp_bytes(b.as_raw_fd()).map(|t| t.1), Some(1000));
        assert!(tcp_bytes(0).is_none() || tcp_sockets().contains(&0));
        assert!(tcp_sockets().contains(&a.as_raw_fd()));
    }
}
