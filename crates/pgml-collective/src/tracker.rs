//! The tracker: the rendezvous every worker of a job connects to first. It gives each worker its
//! rank and tells it which peers to connect to and how many to accept (tree and ring links,
//! `links.rs`); after that the workers exchange histograms among themselves and only come back to
//! say `shutdown` (or `print` a message). The protocol is rabit's, as XGBoost 1.7's Python
//! tracker speaks it (python-package/xgboost/tracker.py); what is added here: the job token,
//! bounded reads, timeouts, and every socket closed when the job ends.
//!
//! Threads: one owns the listener and the job's state; each new connection's handshake runs on
//! its own short-lived thread, so a connection that sends nothing cannot hold up the others.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::handshake::{handshake, Command, Event, Handshakes, Hello};
use crate::links::LinkMap;
use crate::token::JobToken;
use crate::wire::{read_i32, write_i32, write_str, write_usize};

/// More workers than this is a mistake, not a job (and keeps every rank in an `i32`).
pub const MAX_WORKERS: usize = 4096;
/// Connections in their handshake at once; more are closed at once (and counted as refused).
const MAX_HANDSHAKES: usize = 64;
const MAX_KEPT: usize = 100;
/// How often the tracker thread looks at the listener, the stop flag and its deadlines.
const TICK: Duration = Duration::from_millis(10);
/// A worker retries a failed link setup; a worker that keeps failing is broken.
const MAX_LINK_ATTEMPTS: usize = 10;

#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// The address to listen on, which is also the address workers are told to connect to: a
    /// concrete (private) address, never 0.0.0.0 (see docs/distributed-training.md).
    pub bind: SocketAddr,
    pub workers: usize,
    /// All workers must have joined within this time from `Tracker::start`.
    pub rendezvous_timeout: Duration,
    /// Bounds every exchange with one worker, and the wait for the other workers to finish once
    /// one has (they finish the same round: a worker still silent after that died or hangs).
    pub timeout: Duration,
}

impl TrackerConfig {
    pub fn new(bind: SocketAddr, workers: usize) -> TrackerConfig {
        TrackerConfig {
            bind,
            workers,
            rendezvous_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a job needs 1 to {MAX_WORKERS} workers, not {0}")]
    Workers(usize),
    #[error("the tracker must listen on the concrete address workers connect to, not {0}")]
    UnspecifiedAddress(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("cannot make a job token: {0}")]
    Token(io::Error),
    #[error("tracker: {context}: {source}")]
    Io {
        context: &'static str,
        source: io::Error,
    },
    #[error("worker(s) {missing:?} of {workers} did not join within {timeout:?}")]
    Rendezvous {
        missing: Vec<usize>,
        workers: usize,
        timeout: Duration,
    },
    #[error("worker {index} ({peer}) failed while getting its links: {reason}")]
    Link {
        index: usize,
        peer: SocketAddr,
        reason: String,
    },
    #[error(
        "worker(s) {missing:?} did not finish within {timeout:?} after worker(s) {finished:?} did: \
         they died or hang"
    )]
    Unfinished {
        missing: Vec<usize>,
        finished: Vec<usize>,
        timeout: Duration,
    },
    #[error("the tracker was stopped before worker(s) {missing:?} finished")]
    Stopped { missing: Vec<usize> },
    #[error("the tracker thread panicked")]
    Panicked,
}

pub type Result<T> = std::result::Result<T, Error>;

/// What a worker needs to join: XGBoost's `DMLC_TRACKER_URI`, `DMLC_TRACKER_PORT`, `DMLC_TASK_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerEnv {
    pub tracker_host: String,
    pub tracker_port: u16,
    pub task_id: String,
}

/// A connection the tracker turned away, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub peer: SocketAddr,
    pub reason: String,
}

/// A finished job, as the tracker saw it.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// For each worker index: its rank and the address it connected from.
    pub workers: Vec<(usize, SocketAddr)>,
    /// Messages workers sent with `print` (the first 100).
    pub prints: Vec<String>,
    /// Connections refused (the first 100) and how many in all.
    pub refused: Vec<Refusal>,
    pub refused_total: usize,
}

/// A running tracker. Dropping it stops it: the listener and every connection are closed before
/// `drop` returns.
#[derive(Debug)]
pub struct Tracker {
    addr: SocketAddr,
    token: JobToken,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Report>>>,
}

impl Tracker {
    /// Listens on `config.bind` (port 0: any free port) and serves one job in a thread.
    pub fn start(config: TrackerConfig) -> Result<Tracker> {
        if config.workers == 0 || config.workers > MAX_WORKERS {
            return Err(Error::Workers(config.workers));
        }
        if config.bind.ip().is_unspecified() {
            return Err(Error::UnspecifiedAddress(config.bind));
        }
        let token = JobToken::random().map_err(Error::Token)?;
        let listener = TcpListener::bind(config.bind).map_err(|source| Error::Bind {
            addr: config.bind,
            source,
        })?;
        let io = |context| move |source| Error::Io { context, source };
        let addr = listener.local_addr().map_err(io("local address"))?;
        listener
            .set_nonblocking(true)
            .map_err(io("non-blocking listener"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let state = State::new(listener, config, token.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("pgml-tracker".into())
            .spawn(move || state.run())
            .map_err(io("tracker thread"))?;
        Ok(Tracker {
            addr,
            token,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the tracker listens on (with the port it got).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The settings worker `index` (0-based) joins with.
    pub fn worker(&self, index: usize) -> WorkerEnv {
        WorkerEnv {
            tracker_host: self.addr.ip().to_string(),
            tracker_port: self.addr.port(),
            task_id: self.token.task_id(index),
        }
    }

    /// Whether the job is over (finished or failed); `wait` then returns at once.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for every worker to finish (or for the job to fail).
    pub fn wait(mut self) -> Result<Report> {
        self.join()
    }

    /// Stops the job now; workers still linked are told nothing (their links fail on their own).
    pub fn stop(mut self) -> Result<Report> {
        self.stop.store(true, Ordering::SeqCst);
        self.join()
    }

    fn join(&mut self) -> Result<Report> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| Error::Panicked)?,
            None => Err(Error::Stopped {
                missing: Vec::new(),
            }),
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A worker that has its rank and listens for peers that will connect to it later.
struct Waiting {
    ip: IpAddr,
    port: i32,
    to_accept: usize,
}

struct State {
    listener: TcpListener,
    config: TrackerConfig,
    token: JobToken,
    stop: Arc<AtomicBool>,
    started: Instant,
    links: LinkMap,
    /// Workers that said `start`, by index, until all have: then they get ranks together.
    pending: BTreeMap<usize, Hello>,
    /// Rank of each worker index, once assigned (rank = index: the caller numbers workers).
    ranks: BTreeMap<usize, (usize, SocketAddr)>,
    waiting: BTreeMap<usize, Waiting>,
    finished: BTreeSet<usize>,
    first_finished: Option<Instant>,
    report: Report,
}

impl State {
    fn new(
        listener: TcpListener,
        config: TrackerConfig,
        token: JobToken,
        stop: Arc<AtomicBool>,
    ) -> State {
        State {
            listener,
            links: LinkMap::new(config.workers),
            config,
            token,
            stop,
            started: Instant::now(),
            pending: BTreeMap::new(),
            ranks: BTreeMap::new(),
            waiting: BTreeMap::new(),
            finished: BTreeSet::new(),
            first_finished: None,
            report: Report::default(),
        }
    }

    fn missing(&self, done: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..self.config.workers).filter(|&i| !done(i)).collect()
    }

    /// Serves the job; on return the listener, the handshakes and every worker socket are closed
    /// (dropped with `self` and `handshakes`).
    fn run(mut self) -> Result<Report> {
        let (tx, rx) = mpsc::channel();
        let mut handshakes = Handshakes::default();
        let result = self.serve(&mut handshakes, &tx, &rx);
        if result.is_err() {
            self.release_waiting();
        }
        result
    }

    /// Workers that have their links but still wait for peers to connect sit in rabit's
    /// `accept()`, which has no timeout: when the job fails during link setup (a worker died
    /// after the ones before it were told to wait for it), each is sent the connections it waits
    /// for, closed at once. Its handshake with them fails, and so does its join, instead of
    /// hanging.
    fn release_waiting(&mut self) {
        let limit = self.config.timeout.min(Duration::from_secs(2));
        for w in std::mem::take(&mut self.waiting).into_values() {
            let Ok(port) = u16::try_from(w.port) else {
                continue;
            };
            let addr = SocketAddr::new(w.ip, port);
            for _ in 0..w.to_accept {
                let _ = TcpStream::connect_timeout(&addr, limit);
            }
        }
    }

    fn serve(
        &mut self,
        handshakes: &mut Handshakes,
        tx: &mpsc::Sender<Event>,
        rx: &mpsc::Receiver<Event>,
    ) -> Result<Report> {
        let all_joined = |s: &State| s.ranks.len() == s.config.workers;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                let missing = self.missing(|i| self.finished.contains(&i));
                return Err(Error::Stopped { missing });
            }
            self.accept(handshakes, tx)?;
            match rx.recv_timeout(TICK) {
                Ok(Event::Hello(h)) => self.hello(h)?,
                Ok(Event::Refused(r)) => self.refuse(r),
                Err(_) => {}
            }
            if !all_joined(self) && self.started.elapsed() > self.config.rendezvous_timeout {
                let missing =
                    self.missing(|i| self.pending.contains_key(&i) || self.ranks.contains_key(&i));
                return Err(Error::Rendezvous {
                    missing,
                    workers: self.config.workers,
                    timeout: self.config.rendezvous_timeout,
                });
            }
            if self.finished.len() == self.config.workers {
                self.report.workers = self.ranks.values().copied().collect();
                return Ok(std::mem::take(&mut self.report));
            }
            if let Some(first) = self.first_finished {
                if first.elapsed() > self.config.timeout {
                    return Err(Error::Unfinished {
                        missing: self.missing(|i| self.finished.contains(&i)),
                        finished: self.finished.iter().copied().collect(),
                        timeout: self.config.timeout,
                    });
                }
            }
        }
    }

    fn accept(&mut self, handshakes: &mut Handshakes, tx: &mpsc::Sender<Event>) -> Result<()> {
        loop {
            let (stream, peer) = match self.listener.accept() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                // A connection reset before it was accepted, or a signal: not the listener's fault.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue
                }
                Err(source) => {
                    return Err(Error::Io {
                        context: "accept",
                        source,
                    })
                }
            };
            if handshakes.active() >= MAX_HANDSHAKES {
                self.refuse(Refusal {
                    peer,
                    reason: format!("{MAX_HANDSHAKES} handshakes already in progress"),
                });
                continue;
            }
            let id = handshakes.next_id.fetch_add(1, Ordering::Relaxed);
            let registered = stream.try_clone().and_then(|clone| {
                handshakes
                    .open
                    .lock()
                    .map_err(|_| io::Error::other("handshake registry poisoned"))?
                    .insert(id, clone);
                Ok(())
            });
            if let Err(e) = registered {
                self.refuse(Refusal {
                    peer,
                    reason: format!("cannot track the connection: {e}"),
                });
                continue;
            }
            let (tx, token, timeout) = (tx.clone(), self.token.clone(), self.config.timeout);
            let open = handshakes.open.clone();
            let spawned = std::thread::Builder::new()
                .name("pgml-tracker-handshake".into())
                .spawn(move || {
                    let event = match handshake(stream, peer, &token, timeout) {
                        Ok(h) => Event::Hello(h),
                        Err(reason) => Event::Refused(Refusal { peer, reason }),
                    };
                    if let Ok(mut open) = open.lock() {
                        open.remove(&id);
                    }
                    // The tracker may be gone (job over): the socket is then dropped, closed.
                    let _ = tx.send(event);
                });
            match spawned {
                Ok(t) => handshakes.threads.push(t),
                Err(e) => {
                    return Err(Error::Io {
                        context: "handshake thread",
                        source: e,
                    })
                }
            }
        }
    }

    fn refuse(&mut self, r: Refusal) {
        self.report.refused_total += 1;
        if self.report.refused.len() < MAX_KEPT {
            self.report.refused.push(r);
        }
    }

    fn hello(&mut self, h: Hello) -> Result<()> {
        let n = self.config.workers;
        let reject = |s: &mut State, h: Hello, reason: String| {
            s.refuse(Refusal {
                peer: h.peer,
                reason,
            });
            Ok(())
        };
        if h.index >= n {
            return reject(
                self,
                h,
                format!("worker index out of range (the job has {n} workers)"),
            );
        }
        match h.command {
            Command::Print(ref msg) => {
                if self.report.prints.len() < MAX_KEPT {
                    self.report.prints.push(msg.clone());
                }
                Ok(())
            }
            Command::Start => {
                if h.world_size != -1 && h.world_size != n as i32 {
                    let reason = format!("world size {} (the job has {n} workers)", h.world_size);
                    return reject(self, h, reason);
                }
                if self.ranks.contains_key(&h.index) || self.pending.contains_key(&h.index) {
                    let reason = format!("worker {} already joined", h.index);
                    return reject(self, h, reason);
                }
                self.pending.insert(h.index, h);
                if self.pending.len() == n {
                    // As the Python tracker: ranks are handed out only once every worker is here,
                    // so no worker sits in accept() for a peer that never comes.
                    for (index, h) in std::mem::take(&mut self.pending) {
                        self.assign(index, h)?;
                    }
                }
                Ok(())
            }
            Command::Recover => {
                let known = self.ranks.get(&h.index).map(|(r, _)| *r as i32);
                if known != Some(h.rank) {
                    let reason = format!("recover with rank {} for worker {}", h.rank, h.index);
                    return reject(self, h, reason);
                }
                let index = h.index;
                self.assign(index, h)
            }
            Command::Shutdown => {
                let known = self.ranks.get(&h.index).map(|(r, _)| *r as i32);
                if known != Some(h.rank)
                    || self.finished.contains(&h.index)
                    || self.waiting.contains_key(&h.index)
                {
                    let reason = format!("shutdown with rank {} for worker {}", h.rank, h.index);
                    return reject(self, h, reason);
                }
                self.finished.insert(h.index);
                self.first_finished.get_or_insert_with(Instant::now);
                Ok(())
            }
        }
    }

    /// Gives worker `index` rank `index` and its links (`WorkerEntry.assign_rank` and `_get_remote`
    /// in tracker.py).
    fn assign(&mut self, index: usize, mut h: Hello) -> Result<()> {
        let peer = h.peer;
        let fail = |reason: String| Error::Link {
            index,
            peer,
            reason,
        };
        let rank = index;
        let links = &self.links;
        let mut neighbours: BTreeSet<usize> = links.tree[rank].iter().copied().collect();
        let (prev, next) = links.ring[rank];
        let s = &mut h.stream;
        let io = |e: io::Error| fail(e.to_string());
        write_usize(s, rank).map_err(io)?;
        write_i32(s, links.parent[rank].map_or(-1, |p| p as i32)).map_err(io)?;
        write_usize(s, links.len()).map_err(io)?;
        write_usize(s, neighbours.len()).map_err(io)?;
        for &r in &neighbours {
            write_usize(s, r).map_err(io)?;
        }
        for r in [prev, next] {
            if r != rank {
                neighbours.insert(r);
                write_usize(s, r).map_err(io)?;
            } else {
                write_i32(s, -1).map_err(io)?;
            }
        }
        for _ in 0..MAX_LINK_ATTEMPTS {
            // Links the worker already has (none at start), then whom it connects to (those
            // already listening) and how many will connect to it.
            let good_count = read_i32(s).map_err(io)?;
            let good_count = usize::try_from(good_count)
                .ok()
                .filter(|&c| c <= neighbours.len())
                .ok_or_else(|| fail(format!("{good_count} good links")))?;
            let mut good = BTreeSet::new();
            for _ in 0..good_count {
                let r = read_i32(s).map_err(io)?;
                match usize::try_from(r).ok().filter(|r| neighbours.contains(r)) {
                    Some(r) => good.insert(r),
                    None => return Err(fail(format!("link to {r}, not a neighbour"))),
                };
            }
            let bad: Vec<usize> = neighbours.difference(&good).copied().collect();
            let connect: Vec<usize> = bad
                .iter()
                .copied()
                .filter(|r| self.waiting.contains_key(r))
                .collect();
            write_usize(s, connect.len()).map_err(io)?;
            write_usize(s, bad.len() - connect.len()).map_err(io)?;
            for r in &connect {
                let w = &self.waiting[r];
                write_str(s, &w.ip.to_string()).map_err(io)?;
                write_i32(s, w.port).map_err(io)?;
                write_usize(s, *r).map_err(io)?;
            }
            let errors = read_i32(s).map_err(io)?;
            if errors != 0 {
                continue;
            }
            let port = read_i32(s).map_err(io)?;
            if !(1..=65535).contains(&port) {
                return Err(fail(format!("listening port {port}")));
            }
            for r in &connect {
                if let Some(w) = self.waiting.get_mut(r) {
                    w.to_accept -= 1;
                    if w.to_accept == 0 {
                        self.waiting.remove(r);
                    }
                }
            }
            let to_accept = bad.len() - connect.len();
            if to_accept > 0 {
                self.waiting.insert(
                    rank,
                    Waiting {
                        ip: peer.ip(),
                        port,
                        to_accept,
                    },
                );
            }
            self.ranks.insert(index, (rank, peer));
            return Ok(());
        }
        Err(fail(format!(
            "could not connect to its peers in {MAX_LINK_ATTEMPTS} attempts"
        )))
    }
}
