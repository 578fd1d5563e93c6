//! `pgml`: sets up and checks what crosses PostgreSQL servers for pgml.
#![forbid(unsafe_code)]

/// `println!` unless the command prints JSON instead.
macro_rules! say {
    ($json:expr, $($arg:tt)*) => {
        if !$json {
            println!($($arg)*);
        }
    };
}

mod cli;
mod dashboard;
mod error;
mod local;
mod models;
mod pg;
mod plan;
mod progress;
mod sync;
mod train;

use clap::Parser;

fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
    let args = cli::Cli::parse();
    let result = cli::run(args);
    pg::tools::remove_secret_files();
    match result {
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

/// `pgml sync status | head -1`: once the reader is gone, print! panics on EPIPE (Rust ignores
/// SIGPIPE). Exit quietly with success instead, as a program killed by SIGPIPE would go unnoticed.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") || message.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Prints a `--json` document: one pretty-printed object on standard output.
pub fn print_json(doc: &serde_json::Value) {
    match serde_json::to_string_pretty(doc) {
        Ok(text) => println!("{text}"),
        // A Value always serializes; this cannot happen.
        Err(e) => eprintln!("pgml: error: cannot print JSON: {e}"),
    }
}
