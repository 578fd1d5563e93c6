//! `pgml models export | import | push`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

#[derive(Debug, clap::Args)]
pub struct Selection {
    /// Export the models of this project (repeatable). Without --project and --model: every project.
    #[arg(long = "project")]
    pub projects: Vec<String>,
    /// Export this model id (repeatable).
    #[arg(long = "model")]
    pub models: Vec<i64>,
    /// Only each project's deployed model.
    #[arg(long)]
    pub deployed_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The server holding the models: a libpq URL, key=value string or service=NAME. Default: the
    /// environment, as psql (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE, ...).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub source: String,
    #[command(flatten)]
    pub selection: Selection,
    /// Write the package here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Print what was exported as one JSON document (needs --output: standard output is the package
    /// otherwise).
    #[arg(long, requires = "output")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The server receiving the models: a libpq URL, key=value string or service=NAME. Default: the
    /// environment, as psql (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE, ...).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub target: String,
    /// Read the package from here instead of standard input.
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Import without changing which model each project deploys.
    #[arg(long)]
    pub no_deploy: bool,
    /// Run the import and roll it back: every check runs, nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document instead of text (described in docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The server holding the models (libpq URL).
    #[arg(long)]
    pub source: String,
    /// A server receiving the models (repeatable; --to is the same).
    #[arg(long = "target", visible_alias = "to", required = true)]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub selection: Selection,
    /// Import without changing which model each project deploys.
    #[arg(long)]
    pub no_deploy: bool,
    /// Run each import and roll it back: every check runs, nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document instead of text (described in docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

pub fn export(args: &ExportArgs) -> Result<ExitCode> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Usage {
            message: "the package is binary and standard output is a terminal".into(),
            hint: Some("redirect it (> models.pgml) or pass --output models.pgml".into()),
        });
    }
    let source = Server::parse(&args.source)?;
    // The output file is created before the export, so a path that cannot be written fails at
    // once instead of after a long download; a failed export removes it again.
    let file = match &args.output {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| Error::Usage {
            message: format!("cannot write {}: {e}", path.display()),
            hint: None,
        })?),
        None => None,
    };
    let bytes = match export_package(&source, &args.selection) {
        Ok(b) => b,
        Err(e) => {
            if let Some(path) = &args.output {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    match (file, &args.output) {
        (Some(mut f), Some(path)) => {
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::Environment {
                    message: format!("cannot write {}: {e}", path.display()),
                    hint: None,
                })?
        }
        _ => {
            // The package itself is the output; --json requires --output.
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .map_err(|e| Error::Environment {
                    message: format!("cannot write the package to standard output: {e}"),
                    hint: None,
                })?;
        }
    }
    if args.json {
        let path = args.output.as_ref().map(|p| p.display().to_string());
        crate::print_json(&serde_json::json!({
            "source": source.masked(),
            "output": path,
            "bytes": bytes.len(),
            "projects": package_contents(&bytes)?,
        }));
    }
    Ok(ExitCode::SUCCESS)
}

/// The projects and model ids a package holds, for `export --json`.
fn package_contents(bytes: &[u8]) -> Result<serde_json::Value> {
    let package = pgml_core::package::Package::decode(bytes).map_err(|e| Error::Verification {
        message: format!("the exported package does not decode: {e}"),
        hint: None,
    })?;
    Ok(package
        .projects
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "task": p.task,
                "model_ids": p.models.iter().map(|m| m.source_id).collect::<Vec<_>>(),
                "deployed_model_id": p.deployed.as_ref().map(|d| d.source_model_id),
            })
        })
        .collect())
}

pub fn import(args: &ImportArgs) -> Result<ExitCode> {
    let bytes = match &args.input {
        Some(path) => std::fs::read(path).map_err(|e| Error::Usage {
            message: format!("cannot read {}: {e}", path.display()),
            hint: None,
        })?,
        None => {
            if std::io::stdin().is_terminal() {
                return Err(Error::Usage {
                    message: "expected a model package on standard input".into(),
                    hint: Some(
                        "pgml models import --target URL < models.pgml, or --input models.pgml"
                            .into(),
                    ),
                });
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Usage {
                    message: format!("cannot read standard input: {e}"),
                    hint: None,
                })?;
            bytes
        }
    };
    if bytes.is_empty() {
        return Err(Error::Usage {
            message: "the model package is empty".into(),
            hint: Some("did the export fail? its error is printed above".into()),
        });
    }
    let target = Server::parse(&args.target)?;
    let report = import_package(&target, &bytes, !args.no_deploy, args.dry_run, args.json)?;
    if args.json {
        crate::print_json(&report);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn push(args: &PushArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let targets = Server::parse_all(&args.targets)?;
    let bytes = export_package(&source, &args.selection)?;
    // Every target is tried; each import is atomic, so a failed one changed nothing there.
    let mut failures: Vec<Error> = Vec::new();
    let mut reports = Vec::new();
    let mut progress = crate::progress::Progress::new(
        "pushing",
        Some(targets.len() as u64),
        crate::progress::Unit::Items,
    );
    for target in &targets {
        match import_package(target, &bytes, !args.no_deploy, args.dry_run, args.json) {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("pgml: error: {}: {e}", target.masked());
                if let Some(hint) = e.hint() {
                    eprintln!("hint: {hint}");
                }
                reports.push(serde_json::json!({
                    "target": target.masked(),
                    "dry_run": args.dry_run,
                    "error": e.to_string(),
                    "exit_code": exit_number(&e),
                    "models": [],
                }));
                failures.push(e);
            }
        }
        progress.add(1);
    }
    progress.finish();
    if args.json {
        crate::print_json(&serde_json::json!({
            "source": source.masked(),
            "targets": reports,
        }));
    }
    match failures.first() {
        None => Ok(ExitCode::SUCCESS),
        Some(e) => {
            eprintln!(
                "pgml: {} of {} targets failed (nothing was imported there); the others have the models",
                failures.len(),
                targets.len()
            );
            Ok(e.exit_code())
        }
    }
}

fn export_package(source: &Server, selection: &Selection) -> Result<Vec<u8>> {
    let mut db = source.connect()?;
    super::require_pgml(&mut db, &source.masked())?;
    let projects = (!selection.projects.is_empty()).then_some(&selection.projects);
    let models = (!selection.models.is_empty()).then_some(&selection.models);
    let row = db
        .query_one(
            "SELECT pgml.export_models($1, $2, $3)",
            &[&projects, &models, &selection.deployed_only],
        )
        .map_err(|e| Error::sql(format!("exporting models from {}", source.masked()), e))?;
    let bytes: Vec<u8> = row.get(0);
    eprintln!("exported {} bytes from {}", bytes.len(), source.masked());
    Ok(bytes)
}

/// Imports into `target`; with `dry_run` the import runs and is rolled back, so every check (and the
/// ids it would get) is real and nothing stays.
/// Returns the report `--json` prints: the target and each model's new id (null in a dry run).
fn import_package(
    target: &Server,
    bytes: &[u8],
    deploy: bool,
    dry_run: bool,
    json: bool,
) -> Result<serde_json::Value> {
    let mut db = target.connect()?;
    super::require_pgml(&mut db, &target.masked())?;
    let mut tx = db
        .transaction()
        .map_err(|e| Error::sql(format!("starting a transaction on {}", target.masked()), e))?;
    let rows = tx
        .query(
            "SELECT project, source_model_id, model_id, imported, deployed FROM pgml.import_models($1, $2)",
            &[&bytes, &deploy],
        )
        .map_err(|e| Error::sql(format!("importing models into {}", target.masked()), e))?;
    if dry_run { tx.rollback() } else { tx.commit() }
        .map_err(|e| Error::sql(format!("finishing the import into {}", target.masked()), e))?;
    say!(
        json,
        "{}:{}",
        target.masked(),
        if dry_run {
            " (dry run: rolled back, nothing changed)"
        } else {
            ""
        }
    );
    let mut models = Vec::new();
    for r in &rows {
        let (project, source_id, id, imported, deployed): (String, i64, i64, bool, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        // A dry run's ids came from sequences a rollback does not restore: the real import gets
        // others, so none is shown.
        models.push(serde_json::json!({
            "project": project,
            "source_model_id": source_id,
            "model_id": if dry_run && imported { None } else { Some(id) },
            "imported": imported,
            "deployed": deployed,
        }));
        let id = if dry_run && imported {
            "new id".to_string()
        } else {
            id.to_string()
        };
        say!(
            json,
            "  {project}: model {source_id} -> {id}{}{}",
            if imported { "" } else { " (already there)" },
            if deployed { ", deployed" } else { "" }
        );
    }
    Ok(serde_json::json!({
        "target": target.masked(),
        "dry_run": dry_run,
        "error": null,
        "exit_code": 0,
        "models": models,
    }))
}

/// The exit code of an error as a number, for `push --json`.
fn exit_number(e: &Error) -> u8 {
    e.code()
}
