//! `pgml train --distributed`: one model over shard servers, driven through the coordinator's own
//! `pgml.train(..., hyperparams => '{"distributed": true}')` (docs/distributed-training.md).
//!
//! The coordinator logic (shard preflight, label encoding, the tracker, the shards' workers, the
//! checks of their answers, lineage) lives in the extension and is not repeated here. This command
//! prepares, inside one transaction on the coordinator, exactly what the SQL form needs — a
//! postgres_fdw server and user mapping per shard URL and a temporary partitioned table whose
//! partitions are foreign tables on the shards — calls `pgml.train` on it, drops what it made and
//! commits: other sessions never see the servers or tables, only the model, its snapshot row and
//! its lineage. Any failure rolls the whole transaction back.
//!
//! preflight → plan → (print; --dry-run runs the preparation and rolls it back) → execute → verify.

use std::process::ExitCode;

use pgml_postgres::quote_literal;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::ident;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Train over shard servers, each reading only its own rows (required: single-server training
    /// is `SELECT pgml.train(...)` on the server).
    #[arg(long)]
    pub distributed: bool,
    /// The coordinator: the pgml server that runs the job and stores the model (libpq URL,
    /// key=value string or service=NAME).
    #[arg(long)]
    pub coordinator: String,
    /// A shard server as the coordinator reaches it (repeat once per shard); pgml installed there,
    /// the coordinator's version. Its password goes into a user mapping that is never committed.
    #[arg(long = "shard", required = true)]
    pub shards: Vec<String>,
    /// The table or view holding the rows on every shard (schema.table; default schema public).
    #[arg(long)]
    pub relation: String,
    /// The label column (none for clustering and decomposition).
    #[arg(long)]
    pub label: Option<String>,
    /// Feature columns, comma-separated [default: every column of the relation but the label].
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// The project the model belongs to (created on first train).
    #[arg(long)]
    pub project: String,
    /// classification, regression, clustering or decomposition (needed for a new project).
    #[arg(long)]
    pub task: Option<String>,
    /// xgboost, linear, ridge, kmeans or pca.
    #[arg(long, default_value = "xgboost")]
    pub algorithm: String,
    /// The algorithm's hyperparameters as a JSON object ("distributed": true is added).
    #[arg(long, default_value = "{}")]
    pub hyperparams: String,
    /// Share of each shard's rows held out for the metrics.
    #[arg(long, default_value_t = 0.25)]
    pub test_size: f32,
    /// How each shard picks its test rows: stratified, random or last.
    #[arg(long, default_value = "stratified")]
    pub test_sampling: String,
    /// Store the model without deploying it.
    #[arg(long)]
    pub no_deploy: bool,
    /// Prepare everything on the coordinator (servers, mappings, the shards' columns) and roll it
    /// back instead of training.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document instead of text (described in docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

/// A shard as given and as it will be named in messages (1-based, in --shard order).
struct Shard {
    server: Server,
    number: usize,
}

impl Shard {
    fn label(&self) -> String {
        format!("shard {} ({})", self.number, self.server.masked())
    }
}

/// What runs on the coordinator.
struct Plan {
    /// Names unique to this run (the coordinator backend's pid): the foreign servers.
    server_names: Vec<String>,
    /// The temporary partitioned table pgml.train reads, `pg_temp.<relation's table name>`.
    parent: String,
    hyperparams: serde_json::Value,
    remote_schema: String,
    remote_table: String,
}

pub fn run(args: &TrainArgs) -> Result<ExitCode> {
    if !args.distributed {
        return Err(Error::Usage {
            message: "pgml train runs distributed jobs only: add --distributed".into(),
            hint: Some("on one server, train with SELECT * FROM pgml.train(...)".into()),
        });
    }
    let coordinator = Server::parse(&args.coordinator)?;
    let shards: Vec<Shard> = args
        .shards
        .iter()
        .enumerate()
        .map(|(i, u)| {
            Ok(Shard {
                server: Server::parse(u)?,
                number: i + 1,
            })
        })
        .collect::<Result<_>>()?;
    let (remote_schema, remote_table) = split_relation(&args.relation)?;
    let hyperparams = distributed_hyperparams(&args.hyperparams)?;

    let mut client = coordinator.connect()?;
    preflight(&mut client, &coordinator)?;
    let pid: i32 = client
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])
        .map_err(|e| Error::sql("reading the coordinator's backend pid", e))?
        .get(0);
    let plan = Plan {
        server_names: (1..=shards.len())
            .map(|n| format!("pgml_train_{pid}_shard{n}"))
            .collect(),
        parent: format!("pg_temp.{}", ident(&remote_table)),
        hyperparams,
        remote_schema,
        remote_table,
    };
    say!(
        args.json,
        "plan: train project {} ({}) over {} shard(s), {}.{} on each, coordinated by {}",
        args.project,
        args.algorithm,
        shards.len(),
        plan.remote_schema,
        plan.remote_table,
        coordinator.masked()
    );
    for s in &shards {
        say!(args.json, "  {}", s.label());
    }

    // Statements that carry a shard's password stay out of the coordinator's log (for a
    // superuser; other roles keep the server's logging settings).
    crate::pg::keep_secrets_out_of_logs(&mut client);
    let cancel = CancelOnInterrupt::arm(&coordinator, client.cancel_token());
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting a transaction on the coordinator", e))?;
    prepare(&mut tx, args, &shards, &plan)?;
    if args.dry_run {
        tx.rollback()
            .map_err(|e| Error::sql("rolling back the dry run", e))?;
        drop(cancel);
        say!(
            args.json,
            "dry run: the coordinator reached shard 1 and every column is there; nothing was changed \
             (the shards are checked by pgml.train itself)"
        );
        if args.json {
            crate::print_json(&serde_json::json!({
                "coordinator": coordinator.masked(),
                "shards": shards.iter().map(|s| serde_json::json!({
                    "url": s.server.masked(), "rows": null, "train_rows": null, "test_rows": null,
                    "bytes_sent": null, "bytes_received": null, "seconds": null,
                })).collect::<Vec<_>>(),
                "dry_run": true,
                "algorithm": args.algorithm,
                "deployed": null,
                "metrics": null,
                "seconds": null,
                "project": args.project,
                "model_id": null,
            }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let trained = execute(&mut tx, args, &plan)?;
    cleanup(&mut tx, &plan)?;
    tx.commit()
        .map_err(|e| Error::sql("committing on the coordinator", e))?;
    drop(cancel);
    verify(&mut client, &plan, &trained)?;
    report(args, &coordinator, &shards, &trained);
    Ok(ExitCode::SUCCESS)
}

/// `schema.table` or `table` (schema public), each part bare or double-quoted as in SQL.
fn split_relation(s: &str) -> Result<(String, String)> {
    let usage = |why: &str| Error::Usage {
        message: format!("--relation {s:?}: {why}"),
        hint: Some("give the relation on the shards as schema.table, e.g. public.events".into()),
    };
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            // Unquoted names fold to lower case, as PostgreSQL folds them.
            c if !quoted => cur.extend(c.to_lowercase()),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(usage("an unterminated double quote"));
    }
    parts.push(cur);
    if parts.iter().any(String::is_empty) {
        return Err(usage("an empty name"));
    }
    match parts.len() {
        1 => Ok(("public".into(), parts.remove(0))),
        2 => {
            let table = parts.remove(1);
            Ok((parts.remove(0), table))
        }
        _ => Err(usage("more than schema.table")),
    }
}

/// The user's hyperparameters with `"distributed": true`.
fn distributed_hyperparams(given: &str) -> Result<serde_json::Value> {
    let usage = |why: String| Error::Usage {
        message: format!("--hyperparams: {why}"),
        hint: Some(r#"give a JSON object, e.g. --hyperparams '{"n_estimators": 50}'"#.into()),
    };
    let mut v: serde_json::Value =
        serde_json::from_str(given).map_err(|e| usage(format!("not JSON: {e}")))?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| usage("not a JSON object".into()))?;
    match obj.get("distributed") {
        None | Some(serde_json::Value::Bool(true)) => {}
        Some(other) => {
            return Err(usage(format!(
                "\"distributed\" is {other}; this command always trains distributed"
            )))
        }
    }
    obj.insert("distributed".into(), serde_json::Value::Bool(true));
    Ok(v)
}

/// What the coordinator must have before anything is created: pgml at this command's version,
/// postgres_fdw installed, and the caller's rights to make a foreign server and temporary tables.
fn preflight(client: &mut postgres::Client, coordinator: &Server) -> Result<()> {
    let row = client
        .query_one(
            "SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgml'),
                    EXISTS (SELECT FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = 'postgres_fdw'),
                    pg_catalog.has_database_privilege(pg_catalog.current_database(), 'TEMPORARY'),
                    CURRENT_USER::text",
            &[],
        )
        .map_err(|e| Error::sql("checking the coordinator", e))?;
    let (version, fdw, temp, user): (Option<String>, bool, bool, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let refuse = |message: String, hint: String| Error::Refused {
        message: format!(
            "{message} on the coordinator {}; nothing was changed",
            coordinator.masked()
        ),
        hint: Some(hint),
    };
    match version.as_deref() {
        None => {
            return Err(refuse(
                "pgml is not installed".into(),
                "CREATE EXTENSION pgml on the coordinator".into(),
            ))
        }
        Some(v) if v != pgml_core::VERSION => {
            return Err(refuse(
                format!("pgml {v} is installed, this command is pgml {}", pgml_core::VERSION),
                format!(
                    "ALTER EXTENSION pgml UPDATE TO '{}' on the coordinator (and the shards), or use the pgml command of version {v}",
                    pgml_core::VERSION
                ),
            ))
        }
        Some(_) => {}
    }
    if !fdw {
        return Err(refuse(
            "postgres_fdw is not installed".into(),
            "CREATE EXTENSION postgres_fdw on the coordinator (as a superuser)".into(),
        ));
    }
    let usage: bool = client
        .query_one(
            "SELECT pg_catalog.has_foreign_data_wrapper_privilege('postgres_fdw', 'USAGE')",
            &[],
        )
        .map_err(|e| Error::sql("checking the coordinator", e))?
        .get(0);
    if !usage {
        return Err(refuse(
            format!("role {user} may not create foreign servers (no USAGE on postgres_fdw)"),
            format!(
                "on the coordinator: GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO {}",
                ident(&user)
            ),
        ));
    }
    if !temp {
        return Err(refuse(
            format!("role {user} may not create temporary tables"),
            format!(
                "on the coordinator: GRANT TEMPORARY ON DATABASE {} TO {}",
                ident(&coordinator.dbname()),
                ident(&user)
            ),
        ));
    }
    Ok(())
}

/// Runs a prepared statement, showing it (password masked) unless printing JSON.
fn run_step(tx: &mut postgres::Transaction<'_>, sql: &str, shown: &str, json: bool) -> Result<()> {
    say!(json, "  {shown};");
    tx.batch_execute(sql)
        .map_err(|e| Error::sql(format!("running {shown}"), e))
}

fn options(values: &[(&str, String)]) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k} {}", quote_literal(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The foreign servers and user mappings, shard 1's columns (read through the coordinator, as
/// the job will reach it), and the temporary partitioned table of foreign partitions.
fn prepare(
    tx: &mut postgres::Transaction<'_>,
    args: &TrainArgs,
    shards: &[Shard],
    plan: &Plan,
) -> Result<()> {
    let json = args.json;
    run_step(
        tx,
        "SET LOCAL search_path = pg_catalog, pg_temp",
        "SET LOCAL search_path = pg_catalog, pg_temp",
        json,
    )?;
    for (s, name) in shards.iter().zip(&plan.server_names) {
        let sql = format!(
            "CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})",
            ident(name),
            options(&s.server.server_options())
        );
        run_step(tx, &sql, &sql, json)?;
        let mapping = |password: Option<&str>| {
            let mut o = vec![("user", s.server.user().to_string())];
            if let Some(p) = password {
                o.push(("password", p.to_string()));
            }
            format!(
                "CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({})",
                ident(name),
                options(&o)
            )
        };
        let shown = mapping(s.server.password().map(|_| "***"));
        run_step(tx, &mapping(s.server.password()), &shown, json)?;
    }
    let columns = shard_columns(tx, args, &shards[0], plan)?;
    let chosen = choose_columns(args, &shards[0], plan, &columns)?;
    let key = chosen.iter().find(|c| c.hashable).ok_or_else(|| Error::Refused {
        message: format!(
            "none of the columns {} has a hash operator class, which the coordinator's temporary partitioned table needs; nothing was changed",
            chosen.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
        hint: Some("train with the SQL form over a partitioned table you create (docs/distributed-training.md)".into()),
    })?;
    let sql = format!(
        "CREATE TABLE {} ({}) PARTITION BY HASH ({})",
        plan.parent,
        chosen
            .iter()
            .map(|c| format!("{} {}", ident(&c.name), c.type_name))
            .collect::<Vec<_>>()
            .join(", "),
        ident(&key.name)
    );
    run_step(tx, &sql, &sql, json)?;
    for (i, name) in plan.server_names.iter().enumerate() {
        // Bounds only place rows on INSERT, which never happens: each shard reads its own table.
        let sql = format!(
            "CREATE FOREIGN TABLE pg_temp.{} PARTITION OF {} FOR VALUES WITH (MODULUS {}, REMAINDER {i}) SERVER {} OPTIONS (schema_name {}, table_name {})",
            ident(&format!("shard{}", i + 1)),
            plan.parent,
            plan.server_names.len(),
            ident(name),
            quote_literal(&plan.remote_schema),
            quote_literal(&plan.remote_table)
        );
        run_step(tx, &sql, &sql, json)?;
    }
    Ok(())
}

struct RemoteColumn {
    name: String,
    type_name: String,
    hashable: bool,
}

/// Shard 1's columns of the relation, imported through the coordinator into a temporary foreign
/// table that is dropped again at once.
fn shard_columns(
    tx: &mut postgres::Transaction<'_>,
    args: &TrainArgs,
    first: &Shard,
    plan: &Plan,
) -> Result<Vec<RemoteColumn>> {
    let sql = format!(
        "IMPORT FOREIGN SCHEMA {} LIMIT TO ({}) FROM SERVER {} INTO pg_temp",
        ident(&plan.remote_schema),
        ident(&plan.remote_table),
        ident(&plan.server_names[0])
    );
    say!(args.json, "  {sql};");
    tx.batch_execute(&sql).map_err(|e| shard_error(first, e))?;
    let rows = tx
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
                    EXISTS (SELECT FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_am m ON m.oid = o.opcmethod
                             WHERE m.amname = 'hash' AND o.opcdefault AND o.opcintype = a.atttypid)
               FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&plan.parent],
        )
        .map_err(|e| Error::sql("reading shard 1's columns on the coordinator", e))?;
    if rows.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "relation {}.{} does not exist on {} (or the role {} there may not see it); nothing was changed",
                plan.remote_schema,
                plan.remote_table,
                first.label(),
                first.server.user()
            ),
            hint: Some("give --relation as schema.table, as it is named on the shards".into()),
        });
    }
    let sql = format!("DROP FOREIGN TABLE {}", plan.parent);
    tx.batch_execute(&sql)
        .map_err(|e| Error::sql(format!("running {sql}"), e))?;
    Ok(rows
        .iter()
        .map(|r| RemoteColumn {
            name: r.get(0),
            type_name: r.get(1),
            hashable: r.get(2),
        })
        .collect())
}

/// The features (as given, else every column but the label) and the label, in that order.
fn choose_columns<'a>(
    args: &TrainArgs,
    first: &Shard,
    plan: &Plan,
    columns: &'a [RemoteColumn],
) -> Result<Vec<&'a RemoteColumn>> {
    let find = |name: &str| {
        columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::Refused {
                message: format!(
                    "column {name:?} is not in {}.{} on {}; nothing was changed",
                    plan.remote_schema,
                    plan.remote_table,
                    first.label()
                ),
                hint: Some(format!(
                    "its columns: {}",
                    columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            })
    };
    let label = args.label.as_deref().map(find).transpose()?;
    let mut chosen: Vec<&RemoteColumn> = if args.features.is_empty() {
        columns
            .iter()
            .filter(|c| Some(c.name.as_str()) != args.label.as_deref())
            .collect()
    } else {
        args.features
            .iter()
            .filter(|f| Some(f.as_str()) != args.label.as_deref())
            .map(|f| find(f))
            .collect::<Result<_>>()?
    };
    chosen.extend(label);
    Ok(chosen)
}

/// A failure reaching shard 1 through the coordinator (postgres_fdw's IMPORT), named.
fn shard_error(shard: &Shard, e: postgres::Error) -> Error {
    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
    let what = pgml_postgres::describe_pg_error(&e);
    if code.starts_with("08") {
        Error::Server {
            message: format!(
                "the coordinator cannot reach {}: {what}; nothing was changed",
                shard.label()
            ),
            hint: Some(
                "check that the shard runs and that the URL's host, port, user and password work from the coordinator's host"
                    .into(),
            ),
        }
    } else if matches!(
        code.as_str(),
        "3F000" | "42501" | "28000" | "28P01" | "2F003"
    ) {
        Error::Refused {
            message: format!(
                "reading the relation's columns on {}: {what}; nothing was changed",
                shard.label()
            ),
            hint: None,
        }
    } else {
        Error::sql(
            format!("reading the relation's columns on {}", shard.label()),
            e,
        )
    }
}

/// What the coordinator stored.
struct Trained {
    deployed: bool,
    model_id: i64,
    metrics: serde_json::Value,
    distributed: serde_json::Value,
}

fn execute(tx: &mut postgres::Transaction<'_>, args: &TrainArgs, plan: &Plan) -> Result<Trained> {
    let sql = "SELECT deployed FROM pgml.train(project_name => $1, task => $2, relation_name => $3,
                    y_column_name => $4, algorithm => $5::text::pgml.algorithm,
                    hyperparams => $6::text::jsonb, test_size => $7,
                    test_sampling => $8::text::pgml.sampling, automatic_deploy => $9)";
    let hyperparams = plan.hyperparams.to_string();
    say!(
        args.json,
        "  SELECT * FROM pgml.train({}, {}, {}, {}, algorithm => {}, hyperparams => {}, test_size => {}, test_sampling => {}, automatic_deploy => {});",
        quote_literal(&args.project),
        args.task.as_deref().map_or("NULL".into(), quote_literal),
        quote_literal(&plan.parent),
        args.label.as_deref().map_or("NULL".into(), quote_literal),
        quote_literal(&args.algorithm),
        quote_literal(&hyperparams),
        args.test_size,
        quote_literal(&args.test_sampling),
        !args.no_deploy
    );
    let row = tx
        .query_one(
            sql,
            &[
                &args.project,
                &args.task,
                &plan.parent,
                &args.label,
                &args.algorithm,
                &hyperparams,
                &args.test_size,
                &args.test_sampling,
                &!args.no_deploy,
            ],
        )
        .map_err(train_error)?;
    let deployed: bool = row.get(0);
    // This transaction's snapshot: its relation is this backend's temporary table, which no
    // other session can name.
    let row = tx
        .query_one(
            "SELECT m.id, m.metrics::text, (s.lineage->'distributed')::text
               FROM pgml.models m JOIN pgml.snapshots s ON s.id = m.snapshot_id
              WHERE s.relation_name = (SELECT pg_catalog.format('%I.%I', n.nspname, $1::text)
                                         FROM pg_catalog.pg_namespace n WHERE n.oid = pg_catalog.pg_my_temp_schema())
              ORDER BY m.id DESC LIMIT 1",
            &[&plan.remote_table],
        )
        .map_err(|e| Error::sql("reading the stored model", e))?;
    let parse = |s: Option<String>| {
        s.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    Ok(Trained {
        deployed,
        model_id: row.get(0),
        metrics: parse(row.get(1)),
        distributed: parse(row.get(2)),
    })
}

/// pgml.train's failures: its shard preflight finds a shard down (08001), without pgml or at
/// another version (55000), without the table (42P01) or the rights (42501), each named; those
/// changed nothing, so they exit like every refused check. The rest is a failed statement.
fn train_error(e: postgres::Error) -> Error {
    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
    let what = pgml_postgres::describe_pg_error(&e);
    match code.as_str() {
        "08001" => Error::Server {
            message: format!("pgml.train on the coordinator: {what}; nothing was changed"),
            hint: None,
        },
        "55000" | "42P01" | "42501" | "42703" | "42804" | "0A000" | "22023" | "2F003" => {
            Error::Refused {
                message: format!("pgml.train on the coordinator: {what}; nothing was changed"),
                hint: None,
            }
        }
        _ => Error::Sql {
            context: "pgml.train on the coordinator (rolled back; nothing was changed)".into(),
            source: e,
        },
    }
}

/// The servers, mappings and tables this run made go before the commit: only the model stays.
fn cleanup(tx: &mut postgres::Transaction<'_>, plan: &Plan) -> Result<()> {
    let sql = format!(
        "DROP TABLE {}; DROP SERVER {} CASCADE",
        plan.parent,
        plan.server_names
            .iter()
            .map(|s| ident(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    tx.batch_execute(&sql)
        .map_err(|e| Error::sql(format!("running {sql}"), e))
}

/// The model is there, and nothing this run made is.
fn verify(client: &mut postgres::Client, plan: &Plan, trained: &Trained) -> Result<()> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT FROM pgml.models WHERE id = $1),
                    (SELECT pg_catalog.count(*) FROM pg_catalog.pg_foreign_server WHERE srvname = ANY($2))",
            &[&trained.model_id, &plan.server_names],
        )
        .map_err(|e| Error::sql("verifying on the coordinator", e))?;
    let (model, servers): (bool, i64) = (row.get(0), row.get(1));
    if !model || servers != 0 {
        return Err(Error::Verification {
            message: format!(
                "after the commit: model {} {}, {servers} of this run's foreign servers left",
                trained.model_id,
                if model { "stored" } else { "missing" }
            ),
            hint: None,
        });
    }
    Ok(())
}

fn report(args: &TrainArgs, coordinator: &Server, shards: &[Shard], t: &Trained) {
    let lineage = t
        .distributed
        .get("shards")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    if args.json {
        crate::print_json(&serde_json::json!({
            "coordinator": coordinator.masked(),
            "shards": shards.iter().zip(lineage.iter().map(Some).chain(std::iter::repeat(None))).map(|(s, l)| {
                let get = |k: &str| l.and_then(|l| l.get(k)).cloned().unwrap_or(serde_json::Value::Null);
                serde_json::json!({
                    "url": s.server.masked(),
                    "rows": get("rows"), "train_rows": get("train_rows"), "test_rows": get("test_rows"),
                    "bytes_sent": get("bytes_sent"), "bytes_received": get("bytes_received"),
                    "seconds": get("seconds"),
                })
            }).collect::<Vec<_>>(),
            "dry_run": false,
            "project": args.project,
            "algorithm": args.algorithm,
            "model_id": t.model_id,
            "deployed": t.deployed,
            "metrics": t.metrics,
            "seconds": t.distributed.get("seconds"),
        }));
        return;
    }
    for (s, l) in shards.iter().zip(&lineage) {
        println!(
            "{}: {} rows ({} train, {} test), {} bytes sent, {} received",
            s.label(),
            l["rows"],
            l["train_rows"],
            l["test_rows"],
            l["bytes_sent"],
            l["bytes_received"]
        );
    }
    let metrics = t
        .metrics
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    println!(
        "trained: model {} of project {} ({}), {}; {metrics}",
        t.model_id,
        args.project,
        args.algorithm,
        if t.deployed {
            "deployed"
        } else {
            "not deployed"
        }
    );
}

/// Ctrl-C while the job runs: cancel the coordinator's statement (which cancels the shards'),
/// then exit; the coordinator rolls the transaction back when the connection closes. Once pgml
/// handles SIGINT itself, a Ctrl-C after the job also exits (130, as the default action would).
struct CancelOnInterrupt {
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl CancelOnInterrupt {
    fn arm(coordinator: &Server, token: postgres::CancelToken) -> CancelOnInterrupt {
        use std::sync::atomic::{AtomicBool, Ordering};
        let armed = std::sync::Arc::new(AtomicBool::new(true));
        let (flag, server) = (armed.clone(), coordinator.clone());
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if rt.block_on(tokio::signal::ctrl_c()).is_err() {
                return;
            }
            if flag.load(Ordering::SeqCst) {
                eprintln!("pgml: interrupted: cancelling the job (the coordinator rolls back; nothing is stored)");
                let _ = server.cancel(&token);
            }
            std::process::exit(130);
        });
        CancelOnInterrupt { armed }
    }
}

impl Drop for CancelOnInterrupt {
    fn drop(&mut self) {
        self.armed.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_split_as_postgres_reads_them() {
        let ok = |s: &str| split_relation(s).unwrap();
        assert_eq!(ok("events"), ("public".into(), "events".into()));
        assert_eq!(ok("Shop.Events"), ("shop".into(), "events".into()));
        assert_eq!(ok("\"My Shop\".\"a.b\""), ("My Shop".into(), "a.b".into()));
        assert_eq!(ok("\"x\"\"y\""), ("public".into(), "x\"y".into()));
        for bad in ["", "a.", "a.b.c", "\"open", ".b"] {
            assert!(split_relation(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hyperparams_get_distributed() {
        let v = distributed_hyperparams(r#"{"n_estimators": 5}"#).unwrap();
        assert_eq!(v["distributed"], serde_json::Value::Bool(true));
        assert_eq!(v["n_estimators"], 5);
        assert!(distributed_hyperparams(r#"{"distributed": false}"#).is_err());
        assert!(distributed_hyperparams("[1]").is_err());
        assert!(distributed_hyperparams("{").is_err());
    }
}
