//! `pgml`: sets up and checks what crosses PostgreSQL servers for pgml.
#![forbid(unsafe_code)]

mod cli;
mod error;
mod local;
mod models;
mod pg;
mod plan;
mod sync;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pgml: error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            e.exit_code()
        }
    }
}
