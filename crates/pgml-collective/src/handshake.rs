//! The first exchange on every new connection, on a thread of its own (so a connection that
//! says nothing holds up only itself): rabit's greeting, checked for this job's token before
//! anything else is read.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::token::JobToken;
use crate::tracker::Refusal;
use crate::wire::{read_i32, read_str, write_i32, MAGIC};

/// Rabit parses its settings with `sscanf` into 256-byte buffers; a task id never needs more.
const MAX_TASK_ID: usize = 255;
const MAX_COMMAND: usize = 16;
const MAX_PRINT: usize = 64 << 10;

pub(crate) enum Command {
    Start,
    Recover,
    Shutdown,
    Print(String),
}

/// A connection that passed the handshake: right magic, this job's token.
pub(crate) struct Hello {
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) rank: i32,
    pub(crate) world_size: i32,
    pub(crate) index: usize,
    pub(crate) command: Command,
}

pub(crate) enum Event {
    Hello(Hello),
    Refused(Refusal),
}

/// Handshake threads and their sockets, so that stopping can close the sockets and join them.
#[derive(Default)]
pub(crate) struct Handshakes {
    pub(crate) next_id: AtomicU64,
    /// A clone of each socket still in its handshake, to shut it down when the job ends.
    pub(crate) open: Arc<Mutex<HashMap<u64, TcpStream>>>,
    pub(crate) threads: Vec<JoinHandle<()>>,
}

impl Handshakes {
    pub(crate) fn active(&mut self) -> usize {
        self.threads.retain(|t| !t.is_finished());
        self.threads.len()
    }
}

impl Drop for Handshakes {
    fn drop(&mut self) {
        if let Ok(open) = self.open.lock() {
            for s in open.values() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Reads a new connection's greeting (`WorkerEntry.__init__` in tracker.py): magic, rank, world
/// size, task id, command. `Err` is the reason it is refused; the stream is then dropped.
pub(crate) fn handshake(
    mut s: TcpStream,
    peer: SocketAddr,
    token: &JobToken,
    timeout: Duration,
) -> std::result::Result<Hello, String> {
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let magic = read_i32(&mut s).map_err(|e| format!("no magic number: {e}"))?;
    if magic != MAGIC {
        return Err(format!("wrong magic number {magic:#x}"));
    }
    write_i32(&mut s, MAGIC).map_err(|e| e.to_string())?;
    let rank = read_i32(&mut s).map_err(|e| e.to_string())?;
    let world_size = read_i32(&mut s).map_err(|e| e.to_string())?;
    let task_id = read_str(&mut s, MAX_TASK_ID).map_err(|e| format!("task id: {e}"))?;
    // Checked before reading anything else: without the token, nothing more is listened to.
    let index = token
        .index_of(&task_id)
        .ok_or_else(|| "task id without this job's token".to_string())?;
    let command = match read_str(&mut s, MAX_COMMAND)
        .map_err(|e| format!("command: {e}"))?
        .as_str()
    {
        "start" => Command::Start,
        "recover" => Command::Recover,
        "shutdown" => Command::Shutdown,
        "print" => Command::Print(read_str(&mut s, MAX_PRINT).map_err(|e| format!("print: {e}"))?),
        other => return Err(format!("unknown command {other:?}")),
    };
    Ok(Hello {
        stream: s,
        peer,
        rank,
        world_size,
        index,
        command,
    })
}
