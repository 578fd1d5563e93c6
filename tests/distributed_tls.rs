//! Distributed training when the shards accept the coordinator only over TLS: the coordinator's
//! backend reaches each shard with the foreign server's (and user mapping's) `ssl*` options, as
//! postgres_fdw's libpq would, and a certificate it cannot verify stops the job before it starts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_e2e::{database_with_pgml, Certs, Server};

const ROWS: i64 = 3000;

/// A shard that takes `worker` over TCP only with TLS (`hostnossl ... reject`).
fn tls_shard(name: &str, certs: &Certs, first: i64) -> Server {
    let s = Server::builder(name)
        .setting("ssl", "on")
        .setting("ssl_cert_file", &certs.path("server.crt"))
        .setting("ssl_key_file", &certs.path("server.key"))
        .start()
        .unwrap();
    let hba = s.data_dir().join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!(
            "hostnossl all worker 127.0.0.1/32 reject\nhostnossl all worker ::1/128 reject\n{old}"
        ),
    )
    .unwrap();
    s.execute("postgres", "SELECT pg_reload_conf()").unwrap();
    database_with_pgml(&s, "shard");
    s.execute(
        "shard",
        &format!(
            "CREATE ROLE worker LOGIN PASSWORD 'w-s3cret';
             GRANT pgml_trainer TO worker;
             CREATE TABLE events_local AS
               SELECT g, x1::real, x2::real, (x1 + 2 * x2 > 0.2)::int AS label
                 FROM (SELECT g, sin(g * 0.37) AS x1, cos(g * 0.11) AS x2
                         FROM generate_series({first}::bigint, {last}::bigint) g) r;
             GRANT SELECT ON events_local TO worker;",
            last = first + ROWS - 1
        ),
    )
    .unwrap();
    s
}

#[test]
fn shards_reached_over_tls_with_the_foreign_servers_settings() {
    let certs = Certs::make("dist-tls");
    let other = Certs::make("dist-tls-other");
    let shards = [
        tls_shard("tls-shard0", &certs, 1),
        tls_shard("tls-shard1", &certs, ROWS + 1),
    ];
    let coord = Server::start("tls-coordinator").unwrap();
    database_with_pgml(&coord, "coord");
    let mut sql = "CREATE EXTENSION postgres_fdw;
         CREATE TABLE events (g bigint, x1 real, x2 real, label int) PARTITION BY RANGE (g);
         CREATE VIEW events_v AS SELECT x1, x2, label FROM events;"
        .to_string();
    // shard0 checks the certificate and the host name; shard1 only encrypts (libpq's require,
    // no root certificate given and none in ~/.postgresql).
    let modes = [
        format!(
            "sslmode 'verify-full', sslrootcert '{}'",
            certs.path("ca.crt")
        ),
        "sslmode 'require'".to_string(),
    ];
    for (i, s) in shards.iter().enumerate() {
        sql += &format!(
            "CREATE SERVER shard{i} FOREIGN DATA WRAPPER postgres_fdw
                 OPTIONS (host 'localhost', port '{port}', dbname 'shard', {mode});
             CREATE USER MAPPING FOR CURRENT_USER SERVER shard{i} OPTIONS (user 'worker', password 'w-s3cret');
             CREATE FOREIGN TABLE events_{i} PARTITION OF events
                 FOR VALUES FROM ({lo}) TO ({hi}) SERVER shard{i}
                 OPTIONS (schema_name 'public', table_name 'events_local');",
            port = s.port(),
            mode = modes[i],
            lo = i as i64 * ROWS + 1,
            hi = (i as i64 + 1) * ROWS + 1,
        );
    }
    coord.execute("coord", &sql).unwrap();
    let train = |project: &str| {
        coord.query_text(
            "coord",
            &format!(
                "SELECT deployed FROM pgml.train('{project}', 'classification', 'events_v', 'label',
                     algorithm => 'xgboost', hyperparams => '{{\"distributed\": true, \"n_estimators\": 5}}')"
            ),
        )
    };
    let models = || {
        coord
            .query_text("coord", "SELECT count(*) FROM pgml.models")
            .unwrap()
            .unwrap_or_default()
    };

    // Both shards over TLS: the job runs and the lineage names both.
    train("tls").unwrap();
    assert_eq!(models(), "1");
    let shard_rows = coord
        .query_text(
            "coord",
            "SELECT sum((s->>'rows')::bigint) FROM pgml.snapshots,
                    jsonb_array_elements(lineage->'distributed'->'shards') s",
        )
        .unwrap()
        .unwrap_or_default();
    assert_eq!(shard_rows, (2 * ROWS).to_string());

    let expect_refused = |what: &str, needles: &[&str]| {
        let e = format!(
            "{:?}",
            train("refused")
                .err()
                .unwrap_or_else(|| panic!("{what}: trained"))
        );
        for n in needles {
            assert!(e.contains(n), "{what}: {n:?} not in {e}");
        }
        assert_eq!(models(), "1", "{what}: a model was stored");
    };

    // A root certificate that did not sign the shard's: refused, naming the shard.
    coord
        .execute(
            "coord",
            &format!(
                "ALTER SERVER shard0 OPTIONS (SET sslrootcert '{}')",
                other.path("ca.crt")
            ),
        )
        .unwrap();
    expect_refused(
        "untrusted certificate",
        &["shard0", "certificate verify failed"],
    );

    // The host name is checked by verify-full: 127.0.0.1 is not in the certificate.
    coord
        .execute(
            "coord",
            &format!(
                "ALTER SERVER shard0 OPTIONS (SET sslrootcert '{}', SET host '127.0.0.1')",
                certs.path("ca.crt")
            ),
        )
        .unwrap();
    expect_refused("host name", &["shard0", "certificate verify failed"]);
    coord
        .execute(
            "coord",
            "ALTER SERVER shard0 OPTIONS (SET host 'localhost')",
        )
        .unwrap();

    // Without TLS the shard turns the worker away: the first train really used TLS.
    coord
        .execute(
            "coord",
            "ALTER SERVER shard1 OPTIONS (SET sslmode 'disable')",
        )
        .unwrap();
    expect_refused("sslmode disable", &["shard1", "no encryption"]);

    // A value libpq would not take either.
    coord
        .execute(
            "coord",
            "ALTER SERVER shard1 OPTIONS (SET sslmode 'sometimes')",
        )
        .unwrap();
    expect_refused(
        "bad sslmode",
        &["shard1", "invalid sslmode", "verify-full", "HV024"],
    );

    // Back to TLS: trains again.
    coord
        .execute(
            "coord",
            "ALTER SERVER shard1 OPTIONS (SET sslmode 'prefer')",
        )
        .unwrap();
    train("tls again").unwrap();
    assert_eq!(models(), "2");
}
