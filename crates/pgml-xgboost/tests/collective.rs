//! Distributed XGBoost through the Rust tracker: worker processes, each holding a disjoint part
//! of the rows, joined on 127.0.0.1 (a) train byte-identical models close to one process trained
//! on all rows, (b) fail within a bounded time when a worker dies or hangs, and (c) a connection
//! without the job's token does not join.
//!
//! Each worker is this test binary again, running the ignored test `worker_process`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pgml_collective::{wire, Error as TrackerError, Tracker, TrackerConfig};
use pgml_xgboost::{Booster, DMatrix};
use support::worker::{self, Data};

#[test]
#[ignore = "a worker process of the other tests, started by them with its settings in PGML_WORKER_*"]
fn worker_process() {
    worker::worker_main();
}

struct Job {
    dir: std::path::PathBuf,
    children: Vec<Child>,
    /// Lines of every worker's stdout: (worker index, line).
    lines: mpsc::Receiver<(usize, String)>,
}

impl Drop for Job {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Settings {
    data: Data,
    rows_per_worker: u64,
    rounds: usize,
    timeout_s: u64,
    /// XGBoost's nthread in each worker.
    threads: usize,
}

fn spawn_workers(tracker: &Tracker, workers: usize, s: &Settings, name: &str) -> Job {
    let dir = std::env::temp_dir().join(format!("pgml-collective-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let common = [
        ("ROWS", s.rows_per_worker.to_string()),
        ("FIRST_ROW", "0".to_string()),
        ("COLS", s.data.cols.to_string()),
        ("DISCRETE", u8::from(s.data.discrete).to_string()),
        ("REGRESSION", u8::from(s.data.regression).to_string()),
        ("ROUNDS", s.rounds.to_string()),
        ("TIMEOUT", s.timeout_s.to_string()),
        ("THREADS", s.threads.to_string()),
        ("DIR", dir.display().to_string()),
    ];
    let (tx, lines) = mpsc::channel();
    let exe = std::env::current_exe().unwrap();
    let mut children = Vec::new();
    for i in 0..workers {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "worker_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .envs(worker::worker_env(&tracker.worker(i), i, &common))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for (out, tag) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
                "",
            ),
            (Box::new(child.stderr.take().unwrap()), "stderr: "),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    // libtest prints "test worker_process ... " before the worker's first line.
                    let line = line.find("pgml-").map_or(line.as_str(), |at| &line[at..]);
                    let _ = tx.send((i, format!("{tag}{line}")));
                }
            });
        }
        children.push(child);
    }
    Job {
        dir,
        children,
        lines,
    }
}

/// Waits for every worker to exit; their exit codes, in index order.
fn wait_all(job: &mut Job, limit: Duration) -> Vec<Option<i32>> {
    let deadline = Instant::now() + limit;
    let mut codes = vec![None; job.children.len()];
    let mut done = vec![false; job.children.len()];
    while done.iter().any(|d| !d) {
        assert!(
            Instant::now() < deadline,
            "workers still running after {limit:?}"
        );
        for (i, c) in job.children.iter_mut().enumerate() {
            if !done[i] {
                if let Some(status) = c.try_wait().unwrap() {
                    codes[i] = status.code();
                    done[i] = true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    codes
}

fn drain(job: &Job) -> Vec<(usize, String)> {
    job.lines.try_iter().collect()
}

fn accuracy_or_r2(pred: &[f32], y: &[f32], regression: bool) -> f64 {
    if regression {
        let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
        let ss_res: f64 = pred
            .iter()
            .zip(y)
            .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
            .sum();
        let ss_tot: f64 = y.iter().map(|&t| (f64::from(t) - mean).powi(2)).sum();
        1.0 - ss_res / ss_tot
    } else {
        let right = pred
            .iter()
            .zip(y)
            .filter(|(&p, &t)| f32::from(p > 0.5) == t)
            .count();
        right as f64 / y.len() as f64
    }
}

/// Trains on `workers` processes and on one; returns (max |prediction difference|, metric of the
/// distributed model, metric of the single one) on held-out rows.
fn distributed_against_single(workers: usize, threads: usize, data: Data) -> (f64, f64, f64) {
    let s = Settings {
        data,
        rows_per_worker: 12_000 / workers as u64,
        rounds: 20,
        timeout_s: 30,
        threads,
    };
    let tracker =
        Tracker::start(TrackerConfig::new("127.0.0.1:0".parse().unwrap(), workers)).unwrap();
    let mut job = spawn_workers(
        &tracker,
        workers,
        &s,
        &format!("{workers}-{}", data.regression),
    );
    let codes = wait_all(&mut job, Duration::from_secs(120));
    let lines = drain(&job);
    assert!(codes.iter().all(|&c| c == Some(0)), "{codes:?}\n{lines:#?}");
    let report = tracker.wait().unwrap();
    let ranks: Vec<usize> = report.workers.iter().map(|(r, _)| *r).collect();
    assert_eq!(ranks, (0..workers).collect::<Vec<_>>());
    assert_eq!(report.refused_total, 0);
    let expected = format!(
        "pgml-collective {workers} {} {} {} 100 from rank 0!",
        workers * (workers + 1) / 2,
        s.rows_per_worker * workers as u64,
        workers - 1
    );
    for i in 0..workers {
        assert!(
            lines.contains(&(i, expected.clone())),
            "allreduce and broadcast: {lines:#?}"
        );
        let rounds = lines
            .iter()
            .filter(|(w, l)| *w == i && l.starts_with("pgml-round "))
            .count();
        assert_eq!(rounds, 20, "worker {i}");
        // The links' byte counters see the histograms go both ways.
        let last = lines
            .iter()
            .rfind(|(w, l)| *w == i && l.starts_with("pgml-round 19 "))
            .unwrap();
        let counters: Vec<u64> = last
            .1
            .split(' ')
            .skip(3)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(
            counters.iter().all(|&b| b > 100_000),
            "worker {i}: {counters:?}"
        );
        assert!(
            lines.contains(&(i, format!("pgml-done {i}"))),
            "worker {i} has rank {i}"
        );
    }

    let models: Vec<Vec<u8>> = (0..workers)
        .map(|i| std::fs::read(job.dir.join(format!("model-{i}.json"))).unwrap())
        .collect();
    for m in &models[1..] {
        assert!(m == &models[0], "every worker's model is byte-identical");
    }
    let distributed = Booster::load(&models[0]).unwrap();
    let single = worker::train(
        &data,
        0..s.rows_per_worker * workers as u64,
        20,
        threads,
        |_, _| {},
    )
    .unwrap();

    let (x, y) = data.rows(1_000_000..1_010_000);
    let holdout = DMatrix::from_dense(&x, y.len(), data.cols).unwrap();
    let (pd, ps) = (
        distributed.predict(&holdout).unwrap(),
        single.predict(&holdout).unwrap(),
    );
    let max_diff = pd
        .iter()
        .zip(&ps)
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max);
    let (md, ms) = (
        accuracy_or_r2(&pd, &y, data.regression),
        accuracy_or_r2(&ps, &y, data.regression),
    );
    eprintln!(
        "{workers} workers of {threads} thread(s), {}, {} features: max |prediction difference| {max_diff:.3e}, metric {md:.5} distributed vs {ms:.5} single",
        if data.regression { "regression (r2)" } else { "classification (accuracy)" },
        if data.discrete { "32-level" } else { "continuous" },
    );
    (max_diff, md, ms)
}

#[test]
fn two_and_three_workers_train_identical_models_close_to_one_process() {
    // The 3-worker job trains with 2 OpenMP threads per worker: XGBoost's collective is per
    // thread, so this shows its calls stay on the thread that joined.
    for (workers, threads, regression) in [(2, 1, false), (3, 2, true)] {
        // On a grid coarser than max_bin, the distributed sketch has the same cuts as one
        // process: the models differ only by the order in which histograms are summed.
        let grid = Data {
            cols: 10,
            discrete: true,
            regression,
        };
        let (max_diff, md, ms) = distributed_against_single(workers, threads, grid);
        assert!(max_diff <= 1e-6, "{max_diff}");
        assert!((md - ms).abs() <= 1e-4, "{md} vs {ms}");
        // Continuous features: each worker sketches its own rows, so cuts (and trees) differ.
        let continuous = Data {
            cols: 10,
            discrete: false,
            regression,
        };
        let (_, md, ms) = distributed_against_single(workers, threads, continuous);
        assert!((md - ms).abs() <= 0.005, "{md} vs {ms}");
    }
}

/// Starts 3 workers on enough rows that 200 rounds take a while, and returns once every worker
/// reported round 3.
fn three_workers_training(tracker: &Tracker, name: &str, timeout_s: u64) -> Job {
    let s = Settings {
        data: Data {
            cols: 10,
            discrete: false,
            regression: true,
        },
        rows_per_worker: 20_000,
        rounds: 200,
        timeout_s,
        threads: 1,
    };
    let job = spawn_workers(tracker, 3, &s, name);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut at_round_3 = [false; 3];
    while !at_round_3.iter().all(|&b| b) {
        let (i, line) = job
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("every worker reaches round 3");
        if line.starts_with("pgml-round 3 ") {
            at_round_3[i] = true;
        }
    }
    job
}

fn port_is_free(addr: SocketAddr) -> bool {
    TcpListener::bind(addr).is_ok()
}

#[test]
fn a_worker_that_dies_or_hangs_fails_the_others_within_the_timeout_and_the_port_is_freed() {
    for hang in [false, true] {
        let timeout = Duration::from_secs(5);
        let mut config = TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 3);
        config.timeout = timeout;
        let tracker = Tracker::start(config).unwrap();
        let addr = tracker.addr();
        let mut job = three_workers_training(
            &tracker,
            if hang { "hang" } else { "die" },
            timeout.as_secs(),
        );
        let victim = job.children[2].id() as i32;
        let signal = if hang { libc::SIGSTOP } else { libc::SIGKILL };
        #[allow(unsafe_code)]
        // SAFETY: signals a child process this test started and has not reaped yet.
        let rc = unsafe { libc::kill(victim, signal) };
        assert_eq!(rc, 0);
        let killed = Instant::now();

        // The survivors' next collective call fails: at once on a closed link, or after the
        // collective timeout on a silent one. Either way each exits with its error.
        let deadline = killed + timeout + Duration::from_secs(10);
        let mut codes = [None, None];
        while codes.iter().any(Option::is_none) {
            assert!(
                Instant::now() < deadline,
                "survivors still running {:?} after the kill",
                killed.elapsed()
            );
            for (code, child) in codes.iter_mut().zip(&mut job.children) {
                if code.is_none() {
                    *code = child.try_wait().unwrap().map(|s| s.code());
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let survivors_failed_after = killed.elapsed();
        let lines = drain(&job);
        assert_eq!(codes, [Some(Some(2)), Some(Some(2))], "{lines:#?}");
        for i in 0..2 {
            assert!(
                lines
                    .iter()
                    .any(|(w, l)| *w == i && l.starts_with("stderr: pgml-worker-error: ")),
                "worker {i} says why: {lines:#?}"
            );
        }

        // The survivors said `shutdown`; the victim never will: the tracker gives up on it
        // `timeout` after the first shutdown and names it.
        let t = Instant::now();
        match tracker.wait() {
            Err(TrackerError::Unfinished { missing, .. }) => assert_eq!(missing, vec![2]),
            other => panic!("{other:?}"),
        }
        assert!(
            t.elapsed() <= timeout + Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
        assert!(port_is_free(addr), "the tracker's port is free again");
        eprintln!(
            "{}: survivors failed {survivors_failed_after:?} after it, tracker ended {:?} after that",
            if hang { "SIGSTOP (hang)" } else { "SIGKILL (death)" },
            t.elapsed()
        );
        drop(job); // kills (and reaps) the stopped victim
    }
}

/// Greets the tracker as a worker would, with `task_id`; returns what the tracker answered first
/// after the command (a rank), or the error if it closed the connection.
fn stray(addr: SocketAddr, magic: i32, task_id: &str) -> std::io::Result<i32> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    wire::write_i32(&mut s, magic)?;
    let echoed = wire::read_i32(&mut s)?;
    assert_eq!(echoed, wire::MAGIC);
    wire::write_i32(&mut s, -1)?;
    wire::write_i32(&mut s, -1)?;
    wire::write_str(&mut s, task_id)?;
    wire::write_str(&mut s, "start")?;
    wire::read_i32(&mut s)
}

#[test]
fn a_connection_without_the_job_token_is_refused_and_does_not_join() {
    let tracker = Tracker::start(TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 2)).unwrap();
    let addr = tracker.addr();
    // One that says nothing, held open for the whole job: it must not hold the others up.
    let silent = TcpStream::connect(addr).unwrap();
    // Wrong magic: closed before anything else is read.
    let mut bad_magic = TcpStream::connect(addr).unwrap();
    wire::write_i32(&mut bad_magic, 0x1234).unwrap();
    // The right protocol with another job's token (or none): closed, no rank.
    let other = Tracker::start(TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 2)).unwrap();
    for task in [
        other.worker(0).task_id,
        "NULL".to_string(),
        tracker.worker(0).task_id.replace('-', "x"),
    ] {
        let answer = stray(addr, wire::MAGIC, &task);
        assert!(answer.is_err(), "{task}: got rank {answer:?}");
    }
    drop(other);

    let s = Settings {
        data: Data {
            cols: 5,
            discrete: true,
            regression: false,
        },
        rows_per_worker: 2_000,
        rounds: 5,
        timeout_s: 30,
        threads: 1,
    };
    let mut job = spawn_workers(&tracker, 2, &s, "token");
    let codes = wait_all(&mut job, Duration::from_secs(60));
    assert_eq!(codes, [Some(0), Some(0)], "{:#?}", drain(&job));
    let report = tracker.wait().unwrap();
    assert_eq!(report.workers.len(), 2);
    assert!(report.refused_total >= 4, "{report:#?}");
    let reasons: Vec<&str> = report.refused.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons.iter().filter(|r| r.contains("token")).count(),
        3,
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("magic")), "{reasons:?}");
    drop(silent);
}

/// What a PostgreSQL backend will do: join jobs one after another in one process, each from a
/// fresh thread (XGBoost's collective state is per thread). Here both workers of each job are
/// threads of this process.
#[test]
fn one_process_joins_job_after_job_each_from_a_fresh_thread() {
    let data = Data {
        cols: 5,
        discrete: true,
        regression: true,
    };
    for job in 0..2 {
        let tracker =
            Tracker::start(TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 2)).unwrap();
        let threads: Vec<_> = (0..2u64)
            .map(|i| {
                let env = tracker.worker(i as usize);
                std::thread::spawn(move || {
                    let config = pgml_xgboost::CommunicatorConfig::new(
                        &env.tracker_host,
                        env.tracker_port,
                        &env.task_id,
                    );
                    let c = pgml_xgboost::Communicator::join(&config).unwrap();
                    assert_eq!((c.rank(), c.world_size()), (i as usize, 2));
                    let b =
                        worker::train(&data, i * 1000..(i + 1) * 1000, 5, 1, |_, _| {}).unwrap();
                    let model = b.save_json().unwrap();
                    drop(c);
                    // The thread has had its job: a second join on it is refused.
                    assert!(pgml_xgboost::Communicator::join(&config).is_err());
                    model
                })
            })
            .collect();
        let models: Vec<Vec<u8>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(models[0] == models[1], "job {job}: identical models");
        let report = tracker.wait().unwrap();
        assert_eq!(report.workers.len(), 2, "job {job}");
    }
}

/// Rabit accepts its peers without a timeout: a worker that dies while the links are being set
/// up would leave the ones told to wait for it blocked forever. The tracker releases them.
#[test]
fn workers_waiting_for_a_peer_lost_during_link_setup_fail_instead_of_hanging() {
    let tracker = Tracker::start(TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 3)).unwrap();
    let s = Settings {
        data: Data {
            cols: 5,
            discrete: true,
            regression: false,
        },
        rows_per_worker: 1_000,
        rounds: 5,
        timeout_s: 30,
        threads: 1,
    };
    let mut job = spawn_workers(&tracker, 2, &s, "link-setup");
    // Worker 2 joins last, reads its rank, and dies before making its links.
    let mut dying = TcpStream::connect(tracker.addr()).unwrap();
    dying
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    wire::write_i32(&mut dying, wire::MAGIC).unwrap();
    assert_eq!(wire::read_i32(&mut dying).unwrap(), wire::MAGIC);
    wire::write_i32(&mut dying, -1).unwrap();
    wire::write_i32(&mut dying, -1).unwrap();
    wire::write_str(&mut dying, &tracker.worker(2).task_id).unwrap();
    wire::write_str(&mut dying, "start").unwrap();
    assert_eq!(wire::read_i32(&mut dying).unwrap(), 2);
    let t = Instant::now();
    drop(dying);
    let codes = wait_all(&mut job, Duration::from_secs(20));
    let lines = drain(&job);
    assert_eq!(codes, [Some(2), Some(2)], "{lines:#?}");
    assert!(
        lines.iter().any(|(_, l)| l.contains("cannot join the job")),
        "{lines:#?}"
    );
    eprintln!(
        "workers waiting for the lost peer failed {:?} after it died",
        t.elapsed()
    );
    assert!(matches!(
        tracker.wait(),
        Err(TrackerError::Link { index: 2, .. })
    ));
}

#[test]
fn workers_fail_when_another_never_arrives() {
    let mut config = TrackerConfig::new("127.0.0.1:0".parse().unwrap(), 3);
    config.rendezvous_timeout = Duration::from_secs(2);
    let tracker = Tracker::start(config).unwrap();
    let s = Settings {
        data: Data {
            cols: 5,
            discrete: true,
            regression: false,
        },
        rows_per_worker: 1_000,
        rounds: 5,
        timeout_s: 30,
        threads: 1,
    };
    let t = Instant::now();
    let mut job = spawn_workers(&tracker, 2, &s, "rendezvous");
    let codes = wait_all(&mut job, Duration::from_secs(20));
    assert_eq!(codes, [Some(2), Some(2)], "{:#?}", drain(&job));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    match tracker.wait() {
        Err(TrackerError::Rendezvous { missing, .. }) => assert_eq!(missing, vec![2]),
        other => panic!("{other:?}"),
    }
}
