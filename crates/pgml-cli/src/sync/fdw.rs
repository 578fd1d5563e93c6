//! `pgml sync fdw`: make the source's tables readable on the pgml server through postgres_fdw —
//! extension, foreign server (with a bulk-friendly fetch_size), user mapping, IMPORT FOREIGN SCHEMA —
//! after checking the source role's rights, and reading a row through each table at the end.
//! Running it again updates the server and mapping and imports only the tables not yet there.

use std::process::ExitCode;

use pgml_postgres::quote_literal;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::ident as quote_ident;

#[derive(Debug, clap::Args)]
pub struct FdwArgs {
    /// The server whose tables are read (libpq URL; the password may come from PGPASSWORD or ~/.pgpass).
    #[arg(long)]
    pub source: String,
    /// The pgml server that gets the foreign tables.
    #[arg(long)]
    pub target: String,
    /// Schema on the source to import.
    #[arg(
        long = "schema",
        visible_alias = "remote-schema",
        default_value = "public"
    )]
    pub remote_schema: String,
    /// Schema on the target for the foreign tables.
    #[arg(long, default_value = "prod")]
    pub local_schema: String,
    /// Name of the foreign server on the target.
    #[arg(
        long = "fdw-server",
        visible_alias = "server",
        default_value = "pgml_source"
    )]
    pub server: String,
    /// Rows per round trip when reading (postgres_fdw's default, 100, is far too small for training pulls).
    #[arg(long, default_value_t = 10_000)]
    pub fetch_size: u32,
    /// Print the SQL (password masked) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// preflight → plan → (print; --dry-run stops here) → execute → verify.
pub fn run(args: &FdwArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let target = Server::parse(&args.target)?;
    if args.fetch_size == 0 {
        return Err(Error::Usage {
            message: "--fetch-size must be at least 1".into(),
            hint: None,
        });
    }
    let mut src = source.connect()?;
    let tables = preflight(args, &mut src)?;
    let mut dst = target.connect()?;
    let plan = plan(args, &source, &mut dst, &tables)?;
    print_plan(args, &source, &target, &tables, &plan);
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    execute(&plan, &mut dst)?;
    verify(args, &tables, &mut dst)?;
    Ok(ExitCode::SUCCESS)
}

/// The source role's rights: USAGE on the schema, SELECT on every table and view in it. Returns the
/// tables to import.
fn preflight(args: &FdwArgs, src: &mut postgres::Client) -> Result<Vec<String>> {
    // Check the source role's rights: USAGE on the schema, SELECT on every table and view in it.
    let usage: bool = src
        .query_one(
            "SELECT has_schema_privilege(current_user, n.oid, 'USAGE') FROM pg_namespace n WHERE nspname = $1
             UNION ALL SELECT false LIMIT 1",
            &[&args.remote_schema],
        )
        .map_err(|e| Error::sql("checking the schema on the source", e))?
        .get(0);
    let role: String = src
        .query_one("SELECT current_user::text", &[])
        .map_err(|e| Error::sql("reading the source role", e))?
        .get(0);
    if !usage {
        return Err(Error::Refused {
            message: format!(
                "role {role} has no USAGE on schema {} on the source (or it does not exist); nothing was changed",
                args.remote_schema
            ),
            hint: Some(format!(
                "on the source: GRANT USAGE ON SCHEMA {} TO {};",
                quote_ident(&args.remote_schema),
                quote_ident(&role)
            )),
        });
    }
    let rows = src
        .query(
            "SELECT c.relname::text, has_table_privilege(current_user, c.oid, 'SELECT')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND NOT c.relispartition
              ORDER BY 1",
            &[&args.remote_schema],
        )
        .map_err(|e| Error::sql("listing the source's tables", e))?;
    let tables: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let denied: Vec<String> = rows
        .iter()
        .filter(|r| !r.get::<_, bool>(1))
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "schema {} on the source has no tables to import",
                args.remote_schema
            ),
            hint: None,
        });
    }
    if !denied.is_empty() {
        let list: Vec<String> = denied
            .iter()
            .map(|t| format!("{}.{}", quote_ident(&args.remote_schema), quote_ident(t)))
            .collect();
        return Err(Error::Refused {
            message: format!(
                "role {role} cannot SELECT from {} on the source; nothing was changed",
                denied.join(", ")
            ),
            hint: Some(format!(
                "on the source: GRANT SELECT ON {} TO {};",
                list.join(", "),
                quote_ident(&role)
            )),
        });
    }

    Ok(tables)
}

/// The SQL on the target, each statement as run and as shown (the user mapping's password masked):
/// update what exists, create what does not, import only the tables not there yet.
#[derive(Debug)]
struct Plan {
    statements: Vec<(String, String)>,
    to_import: Vec<String>,
}

fn plan(
    args: &FdwArgs,
    source: &Server,
    dst: &mut postgres::Client,
    tables: &[String],
) -> Result<Plan> {
    // Plan the SQL on the target: update what exists, create what does not.
    let (user, password) = (
        source.user().to_string(),
        source.password().map(str::to_string),
    );
    let existing_server: Option<Vec<String>> = dst
        .query_opt(
            "SELECT coalesce(srvoptions, '{}') FROM pg_foreign_server WHERE srvname = $1",
            &[&args.server],
        )
        .map_err(|e| Error::sql("looking up the foreign server", e))?
        .map(|r| r.get(0));
    // sslmode (and any sslrootcert/sslcert/sslkey given) go on the foreign server too: the pgml
    // server must reach the source as securely as pgml itself does.
    let mut server_options = source.server_options();
    server_options.push(("fetch_size", args.fetch_size.to_string()));
    let mut statements: Vec<(String, String)> =
        vec![plain("CREATE EXTENSION IF NOT EXISTS postgres_fdw".into())];
    let srv = quote_ident(&args.server);
    match &existing_server {
        None => statements.push(plain(format!(
            "CREATE SERVER {srv} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})",
            options(&server_options, None)
        ))),
        Some(current) => statements.push(plain(format!(
            "ALTER SERVER {srv} OPTIONS ({})",
            options(&server_options, Some(current))
        ))),
    }
    let mapping: Option<Vec<String>> = dst
        .query_opt(
            "SELECT coalesce(umoptions, '{}') FROM pg_user_mappings WHERE srvname = $1 AND usename = current_user",
            &[&args.server],
        )
        .map_err(|e| Error::sql("looking up the user mapping", e))?
        .map(|r| r.get(0));
    // The statement run carries the password; the one shown has *** in its place.
    let mapping_sql = |password: Option<String>| {
        let mut opts = vec![("user", user.clone())];
        if let Some(p) = password {
            opts.push(("password", p));
        }
        match &mapping {
            None => format!(
                "CREATE USER MAPPING FOR CURRENT_USER SERVER {srv} OPTIONS ({})",
                options(&opts, None)
            ),
            Some(current) => format!(
                "ALTER USER MAPPING FOR CURRENT_USER SERVER {srv} OPTIONS ({})",
                options(&opts, Some(current))
            ),
        }
    };
    let shown = mapping_sql(password.as_ref().map(|_| "***".to_string()));
    statements.push((mapping_sql(password), shown));
    let local = quote_ident(&args.local_schema);
    statements.push(plain(format!("CREATE SCHEMA IF NOT EXISTS {local}")));
    let present: Vec<String> = dst
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1",
            &[&args.local_schema],
        )
        .map_err(|e| Error::sql("listing the local schema", e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let to_import: Vec<&String> = tables.iter().filter(|t| !present.contains(t)).collect();
    if !to_import.is_empty() {
        let list: Vec<String> = to_import.iter().map(|t| quote_ident(t)).collect();
        statements.push(plain(format!(
            "IMPORT FOREIGN SCHEMA {} LIMIT TO ({}) FROM SERVER {srv} INTO {local}",
            quote_ident(&args.remote_schema),
            list.join(", ")
        )));
    }

    let to_import = to_import.into_iter().cloned().collect();
    Ok(Plan {
        statements,
        to_import,
    })
}

fn print_plan(args: &FdwArgs, source: &Server, target: &Server, tables: &[String], plan: &Plan) {
    let Plan {
        statements,
        to_import,
    } = plan;
    println!(
        "plan: read {} table(s) of {}.{} on {} from {} as {}.*",
        tables.len(),
        source.dbname(),
        args.remote_schema,
        source.masked(),
        target.masked(),
        args.local_schema
    );
    for t in tables.iter() {
        println!(
            "  {t}{}",
            if to_import.contains(t) {
                ""
            } else {
                " (already imported)"
            }
        );
    }
    for (_, shown) in statements.iter() {
        println!("  {shown};");
    }
}

/// Every statement in one transaction: all or nothing on the target.
fn execute(plan: &Plan, dst: &mut postgres::Client) -> Result<()> {
    let statements = &plan.statements;
    crate::pg::keep_secrets_out_of_logs(dst);
    let mut tx = dst
        .transaction()
        .map_err(|e| Error::sql("starting a transaction on the target", e))?;
    for (sql, shown) in statements.iter() {
        tx.batch_execute(sql)
            .map_err(|e| Error::sql(format!("running {shown}"), e))?;
    }
    tx.commit()
        .map_err(|e| Error::sql("committing on the target", e))?;

    Ok(())
}

/// A row read through every foreign table.
fn verify(args: &FdwArgs, tables: &[String], dst: &mut postgres::Client) -> Result<()> {
    let local = quote_ident(&args.local_schema);
    // Verify: a row read through every foreign table.
    for t in tables.iter() {
        let q = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {local}.{} LIMIT 1) s",
            quote_ident(t)
        );
        let n: i64 = dst
            .query_one(&q, &[])
            .map_err(|e| {
                Error::sql(
                    format!(
                        "reading {}.{t} through the foreign server",
                        args.local_schema
                    ),
                    e,
                )
            })?
            .get(0);
        println!(
            "verified: {}.{t} {}",
            args.local_schema,
            if n > 0 {
                "reads rows from the source"
            } else {
                "is reachable (the source table is empty)"
            }
        );
    }
    Ok(())
}

fn plain(sql: String) -> (String, String) {
    (sql.clone(), sql)
}

/// `key 'value'` pairs; with the current options, `SET` for the ones present and `ADD` for the rest.
fn options(values: &[(&str, String)], current: Option<&Vec<String>>) -> String {
    values
        .iter()
        .map(|(k, v)| {
            let verb = match current {
                None => "",
                Some(c) if c.iter().any(|o| o.starts_with(&format!("{k}="))) => "SET ",
                Some(_) => "ADD ",
            };
            format!("{verb}{k} {}", quote_literal(v))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_add_or_set() {
        let current = vec!["host=a".to_string()];
        let o = options(
            &[("host", "b".into()), ("port", "1".into())],
            Some(&current),
        );
        assert_eq!(o, "SET host 'b', ADD port '1'");
        assert_eq!(options(&[("host", "it's".into())], None), "host 'it''s'");
    }
}
