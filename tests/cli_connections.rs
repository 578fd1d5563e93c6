//! How `pgml` reaches servers set up like managed production databases: TLS required (every
//! sslmode, a certificate the test makes, host-name checks, client certificates), the libpq
//! environment and service files, and no password in anything pgml prints.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};

use pgml_e2e::{database_with_pgml, pgml_bin, start_servers, text, Certs, Server};

/// A server that accepts the test roles over TCP only with TLS (the superuser, which the test kit
/// uses for setup without TLS, is left as it was), and `certuser` by client certificate.
fn tls_server(certs: &Certs) -> Server {
    let server = Server::builder("tls-source")
        .setting("ssl", "on")
        .setting("ssl_cert_file", &certs.path("server.crt"))
        .setting("ssl_key_file", &certs.path("server.key"))
        .setting("ssl_ca_file", &certs.path("ca.crt"))
        .start()
        .unwrap();
    let hba = server.data_dir().join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!(
            "hostssl all certuser 127.0.0.1/32 cert\nhostnossl all reader,certuser 127.0.0.1/32 reject\n{old}"
        ),
    )
    .unwrap();
    server
        .execute("postgres", "SELECT pg_reload_conf()")
        .unwrap();
    server
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(pgml_bin());
    cmd.args(args);
    for var in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGSERVICE",
        "PGSSLMODE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

fn plan(source: &str, env: &[(&str, &str)]) -> Output {
    run(&["plan", "--source", source, "--sample-seconds", "0"], env)
}

#[test]
fn tls_every_sslmode_certificates_and_children() {
    let certs = Certs::make("sslmodes");
    let prod = tls_server(&certs);
    let ml = start_servers(&["pgml"]).pop().unwrap();
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int);
         INSERT INTO customers SELECT g, g % 90 FROM generate_series(1, 1000) g;
         ANALYZE;
         CREATE ROLE reader LOGIN PASSWORD 'tls-MARKERpw';
         CREATE ROLE certuser LOGIN;
         GRANT SELECT ON customers TO reader, certuser;",
    )
    .unwrap();
    database_with_pgml(&ml, "ml");
    let port = prod.port();
    let ca = certs.path("ca.crt");
    let url = |host: &str, query: &str| {
        format!("postgresql://reader:tls-MARKERpw@{host}:{port}/shop?{query}")
    };

    // The server refuses plain TCP, so every success below went over TLS.
    let plain = plan(&url("127.0.0.1", "sslmode=disable"), &[]);
    assert_eq!(plain.status.code(), Some(5), "{}", text(&plain));
    for query in ["sslmode=require", "sslmode=prefer", "sslmode=allow"] {
        let out = plan(&url("127.0.0.1", query), &[]);
        assert!(out.status.success(), "{query}: {}", text(&out));
    }
    let ok = plan(
        &url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("sslmode=verify-full"), "{}", text(&ok));
    let ok = plan(
        &url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    // The certificate names localhost, not 127.0.0.1: refused.
    let mismatch = plan(
        &url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &[],
    );
    assert_eq!(mismatch.status.code(), Some(5), "{}", text(&mismatch));
    assert!(
        text(&mismatch).to_lowercase().contains("certificate"),
        "{}",
        text(&mismatch)
    );
    // Without the test's CA the system's store does not trust the certificate.
    let untrusted = plan(&url("localhost", "sslmode=verify-full"), &[]);
    assert_eq!(untrusted.status.code(), Some(5), "{}", text(&untrusted));
    // PGSSLMODE applies to a URL without sslmode.
    let env_mode = plan(&url("127.0.0.1", ""), &[("PGSSLMODE", "disable")]);
    assert_eq!(env_mode.status.code(), Some(5), "{}", text(&env_mode));

    // A client certificate instead of a password (key=value form).
    let by_cert = format!(
        "host=localhost port={port} dbname=shop user=certuser sslmode=verify-full sslrootcert={ca} sslcert={} sslkey={}",
        certs.path("client.crt"),
        certs.path("client.key")
    );
    let out = plan(&by_cert, &[]);
    assert!(out.status.success(), "{}", text(&out));

    // pg_dump and psql get the same TLS settings (the server would refuse them otherwise).
    let source = url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let dump = run(
        &[
            "sync",
            "dump",
            "--source",
            &source,
            "--target",
            &ml.url("ml"),
            "--table",
            "customers",
        ],
        &[],
    );
    assert!(dump.status.success(), "{}", text(&dump));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM customers")
            .unwrap()
            .as_deref(),
        Some("1000")
    );

    // The FDW server gets sslmode (and the root certificate) and reads through TLS.
    let fdw = run(
        &[
            "sync",
            "fdw",
            "--source",
            &source,
            "--target",
            &ml.url("ml"),
            "--local-schema",
            "prod",
        ],
        &[],
    );
    assert!(fdw.status.success(), "{}", text(&fdw));
    assert!(
        text(&fdw).contains("sslmode 'verify-full'"),
        "{}",
        text(&fdw)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM prod.customers")
            .unwrap()
            .as_deref(),
        Some("1000")
    );
    for out in [&plain, &ok, &mismatch, &untrusted, &dump, &fdw] {
        assert!(
            !text(out).contains("tls-MARKERpw"),
            "password printed:\n{}",
            text(out)
        );
    }
}

/// What libpq reads besides the basics: revocation lists (`sslcrl`), client keys in every PEM
/// form OpenSSL reads (PKCS#1 "RSA PRIVATE KEY" as `openssl req` wrote them for years, and keys
/// encrypted with a passphrase given as `sslpassword`, which is never printed).
#[test]
fn tls_revocation_lists_and_client_keys_as_libpq_reads_them() {
    let certs = Certs::make("revocation");
    certs.sh(
        "touch index.txt; echo 01 > crlnumber
         printf '[ca]\\ndefault_ca = c\\n[c]\\ndatabase = index.txt\\ncrlnumber = crlnumber\\ndefault_md = sha256\\ndefault_crl_days = 2\\n' > ca.cnf
         openssl ca -config ca.cnf -keyfile ca.key -cert ca.crt -gencrl -out empty.crl 2>/dev/null
         openssl ca -config ca.cnf -keyfile ca.key -cert ca.crt -revoke server.crt 2>/dev/null
         openssl ca -config ca.cnf -keyfile ca.key -cert ca.crt -gencrl -out revoked.crl 2>/dev/null
         openssl rsa -in client.key -traditional -out client-pkcs1.key 2>/dev/null
         openssl pkcs8 -topk8 -in client.key -out client-encrypted.key -passout pass:key-MARKERpw 2>/dev/null
         chmod 600 client-pkcs1.key client-encrypted.key",
    );
    let prod = tls_server(&certs);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY); ANALYZE;
         CREATE ROLE certuser LOGIN; GRANT SELECT ON customers TO certuser;",
    )
    .unwrap();
    let port = prod.port();
    let ca = certs.path("ca.crt");
    let conn = |extra: &str| {
        format!(
            "host=localhost port={port} dbname=shop user=certuser sslmode=verify-full sslrootcert={ca} \
             sslcert={} {extra}",
            certs.path("client.crt")
        )
    };
    let key = |name: &str| format!("sslkey={}", certs.path(name));

    // A revocation list that does not name the server's certificate: connected.
    let ok = plan(
        &conn(&format!(
            "{} sslcrl={}",
            key("client.key"),
            certs.path("empty.crl")
        )),
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    // One that revokes it: refused, saying why.
    let revoked = plan(
        &conn(&format!(
            "{} sslcrl={}",
            key("client.key"),
            certs.path("revoked.crl")
        )),
        &[],
    );
    assert_eq!(revoked.status.code(), Some(5), "{}", text(&revoked));
    assert!(text(&revoked).contains("revoked"), "{}", text(&revoked));
    // PGSSLCRL says the same as sslcrl.
    let by_env = plan(
        &conn(&key("client.key")),
        &[("PGSSLCRL", certs.path("revoked.crl").as_str())],
    );
    assert_eq!(by_env.status.code(), Some(5), "{}", text(&by_env));

    // A PKCS#1 key, and an encrypted one opened by sslpassword.
    let pkcs1 = plan(&conn(&key("client-pkcs1.key")), &[]);
    assert!(pkcs1.status.success(), "{}", text(&pkcs1));
    let encrypted = plan(
        &conn(&format!(
            "{} sslpassword=key-MARKERpw",
            key("client-encrypted.key")
        )),
        &[],
    );
    assert!(encrypted.status.success(), "{}", text(&encrypted));
    let wrong = plan(
        &conn(&format!(
            "{} sslpassword=wrong-MARKERpw",
            key("client-encrypted.key")
        )),
        &[],
    );
    assert_eq!(wrong.status.code(), Some(5), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("sslpassword does not open it"),
        "{}",
        text(&wrong)
    );
    // pg_dump and psql open the encrypted key too (sslpassword reaches them in a service file
    // only pgml's user can read, removed when pgml ends; never on their command line).
    let ml = start_servers(&["pgml"]).pop().unwrap();
    ml.create_database("ml").unwrap();
    let dump = run(
        &[
            "sync",
            "dump",
            "--source",
            &conn(&format!(
                "{} sslpassword=key-MARKERpw",
                key("client-encrypted.key")
            )),
            "--target",
            &ml.url("ml"),
            "--table",
            "customers",
        ],
        &[],
    );
    assert!(dump.status.success(), "{}", text(&dump));
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("pgml-secrets-"))
        .collect();
    assert!(left.is_empty(), "secret files left behind: {left:?}");

    // libpq's protocol bounds, checked as libpq checks them.
    let bad = plan(
        &conn(&format!(
            "{} ssl_min_protocol_version=TLSv9",
            key("client.key")
        )),
        &[],
    );
    assert_eq!(bad.status.code(), Some(5), "{}", text(&bad));
    assert!(
        text(&bad).contains("invalid ssl_min_protocol_version"),
        "{}",
        text(&bad)
    );
    let tls13 = plan(
        &conn(&format!(
            "{} ssl_min_protocol_version=TLSv1.3",
            key("client.key")
        )),
        &[],
    );
    assert!(tls13.status.success(), "{}", text(&tls13));
    for out in [&ok, &revoked, &by_env, &pkcs1, &encrypted, &wrong, &dump] {
        assert!(
            !text(out).contains("MARKERpw"),
            "a secret printed:\n{}",
            text(out)
        );
    }
}

#[test]
fn libpq_environment_services_and_password_files() {
    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int);
         INSERT INTO customers SELECT g, g FROM generate_series(1, 100) g;
         ANALYZE;
         CREATE ROLE reader LOGIN PASSWORD 'env-MARKERpw';
         GRANT SELECT ON customers TO reader;",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    let port = prod.port().to_string();
    let dir = std::env::temp_dir().join(format!("pgml-e2e-libpq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, body: &str| -> String {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.display().to_string()
    };
    let passfile = file(
        "pgpass",
        &format!("127.0.0.1:{port}:shop:reader:env-MARKERpw\n"),
    );
    let services = file(
        "services.conf",
        &format!("[shop]\nhost=127.0.0.1\nport={port}\ndbname=shop\nuser=reader\n"),
    );
    let ok = |out: &Output, what: &str| {
        assert!(out.status.success(), "{what}: {}", text(out));
        assert!(
            !text(out).contains("env-MARKERpw"),
            "{what}: password printed\n{}",
            text(out)
        );
        assert!(
            text(out).contains(&format!(
                "source:   postgresql://reader@127.0.0.1:{port}/shop"
            )),
            "{what}: {}",
            text(out)
        );
    };
    // key=value with PGHOST/PGPORT/PGUSER/PGPASSWORD from the environment.
    let env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "reader"),
        ("PGPASSWORD", "env-MARKERpw"),
    ];
    ok(&plan("dbname=shop", &env), "dbname=shop with PG*");
    // A URL without port or user: PGPORT and PGUSER, as psql.
    ok(
        &plan("postgresql://127.0.0.1/shop", &env),
        "URL without port and user",
    );
    // --source left out: everything from the environment.
    let mut all_env = env.to_vec();
    all_env.push(("PGDATABASE", "shop"));
    ok(
        &run(&["plan", "--sample-seconds", "0"], &all_env),
        "no --source",
    );
    // A service file and a password file.
    let svc_env = [
        ("PGSERVICEFILE", services.as_str()),
        ("PGPASSFILE", passfile.as_str()),
    ];
    ok(&plan("service=shop", &svc_env), "service=shop");
    let mut svc_env2 = svc_env.to_vec();
    svc_env2.push(("PGSERVICE", "shop"));
    ok(
        &run(&["plan", "--sample-seconds", "0"], &svc_env2),
        "PGSERVICE",
    );
    // The children (pg_dump, psql) use the same resolved values.
    let dump = run(
        &[
            "sync",
            "dump",
            "--source",
            "service=shop",
            "--target",
            &ml.url("ml"),
            "--table",
            "customers",
        ],
        &svc_env,
    );
    assert!(dump.status.success(), "{}", text(&dump));
    assert!(!text(&dump).contains("env-MARKERpw"), "{}", text(&dump));
    // An unknown service is a usage error naming it.
    let missing = plan("service=nope", &svc_env);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("service \"nope\" not found"),
        "{}",
        text(&missing)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every command, on its success, dry-run and error paths, with a marker password given in a URL
/// (`?password=`) and in a key=value string (`password = ...` with spaces): it never appears.
#[test]
fn no_password_in_any_output() {
    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int);
         INSERT INTO customers SELECT g, g FROM generate_series(1, 100) g;
         ALTER ROLE postgres PASSWORD 'MARKERpw-Zq9';",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    ml.execute(
        "postgres",
        "CREATE ROLE other LOGIN PASSWORD 'MARKERpw-Zq9' SUPERUSER",
    )
    .unwrap();
    // DDL is logged on the pgml server (as many production servers do): the statements that carry
    // the password (user mapping, subscription) must still not reach its log.
    ml.execute("postgres", "ALTER SYSTEM SET log_statement = 'ddl'")
        .unwrap();
    ml.execute("postgres", "SELECT pg_reload_conf()").unwrap();
    let marker = "MARKERpw-Zq9";
    let src_url = format!(
        "postgresql://postgres@127.0.0.1:{}/shop?password={marker}",
        prod.port()
    );
    let src_kv = format!(
        "host=127.0.0.1 port={} dbname=shop user=postgres password = {marker}",
        prod.port()
    );
    let dst_kv = format!(
        "host=127.0.0.1 port={} dbname=ml user=other password = '{marker}'",
        ml.port()
    );
    let wrong_db = format!(
        "postgresql://postgres:{marker}@127.0.0.1:{}/nope",
        prod.port()
    );
    let bad = format!(
        "postgresql://postgres:{marker}@127.0.0.1:{}/shop?sslmode=sometimes",
        prod.port()
    );
    let pkg = std::env::temp_dir().join(format!("pgml-e2e-secret-{}.pgml", std::process::id()));
    let pkg_s = pkg.display().to_string();
    let mut runs: Vec<Vec<String>> = Vec::new();
    for src in [&src_url, &src_kv, &wrong_db, &bad] {
        for args in [
            vec![
                "plan",
                "--source",
                src,
                "--target",
                &dst_kv,
                "--sample-seconds",
                "0",
            ],
            vec![
                "plan",
                "--source",
                src,
                "--tables",
                "nope",
                "--sample-seconds",
                "0",
            ],
            vec![
                "sync",
                "dump",
                "--source",
                src,
                "--target",
                &dst_kv,
                "--table",
                "customers",
                "--dry-run",
            ],
            vec![
                "sync", "dump", "--source", src, "--target", &dst_kv, "--table", "nope",
            ],
            vec![
                "sync",
                "fdw",
                "--source",
                src,
                "--target",
                &dst_kv,
                "--dry-run",
            ],
            vec![
                "sync",
                "replicate",
                "--source",
                src,
                "--target",
                &dst_kv,
                "--tables",
                "customers",
                "--dry-run",
            ],
            vec!["sync", "status", "--target", &dst_kv, "--source", src],
            vec![
                "sync", "check", "--source", src, "--target", &dst_kv, "--name", "pgml",
            ],
            vec![
                "sync",
                "teardown",
                "--source",
                src,
                "--target",
                &dst_kv,
                "--dry-run",
            ],
            vec!["models", "export", "--source", src, "-o", &pkg_s],
            vec![
                "models",
                "push",
                "--source",
                src,
                "--to",
                &dst_kv,
                "--dry-run",
            ],
            vec![
                "models",
                "replicate",
                "--source",
                src,
                "--to",
                &dst_kv,
                "--dry-run",
            ],
        ] {
            runs.push(args.into_iter().map(String::from).collect());
        }
    }
    runs.push(
        [
            "sync",
            "dump",
            "--source",
            &src_kv,
            "--target",
            &dst_kv,
            "--table",
            "customers",
        ]
        .map(String::from)
        .to_vec(),
    );
    runs.push(
        ["sync", "fdw", "--source", &src_url, "--target", &dst_kv]
            .map(String::from)
            .to_vec(),
    );
    for args in &runs {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&refs, &[]);
        assert_ne!(
            out.status.code(),
            Some(101),
            "panicked: {refs:?}\n{}",
            text(&out)
        );
        assert!(
            !text(&out).contains(marker),
            "password printed by {refs:?}:\n{}",
            text(&out)
        );
    }
    assert!(
        !ml.log().contains(marker),
        "password in the pgml server's log:\n{}",
        ml.log()
    );
    let _ = std::fs::remove_file(Path::new(&pkg));
}
