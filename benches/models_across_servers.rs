//! Models across servers, measured on real servers from the test kit (all on this machine):
//! 1. pgbench predict throughput on a primary and on its hot standby at 1, 4 and 8 clients (same
//!    model, same statement);
//! 2. the time from a deploy on the training server until a held connection on (a) the standby and
//!    (b) an inference server subscribed with `pgml models replicate` answers with the new model.
//!
//!   cargo run --release -p pgml-e2e --example models_across_servers [SECONDS_PER_RUN] [FLIPS]
//!
//! Needs the release build of the extension installed and the `pgml` binary built (scripts/test does
//! both); pgbench comes with Debian's postgresql-client-15, which postgresql-15 installs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, pgml, start_servers, text, Server};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let flips: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);

    let primary = Server::builder("primary")
        .logical_replication()
        .start()
        .unwrap();
    database_with_pgml(&primary, "app");
    primary
        .execute(
            "app",
            "SELECT pgml.load_dataset('diabetes');
             SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost',
                                      hyperparams => '{\"n_estimators\": 50}');
             SELECT * FROM pgml.train('D', algorithm => 'linear');
             SELECT * FROM pgml.deploy(1);",
        )
        .unwrap();
    let standby = primary.standby("standby").unwrap();
    primary.wait_for_replay(&standby).unwrap();
    let inference = start_servers(&["inference"]).remove(0);
    database_with_pgml(&inference, "app");
    let out = pgml(&[
        "models",
        "replicate",
        "--source",
        &primary.url("app"),
        "--to",
        &inference.url("app"),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // 1. Throughput: one predict per transaction, a 10-feature row, by project name.
    let script = std::env::temp_dir().join(format!("pgml-bench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        "SELECT pgml.predict('D', ARRAY[0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, 0.00, 0.02, -0.02]::real[]);\n",
    )
    .unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "pgbench, {seconds} s per run, {cores} cores, predict by project name (XGBoost, 50 trees)"
    );
    println!(
        "{:<10} {:>8} {:>14} {:>14} {:>10}",
        "server", "clients", "tps", "latency ms", "vs primary"
    );
    for clients in [1, 4, 8] {
        let mut primary_tps = 0.0;
        for (name, server) in [("primary", &primary), ("standby", &standby)] {
            let out = server
                .command("pgbench", "app")
                .args(["-n", "-f"])
                .arg(&script)
                .args(["-c", &clients.to_string(), "-j", &clients.to_string()])
                .args(["-T", &seconds.to_string()])
                .output()
                .expect("run pgbench (install postgresql-client-15)");
            assert!(out.status.success(), "{}", text(&out));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let field = |prefix: &str| -> f64 {
                stdout
                    .lines()
                    .find_map(|l| l.trim().strip_prefix(prefix))
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("no '{prefix}' in pgbench output:\n{stdout}"))
            };
            let tps = field("tps = ");
            let latency = field("latency average = ");
            if name == "primary" {
                primary_tps = tps;
            }
            println!(
                "{name:<10} {clients:>8} {tps:>14.0} {latency:>14.3} {:>10.2}",
                tps / primary_tps
            );
        }
    }
    let _ = std::fs::remove_file(&script);

    // 2. Deploy propagation: flip between the two models; each time, poll a held connection on the
    // standby and on the inference server until the answer is the new model's.
    let mut p = primary.connect("app").unwrap();
    let ask = "SELECT pgml.predict('D', ARRAY[0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, 0.00, 0.02, -0.02]::real[])";
    let answer_of = |c: &mut postgres::Client| -> f32 { c.query_one(ask, &[]).unwrap().get(0) };
    let mut expected = Vec::new();
    for model in [1i64, 2] {
        p.batch_execute(&format!("SELECT * FROM pgml.deploy({model})"))
            .unwrap();
        expected.push(answer_of(&mut p));
    }
    assert!(
        (expected[0] - expected[1]).abs() > 1e-3,
        "the two models must answer differently"
    );
    let mut held = [
        standby.connect("app").unwrap(),
        inference.connect("app").unwrap(),
    ];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for flip in 0..flips {
        let model = flip % 2; // model 2 is deployed now, so flip 0 deploys model 1
        let started = Instant::now();
        p.batch_execute(&format!("SELECT * FROM pgml.deploy({})", model + 1))
            .unwrap();
        let mut pending = [true, true];
        while pending.iter().any(|x| *x) {
            for (i, c) in held.iter_mut().enumerate() {
                if pending[i] && (answer_of(c) - expected[model]).abs() < 1e-6 {
                    times[i].push(started.elapsed().as_secs_f64() * 1000.0);
                    pending[i] = false;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "deploy did not arrive"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("\ndeploy on the primary/training server → first answer from the new model, {flips} flips (ms)");
    println!("{:<32} {:>8} {:>8} {:>8}", "where", "median", "p95", "max");
    for (name, t) in ["hot standby (WAL replay)", "inference server (replicated)"]
        .into_iter()
        .zip(times.iter_mut())
    {
        t.sort_by(f64::total_cmp);
        let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name:<32} {:>8.1} {:>8.1} {:>8.1}",
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}
