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
    /// The server holding the models (libpq URL).
    #[arg(long)]
    pub source: String,
    #[command(flatten)]
    pub selection: Selection,
    /// Write the package here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The server receiving the models (libpq URL).
    #[arg(long)]
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
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The server holding the models (libpq URL).
    #[arg(long)]
    pub source: String,
    /// A server receiving the models (repeatable).
    #[arg(long = "to", required = true)]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub selection: Selection,
    /// Import without changing which model each project deploys.
    #[arg(long)]
    pub no_deploy: bool,
    /// Run each import and roll it back: every check runs, nothing changes.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn export(args: &ExportArgs) -> Result<ExitCode> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Usage {
            message: "the package is binary and standard output is a terminal".into(),
            hint: Some("redirect it (> models.pgml) or pass --output models.pgml".into()),
        });
    }
    let source = Server::parse(&args.source)?;
    let bytes = export_package(&source, &args.selection)?;
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| Error::Environment {
            message: format!("cannot write {}: {e}", path.display()),
            hint: None,
        })?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .map_err(|e| Error::Environment {
                    message: format!("cannot write the package to standard output: {e}"),
                    hint: None,
                })?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
    import_package(&target, &bytes, !args.no_deploy, args.dry_run)?;
    Ok(ExitCode::SUCCESS)
}

pub fn push(args: &PushArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let targets = Server::parse_all(&args.targets)?;
    let bytes = export_package(&source, &args.selection)?;
    // Every target is tried; each import is atomic, so a failed one changed nothing there.
    let mut failures: Vec<Error> = Vec::new();
    for target in &targets {
        if let Err(e) = import_package(target, &bytes, !args.no_deploy, args.dry_run) {
            eprintln!("pgml: error: {}: {e}", target.masked());
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            failures.push(e);
        }
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
fn import_package(target: &Server, bytes: &[u8], deploy: bool, dry_run: bool) -> Result<()> {
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
    println!(
        "{}:{}",
        target.masked(),
        if dry_run {
            " (dry run: rolled back, nothing changed)"
        } else {
            ""
        }
    );
    for r in &rows {
        let (project, source_id, id, imported, deployed): (String, i64, i64, bool, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        println!(
            "  {project}: model {source_id} -> {id}{}{}",
            if imported { "" } else { " (already there)" },
            if deployed { ", deployed" } else { "" }
        );
    }
    Ok(())
}
