//! The tracker against workers written from rabit's side of the protocol
//! (rabit/src/allreduce_base.cc, `ConnectTracker` and `ReConnectLinks`), without XGBoost: ranks,
//! links, commands, refusals, timeouts and ports. tests in crates/pgml-xgboost/tests/collective.rs
//! run real XGBoost workers through it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use pgml_collective::wire::{read_i32, read_str, write_i32, write_str, MAGIC};
use pgml_collective::{Error, LinkMap, Tracker, TrackerConfig};

fn local(workers: usize) -> TrackerConfig {
    TrackerConfig::new("127.0.0.1:0".parse().unwrap(), workers)
}

/// Connects and greets as rabit's `ConnectTracker` does, then sends `command`.
fn greet(
    addr: SocketAddr,
    rank: i32,
    world: i32,
    task: &str,
    command: &str,
) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write_i32(&mut s, MAGIC)?;
    assert_eq!(read_i32(&mut s)?, MAGIC);
    write_i32(&mut s, rank)?;
    write_i32(&mut s, world)?;
    write_str(&mut s, task)?;
    write_str(&mut s, command)?;
    Ok(s)
}

#[derive(Debug, Clone, PartialEq)]
struct Assignment {
    rank: i32,
    parent: i32,
    world: i32,
    tree: Vec<i32>,
    prev: i32,
    next: i32,
    /// (host, port, rank) of the peers to connect to.
    connect: Vec<(String, i32, i32)>,
    accept: i32,
}

/// `ReConnectLinks("start")` with no links yet; reports port `port` as its listening port.
fn start(addr: SocketAddr, task: &str, port: i32) -> std::io::Result<Assignment> {
    let mut s = greet(addr, -1, -1, task, "start")?;
    let rank = read_i32(&mut s)?;
    let parent = read_i32(&mut s)?;
    let world = read_i32(&mut s)?;
    let n = read_i32(&mut s)?;
    let tree = (0..n)
        .map(|_| read_i32(&mut s))
        .collect::<std::io::Result<Vec<_>>>()?;
    let prev = read_i32(&mut s)?;
    let next = read_i32(&mut s)?;
    write_i32(&mut s, 0)?; // no good links yet
    let conn = read_i32(&mut s)?;
    let accept = read_i32(&mut s)?;
    let mut connect = Vec::new();
    for _ in 0..conn {
        let host = read_str(&mut s, 256)?;
        connect.push((host, read_i32(&mut s)?, read_i32(&mut s)?));
    }
    write_i32(&mut s, 0)?; // every connection succeeded
    write_i32(&mut s, port)?;
    Ok(Assignment {
        rank,
        parent,
        world,
        tree,
        prev,
        next,
        connect,
        accept,
    })
}

fn shutdown(addr: SocketAddr, task: &str, rank: i32) {
    greet(addr, rank, -1, task, "shutdown").unwrap();
}

fn start_all(tracker: &Tracker, n: usize) -> Vec<Assignment> {
    let addr = tracker.addr();
    // Backwards, so arrival order is not index order: ranks still follow the indices.
    let threads: Vec<_> = (0..n)
        .rev()
        .map(|i| {
            let task = tracker.worker(i).task_id;
            std::thread::spawn(move || start(addr, &task, 20_000 + i as i32).unwrap())
        })
        .collect();
    let mut out: Vec<Assignment> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    out.sort_by_key(|a| a.rank);
    out
}

#[test]
fn ranks_and_links_are_those_of_the_link_map_and_every_link_is_made_once() {
    for n in [1, 2, 3, 5, 8] {
        let tracker = Tracker::start(local(n)).unwrap();
        let got = start_all(&tracker, n);
        let map = LinkMap::new(n);
        // Who connects to whom: each link between two ranks is made by exactly one side, to the
        // other's listening port, and the other expects exactly that many incoming links.
        let mut incoming = BTreeMap::new();
        for (r, a) in got.iter().enumerate() {
            assert_eq!(a.rank, r as i32);
            assert_eq!(a.world, n as i32);
            assert_eq!(a.parent, map.parent[r].map_or(-1, |p| p as i32));
            let mut tree = a.tree.clone();
            tree.sort_unstable();
            assert_eq!(
                tree,
                map.tree[r].iter().map(|&v| v as i32).collect::<Vec<_>>()
            );
            let (p, x) = map.ring[r];
            assert_eq!(
                (a.prev, a.next),
                (
                    if p == r { -1 } else { p as i32 },
                    if x == r { -1 } else { x as i32 }
                )
            );
            for (host, port, peer) in &a.connect {
                assert_eq!(host, "127.0.0.1");
                assert_eq!(*port, 20_000 + peer);
                assert!(map.neighbours(r).contains(&(*peer as usize)));
                *incoming.entry(*peer).or_insert(0) += 1;
            }
        }
        for (r, a) in got.iter().enumerate() {
            assert_eq!(
                a.accept,
                incoming.get(&(r as i32)).copied().unwrap_or(0),
                "n={n} rank {r}"
            );
            let made = a.connect.len() as i32 + a.accept;
            assert_eq!(made as usize, map.neighbours(r).len(), "n={n} rank {r}");
        }
        assert!(!tracker.is_finished());
        for r in 0..n {
            shutdown(tracker.addr(), &tracker.worker(r).task_id, r as i32);
        }
        let report = tracker.wait().unwrap();
        assert_eq!(report.workers.len(), n);
        assert_eq!(report.refused_total, 0);
    }
}

#[test]
fn prints_are_kept_and_bad_greetings_are_refused_without_stopping_the_job() {
    let tracker = Tracker::start(local(2)).unwrap();
    let addr = tracker.addr();
    let t0 = tracker.worker(0).task_id;
    let mut p = greet(addr, 0, -1, &t0, "print").unwrap();
    write_str(&mut p, "[0] round 1").unwrap();
    // Refused, each for its own reason; none of them gets a rank.
    let refused = [
        greet(addr, -1, 3, &t0, "start"), // world size of another job
        greet(addr, -1, -1, &tracker.worker(7).task_id, "start"), // index out of range
        greet(addr, -1, -1, &t0, "dance"), // unknown command
        greet(addr, 0, -1, &t0, "shutdown"), // shutdown before having a rank
    ];
    let mut huge = TcpStream::connect(addr).unwrap();
    write_i32(&mut huge, MAGIC).unwrap();
    read_i32(&mut huge).unwrap();
    write_i32(&mut huge, -1).unwrap();
    write_i32(&mut huge, -1).unwrap();
    write_i32(&mut huge, i32::MAX).unwrap(); // a 2 GiB task id: refused unread
                                             // Closed once the tracker has dealt with them (waited for here, so that the early
                                             // `shutdown` is judged before the workers have ranks).
    for s in refused {
        assert!(
            read_i32(&mut s.unwrap()).is_err(),
            "refused connections get no rank"
        );
    }
    assert!(read_i32(&mut huge).is_err());
    let got = start_all(&tracker, 2);
    // A second `start` for a worker that has its rank: refused.
    let mut late = greet(addr, -1, -1, &t0, "start").unwrap();
    assert!(read_i32(&mut late).is_err(), "a duplicate gets no rank");
    for a in &got {
        shutdown(addr, &tracker.worker(a.rank as usize).task_id, a.rank);
    }
    let report = tracker.wait().unwrap();
    assert_eq!(report.prints, ["[0] round 1"]);
    let reasons: Vec<&str> = report.refused.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(report.refused_total, 6, "{reasons:?}");
    for expected in [
        "world size 3",
        "out of range",
        "unknown command",
        "shutdown with rank 0",
        "at most 255",
        "already joined",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected}: {reasons:?}"
        );
    }
}

#[test]
fn a_worker_that_lost_its_links_recovers_its_own_rank_only() {
    let mut config = local(3);
    config.timeout = Duration::from_secs(1);
    let tracker = Tracker::start(config).unwrap();
    let addr = tracker.addr();
    let got = start_all(&tracker, 3);
    let t1 = tracker.worker(1).task_id;
    // rabit's robust mode re-links a worker under the rank it had: all its links are re-made.
    let mut wrong = greet(addr, 2, -1, &t1, "recover").unwrap();
    assert!(
        read_i32(&mut wrong).is_err(),
        "worker 1 cannot recover as rank 2"
    );
    let mut s = greet(addr, 1, -1, &t1, "recover").unwrap();
    assert_eq!(read_i32(&mut s).unwrap(), 1);
    for _ in 0..2 {
        read_i32(&mut s).unwrap(); // parent, world size
    }
    let n = read_i32(&mut s).unwrap();
    for _ in 0..n + 2 {
        read_i32(&mut s).unwrap(); // tree neighbours, ring prev and next
    }
    write_i32(&mut s, 0).unwrap();
    let (connect, accept) = (read_i32(&mut s).unwrap(), read_i32(&mut s).unwrap());
    assert_eq!(
        (connect, accept),
        (0, 2),
        "its peers will connect to it again"
    );
    write_i32(&mut s, 0).unwrap();
    write_i32(&mut s, 30_001).unwrap();
    drop(s);
    for a in &got {
        shutdown(addr, &tracker.worker(a.rank as usize).task_id, a.rank);
    }
    // Rank 1 still waits for its peers to reconnect: its shutdown is refused, as tracker.py
    // asserts; the job then fails naming it.
    match tracker.wait() {
        Err(Error::Unfinished { missing, .. }) => assert_eq!(missing, vec![1]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_worker_lost_during_link_setup_releases_the_workers_waiting_for_it() {
    let tracker = Tracker::start(local(3)).unwrap();
    let addr = tracker.addr();
    // Workers 0 and 1 listen for their peers, as rabit does after getting its links.
    let listeners: Vec<TcpListener> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let early: Vec<_> = listeners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let task = tracker.worker(i).task_id;
            let port = i32::from(l.local_addr().unwrap().port());
            std::thread::spawn(move || start(addr, &task, port).unwrap())
        })
        .collect();
    // Worker 2 reads its rank and links, then dies before saying which links it has.
    let mut dying = greet(addr, -1, -1, &tracker.worker(2).task_id, "start").unwrap();
    assert_eq!(read_i32(&mut dying).unwrap(), 2);
    let got: Vec<Assignment> = early.into_iter().map(|t| t.join().unwrap()).collect();
    drop(dying);
    match tracker.wait() {
        Err(Error::Link { index: 2, .. }) => {}
        other => panic!("{other:?}"),
    }
    // Each waiting worker is sent the connections it still expected (rabit would otherwise sit in
    // accept() forever): worker 0 expected 1 and 2, and got 1; worker 1 expected 2.
    assert_eq!((got[0].accept, got[1].accept), (2, 1));
    assert_eq!(got[1].connect.len(), 1);
    for (i, l) in listeners.iter().enumerate() {
        l.set_nonblocking(false).unwrap();
        let (mut c, _) = l.accept().unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(
            read_i32(&mut c).is_err(),
            "worker {i}: the connection closes at once"
        );
    }
}

#[test]
fn workers_that_never_arrive_fail_the_rendezvous_and_release_the_others() {
    let mut config = local(3);
    config.rendezvous_timeout = Duration::from_secs(1);
    let tracker = Tracker::start(config).unwrap();
    let addr = tracker.addr();
    let early: Vec<_> = (0..2)
        .map(|i| {
            let task = tracker.worker(i).task_id;
            std::thread::spawn(move || start(addr, &task, 1))
        })
        .collect();
    let t = Instant::now();
    match tracker.wait() {
        Err(Error::Rendezvous {
            missing,
            workers: 3,
            ..
        }) => assert_eq!(missing, vec![2]),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // The two that came are not left waiting: their connection is closed.
    for w in early {
        assert!(w.join().unwrap().is_err());
    }
    assert!(TcpListener::bind(addr).is_ok(), "port freed");
}

#[test]
fn a_worker_silent_after_the_others_finished_fails_the_job_naming_it() {
    let mut config = local(3);
    config.timeout = Duration::from_secs(1);
    let tracker = Tracker::start(config).unwrap();
    let got = start_all(&tracker, 3);
    let addr = tracker.addr();
    shutdown(addr, &tracker.worker(0).task_id, got[0].rank);
    shutdown(addr, &tracker.worker(2).task_id, got[2].rank);
    match tracker.wait() {
        Err(Error::Unfinished {
            missing, finished, ..
        }) => {
            assert_eq!(missing, vec![1]);
            assert_eq!(finished, vec![0, 2]);
        }
        other => panic!("{other:?}"),
    }
    assert!(TcpListener::bind(addr).is_ok());
}

#[test]
fn stopping_or_dropping_closes_the_port_and_connections_in_their_handshake() {
    let tracker = Tracker::start(local(2)).unwrap();
    let addr = tracker.addr();
    // Mid-handshake (greeted, then silent): closed by the stop, not after its read timeout.
    let mut half = TcpStream::connect(addr).unwrap();
    write_i32(&mut half, MAGIC).unwrap();
    half.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(read_i32(&mut half).unwrap(), MAGIC);
    let t = Instant::now();
    match tracker.stop() {
        Err(Error::Stopped { missing }) => assert_eq!(missing, vec![0, 1]),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(read_i32(&mut half).is_err(), "closed");
    assert!(TcpListener::bind(addr).is_ok());

    let dropped = Tracker::start(local(2)).unwrap();
    let addr = dropped.addr();
    drop(dropped);
    assert!(TcpListener::bind(addr).is_ok());
}

#[test]
fn bad_configurations_are_refused() {
    assert!(matches!(Tracker::start(local(0)), Err(Error::Workers(0))));
    assert!(matches!(
        Tracker::start(local(5000)),
        Err(Error::Workers(5000))
    ));
    let any = TrackerConfig::new("0.0.0.0:0".parse().unwrap(), 2);
    let e = Tracker::start(any).unwrap_err();
    assert!(e.to_string().contains("concrete address"), "{e}");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let e = Tracker::start(TrackerConfig::new(taken.local_addr().unwrap(), 2)).unwrap_err();
    assert!(
        e.to_string().starts_with("cannot listen on 127.0.0.1:"),
        "{e}"
    );
}
