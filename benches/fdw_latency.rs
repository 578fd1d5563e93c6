//! A training pull through postgres_fdw when the source is across a network: the same comparison as
//! benches/fdw_pull.sh (pgml's fetch_size 10 000 against postgres_fdw's default 100 and against
//! COPY out | COPY in), with the source reached through a TCP proxy in this process that delays
//! every chunk by half the round-trip time in each direction. Loopback has no latency and this
//! machine cannot add any to it (no netem), so the proxy stands in for the network; it adds latency
//! only, not a bandwidth limit.
//!
//!   cargo run --release -p pgml-e2e --example fdw_latency [RTT_MS=1] [ROWS=200000]
//!
//! Needs the release build of the extension installed and the `pgml` binary built (scripts/test).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, pgml, text, Server};

/// Forwards 127.0.0.1:<returned port> to `upstream`, each chunk delivered `one_way` after it was read.
fn delaying_proxy(upstream: u16, one_way: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let client = client.unwrap();
            let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
            for (from, to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                pump(from, to, one_way);
            }
        }
    });
    port
}

/// One direction: a reader thread stamps chunks, a writer thread delivers each at its time.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    from.set_nodelay(true).unwrap();
    to.set_nodelay(true).unwrap();
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

fn best_of_3(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let s = pgml_e2e::bench_settings(
        "cargo run --release -p pgml-e2e --example fdw_latency [RTT_MS=1] [ROWS=200000]",
        &[("RTT_MS", 1.0), ("ROWS", 200_000.0)],
    );
    let (rtt_ms, rows) = (s["RTT_MS"], s["ROWS"] as i64);

    let source = Server::start("source").unwrap();
    let ml = Server::start("pgml").unwrap();
    source.create_database("shop").unwrap();
    source
        .execute(
            "shop",
            &format!(
                "CREATE TABLE big AS SELECT g AS id, random()::real AS a, random()::real AS b, random()::real AS c,
                        random()::real AS d, (random() < 0.5) AS y FROM generate_series(1, {rows}) g"
            ),
        )
        .unwrap();
    source.execute("shop", "VACUUM ANALYZE big").unwrap();
    database_with_pgml(&ml, "ml");
    let proxy = delaying_proxy(source.port(), Duration::from_secs_f64(rtt_ms / 2000.0));
    let via_proxy = source
        .url("shop")
        .replace(&format!(":{}/", source.port()), &format!(":{proxy}/"));
    assert_ne!(
        via_proxy,
        source.url("shop"),
        "the URL must go through the proxy"
    );

    // A round trip through the proxy, measured.
    let mut c = postgres::Client::connect(&via_proxy, postgres::NoTls).unwrap();
    let rtt = best_of_3(|| {
        c.simple_query("SELECT 1").unwrap();
    });

    for (schema, fetch) in [("tuned_fetch", "10000"), ("default_fetch", "100")] {
        let out = pgml(&[
            "sync",
            "fdw",
            "--source",
            &via_proxy,
            "--target",
            &ml.url("ml"),
            "--local-schema",
            schema,
            "--server",
            schema,
            "--fetch-size",
            fetch,
        ]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let mut target = ml.connect("ml").unwrap();
    target
        .batch_execute(
            "CREATE UNLOGGED TABLE copied (id int, a real, b real, c real, d real, y boolean)",
        )
        .unwrap();
    let copy = best_of_3(|| {
        target.batch_execute("TRUNCATE copied").unwrap();
        let mut reader = c.copy_out("COPY big TO STDOUT").unwrap();
        let mut writer = target.copy_in("COPY copied FROM STDIN").unwrap();
        std::io::copy(&mut reader, &mut writer).unwrap();
        drop(reader);
        writer.finish().unwrap();
    });
    let pull = |schema: &str, target: &mut postgres::Client| {
        best_of_3(|| {
            target
                .batch_execute(&format!(
                    "CREATE TEMP TABLE pulled AS SELECT * FROM {schema}.big; DROP TABLE pulled"
                ))
                .unwrap();
        })
    };
    let tuned = pull("tuned_fetch", &mut target);
    let default = pull("default_fetch", &mut target);
    println!("{rows} rows x 6 columns, source behind a proxy adding {rtt_ms} ms per round trip (SELECT 1 measured: {rtt:.2} ms)");
    println!("  COPY out | COPY into a table                 {copy:>8.0} ms  (reference)");
    println!(
        "  postgres_fdw, fetch_size 10000 (pgml)        {tuned:>8.0} ms  ({:.2}x the speed of COPY; goal >= 0.7x)",
        copy / tuned
    );
    println!(
        "  postgres_fdw, fetch_size 100 (its default)   {default:>8.0} ms  (pgml's setting {:.1}x faster; goal >= 5x)",
        default / tuned
    );
}
