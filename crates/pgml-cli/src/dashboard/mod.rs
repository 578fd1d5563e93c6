//! `pgml dashboard`: a web page over the pgml catalog (projects, models with their plots,
//! snapshots, the fleet), read through an ordinary connection with the connecting role's rights.
//! See docs/dashboard.md.

mod catalog;
pub mod html;
mod pages;
mod server;
pub mod svg;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    /// The database whose pgml catalog to show (libpq URL, key=value string or service); the
    /// dashboard reads it with this role's rights, so a read-only role or a hot standby works.
    #[arg(long)]
    pub url: String,
    /// Address and port to listen on. Anything but a loopback address exposes the catalog to
    /// the network: give --password-file then (a warning is printed otherwise). Port 0 picks a
    /// free port (printed).
    #[arg(long, default_value = "127.0.0.1:8484")]
    pub listen: String,
    /// A file holding the password the browser must give (HTTP basic authentication, any user
    /// name). The password is never printed.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Offer a Deploy button on model pages (a POST with a CSRF token, calling pgml.deploy as
    /// the connection's role, which needs the project's deploy right).
    #[arg(long)]
    pub allow_deploy: bool,
    /// Another server of the fleet (an inference server, a standby), repeatable: the fleet page
    /// shows which model each one serves.
    #[arg(long = "source")]
    pub sources: Vec<String>,
}

pub fn run(args: &DashboardArgs) -> Result<ExitCode> {
    let server = Server::parse(&args.url)?;
    let sources = Server::parse_all(&args.sources)?;
    let listen: SocketAddr = args.listen.parse().map_err(|_| Error::Usage {
        message: format!("--listen {} is not an address and port", args.listen),
        hint: Some("e.g. --listen 127.0.0.1:8484, or 0.0.0.0:8484 with --password-file".into()),
    })?;
    let password = args
        .password_file
        .as_deref()
        .map(read_password)
        .transpose()?;
    let csrf = random_token()?;

    let mut first = server::connect(&server)?;
    let columns = catalog::Columns::load(&mut first).map_err(|e| Error::Refused {
        message: format!("{}: {e}", server.masked()),
        hint: Some("point --url at a database where CREATE EXTENSION pgml was run".into()),
    })?;

    let listener = std::net::TcpListener::bind(listen).map_err(|e| Error::Environment {
        message: format!("cannot listen on {listen}: {e}"),
        hint: Some("choose another port with --listen".into()),
    })?;
    let bound = listener.local_addr().unwrap_or(listen);
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Environment {
            message: format!("cannot listen on {listen}: {e}"),
            hint: None,
        })?;
    if !bound.ip().is_loopback() && password.is_none() {
        eprintln!(
            "warning: the dashboard listens on {bound} without --password-file: anyone who can reach \
             this address reads the pgml catalog as {}{}",
            server.user(),
            if args.allow_deploy { " and can deploy models" } else { "" }
        );
    }
    println!("pgml dashboard of {}", server.masked());
    println!("listening on http://{bound}/");
    if args.allow_deploy {
        println!(
            "deploying from model pages is allowed (as {})",
            server.user()
        );
    }
    // The test harness and scripts read the URL from standard output at once.
    let _ = std::io::stdout().flush();

    let app = Arc::new(server::App::new(
        server,
        first,
        columns,
        args.allow_deploy,
        csrf,
        password,
        sources,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Environment {
            message: format!("cannot start the web server's runtime: {e}"),
            hint: None,
        })?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| Error::Environment {
                message: format!("cannot listen on {bound}: {e}"),
                hint: None,
            })?;
        axum::serve(listener, server::router(app))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::Server {
                message: format!("the dashboard's web server stopped: {e}"),
                hint: None,
            })
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The password from its file, without the trailing newline; never echoed, even in errors.
fn read_password(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage {
        message: format!("cannot read --password-file {}: {e}", path.display()),
        hint: None,
    })?;
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(Error::Usage {
            message: format!("--password-file {} is empty", path.display()),
            hint: Some("write the password on the file's first line".into()),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "warning: --password-file {} can be read by other users (chmod 600 it)",
                    path.display()
                );
            }
        }
    }
    Ok(password)
}

/// 32 random bytes as hex, for the deploy form's CSRF token.
fn random_token() -> Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Environment {
            message: format!("cannot read /dev/urandom for the CSRF token: {e}"),
            hint: None,
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (
            super::random_token().unwrap(),
            super::random_token().unwrap(),
        );
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn an_empty_password_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("pgml-dash-pw-{}", std::process::id()));
        std::fs::write(&dir, "\n").unwrap();
        assert!(super::read_password(&dir).is_err());
        std::fs::write(&dir, "s3cret\n").unwrap();
        assert_eq!(super::read_password(&dir).unwrap(), "s3cret");
        let _ = std::fs::remove_file(&dir);
    }
}
