use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

use crate::{Error, Result};

/// Handed-out ports, so two servers started by one process at the same moment never get the same one.
static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A TCP port on 127.0.0.1 that was free a moment ago. Another process can still take it before the
/// server binds; [`crate::Server`] retries with a new port when that happens.
pub fn free_port() -> Result<u16> {
    for _ in 0..64 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| Error::io("binding a free loopback port", "127.0.0.1:0", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("reading a bound port", "127.0.0.1:0", e))?
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return Ok(port);
        }
    }
    Err(Error::Timeout(
        "no free loopback port found after 64 tries".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_bindable() {
        let a = free_port().unwrap();
        let b = free_port().unwrap();
        assert_ne!(a, b);
        assert!(a >= 1024 && b >= 1024);
        TcpListener::bind((Ipv4Addr::LOCALHOST, a)).unwrap();
    }
}
