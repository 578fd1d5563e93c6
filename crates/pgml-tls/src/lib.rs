//! TLS for the connections pgml makes to PostgreSQL servers (the `pgml` command's, and the
//! coordinator backend's to its shards), set up the way libpq sets up OpenSSL, so that the same
//! `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `sslpassword`, `sslcrl`, `sslcrldir`, `sslsni`
//! and `ssl_min/max_protocol_version` settings mean what they mean to psql and postgres_fdw.
//!
//! One implementation for both: a TLS check that differs between the command and the extension
//! would be a hole in one of them.

use std::path::{Path, PathBuf};

use postgres::config::SslMode;

/// The libpq connection settings this crate reads, by their libpq names.
pub const SETTINGS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
];

/// libpq's `sslmode` values, in its order of strictness.
pub const SSLMODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// Why a connection failed: TLS could not be set up from the settings (a file missing, a key that
/// does not open...), or the server (or the network) refused.
#[derive(Debug)]
pub enum Error {
    Settings(String),
    Connect(postgres::Error),
}

/// The TLS settings of one connection. `get` answers a libpq setting by name (`None` when not
/// given); `home` is where `~/.postgresql/` defaults are looked up (libpq's rule: see [`home_dir`]).
pub struct Tls<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
}

impl std::fmt::Debug for Tls<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the settings themselves: sslpassword is among them.
        f.debug_struct("Tls")
            .field("sslmode", &self.sslmode())
            .finish()
    }
}

impl<'a> Tls<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>, home: Option<PathBuf>) -> Tls<'a> {
        Tls { get, home }
    }

    fn get(&self, key: &str) -> Option<String> {
        (self.get)(key)
    }

    fn get_nonempty(&self, key: &str) -> Option<String> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// libpq's default is `prefer`.
    pub fn sslmode(&self) -> String {
        self.get_nonempty("sslmode")
            .unwrap_or_else(|| "prefer".to_string())
    }

    /// Connects with `config` (host, port, user... already set) under these TLS settings:
    /// `disable` plain; `allow` plain first, TLS if the server refuses that; `prefer` TLS if the
    /// server offers it, else plain; `require` and `verify-*` TLS or nothing.
    pub fn connect(&self, config: &postgres::Config) -> Result<postgres::Client, Error> {
        let mode = self.sslmode();
        let mut config = config.clone();
        config.ssl_mode(ssl_mode(&mode).map_err(Error::Settings)?);
        if mode == "disable" {
            return config.connect(postgres::NoTls).map_err(Error::Connect);
        }
        let tls = self.connector().map_err(Error::Settings)?;
        if mode == "allow" {
            let mut plain = config.clone();
            plain.ssl_mode(SslMode::Disable);
            if let Ok(c) = plain.connect(postgres::NoTls) {
                return Ok(c);
            }
        }
        config.connect(tls).map_err(Error::Connect)
    }

    /// The TLS connector for these settings, as libpq sets up OpenSSL: `require` (and `prefer`,
    /// `allow`) encrypt without checking the certificate unless a root certificate was given (then
    /// as `verify-ca`); `verify-ca` checks the chain; `verify-full` also the host name. Roots:
    /// `sslrootcert` (a file, or `system`), else ~/.postgresql/root.crt if it exists, else the
    /// system's store. `sslcrl` / `sslcrldir` revoke certificates; `sslcert` / `sslkey` (any PEM
    /// key OpenSSL reads: PKCS#8, PKCS#1, EC; encrypted ones with `sslpassword`) identify the client.
    /// Also what a cancel request of a TLS connection needs.
    pub fn connector(&self) -> Result<postgres_openssl::MakeTlsConnector, String> {
        use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
        use openssl::x509::store::{X509Lookup, X509StoreBuilder};
        use openssl::x509::verify::X509VerifyFlags;
        use openssl::x509::X509;

        let ssl = |what: &str, e: openssl::error::ErrorStack| format!("{what}: {e}");
        let mut b = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| ssl("cannot set up TLS", e))?;
        let roots = self.root_cert_file();
        let mode = self.sslmode();
        ssl_mode(&mode)?;
        let verify_chain = match mode.as_str() {
            "verify-ca" | "verify-full" => true,
            _ => roots.is_some(),
        };
        let crl_file = self.get_nonempty("sslcrl");
        let crl_file = crl_file.as_deref();
        let crl_dir = self.get_nonempty("sslcrldir");
        let crl_dir = crl_dir.as_deref();
        if roots.is_some() || crl_file.is_some() || crl_dir.is_some() {
            // libpq trusts only the given file, not the system's store as well.
            let mut store = X509StoreBuilder::new().map_err(|e| ssl("cannot set up TLS", e))?;
            match &roots {
                Some(file) => {
                    let pem = std::fs::read(file)
                        .map_err(|e| format!("cannot read sslrootcert {}: {e}", file.display()))?;
                    let certs = X509::stack_from_pem(&pem)
                        .ok()
                        .filter(|c| !c.is_empty())
                        .ok_or_else(|| {
                            format!("sslrootcert {} holds no PEM certificate", file.display())
                        })?;
                    for c in certs {
                        store.add_cert(c).map_err(|e| ssl("sslrootcert", e))?;
                    }
                }
                None => store
                    .set_default_paths()
                    .map_err(|e| ssl("the system's certificates", e))?,
            }
            if let Some(file) = crl_file {
                if !Path::new(file).is_file() {
                    return Err(format!("cannot read sslcrl {file}: no such file"));
                }
                store
                    .add_lookup(X509Lookup::file())
                    .and_then(|l| l.load_crl_file(file, SslFiletype::PEM).map(|_| ()))
                    .map_err(|e| ssl(&format!("sslcrl {file} is not a PEM revocation list"), e))?;
            }
            if let Some(dir) = crl_dir {
                store
                    .add_lookup(X509Lookup::hash_dir())
                    .and_then(|l| l.add_dir(dir, SslFiletype::PEM))
                    .map_err(|e| ssl(&format!("sslcrldir {dir}"), e))?;
            }
            if crl_file.is_some() || crl_dir.is_some() {
                store
                    .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
                    .map_err(|e| ssl("sslcrl", e))?;
            }
            b.set_verify_cert_store(store.build())
                .map_err(|e| ssl("cannot set up TLS", e))?;
        }
        // libpq's protocol bounds: at least TLSv1.2 unless told otherwise.
        let version = |key: &str, default: Option<&str>| match self
            .get_nonempty(key)
            .as_deref()
            .or(default)
        {
            None => Ok(None),
            Some("TLSv1") => Ok(Some(openssl::ssl::SslVersion::TLS1)),
            Some("TLSv1.1") => Ok(Some(openssl::ssl::SslVersion::TLS1_1)),
            Some("TLSv1.2") => Ok(Some(openssl::ssl::SslVersion::TLS1_2)),
            Some("TLSv1.3") => Ok(Some(openssl::ssl::SslVersion::TLS1_3)),
            Some(other) => Err(format!(
                "invalid {key} \"{other}\" (TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"
            )),
        };
        let (min, max) = (
            version("ssl_min_protocol_version", Some("TLSv1.2"))?,
            version("ssl_max_protocol_version", None)?,
        );
        b.set_min_proto_version(min)
            .and_then(|()| b.set_max_proto_version(max))
            .map_err(|e| ssl("ssl_min/max_protocol_version", e))?;
        let sni = self.get("sslsni").as_deref() != Some("0");
        b.set_verify(if verify_chain {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        if let Some((cert, key)) = self.client_cert_files() {
            b.set_certificate_chain_file(&cert).map_err(|e| {
                ssl(
                    &format!("sslcert {} is not a PEM certificate", cert.display()),
                    e,
                )
            })?;
            let pem = std::fs::read(&key)
                .map_err(|e| format!("cannot read sslkey {}: {e}", key.display()))?;
            let pkey = match self.get("sslpassword") {
                Some(password) => openssl::pkey::PKey::private_key_from_pem_passphrase(
                    &pem,
                    password.as_bytes(),
                ),
                None => openssl::pkey::PKey::private_key_from_pem(&pem),
            }
            .map_err(|_| {
                format!(
                    "sslkey {} is not a PEM private key, or is encrypted and sslpassword does not open it",
                    key.display()
                )
            })?;
            b.set_private_key(&pkey)
                .and_then(|()| b.check_private_key())
                .map_err(|e| {
                    ssl(
                        &format!(
                            "sslkey {} does not belong to sslcert {}",
                            key.display(),
                            cert.display()
                        ),
                        e,
                    )
                })?;
        }
        let mut connector = postgres_openssl::MakeTlsConnector::new(b.build());
        connector.set_callback(move |config, _domain| {
            // The host name is checked by verify-full only (verify-ca checks the chain alone).
            config.set_verify_hostname(mode == "verify-full");
            config.set_use_server_name_indication(sni);
            Ok(())
        });
        Ok(connector)
    }

    /// The root certificates file, or None for the system's store.
    pub fn root_cert_file(&self) -> Option<PathBuf> {
        match self.get_nonempty("sslrootcert").as_deref() {
            Some("system") => None,
            Some(f) => Some(PathBuf::from(f)),
            None => self.home_file("root.crt"),
        }
    }

    fn client_cert_files(&self) -> Option<(PathBuf, PathBuf)> {
        let cert = match self.get_nonempty("sslcert") {
            Some(f) => PathBuf::from(f),
            None => self.home_file("postgresql.crt")?,
        };
        // libpq sends no certificate when the file is missing (the server decides).
        if !cert.is_file() {
            return None;
        }
        let key = match self.get_nonempty("sslkey") {
            Some(f) => PathBuf::from(f),
            None => cert.with_extension("key"),
        };
        Some((cert, key))
    }

    fn home_file(&self, name: &str) -> Option<PathBuf> {
        let f = self.home.as_ref()?.join(".postgresql").join(name);
        f.is_file().then_some(f)
    }
}

/// rust-postgres's handshake setting for a libpq sslmode.
pub fn ssl_mode(mode: &str) -> Result<SslMode, String> {
    match mode {
        "disable" => Ok(SslMode::Disable),
        "allow" | "prefer" => Ok(SslMode::Prefer),
        "require" | "verify-ca" | "verify-full" => Ok(SslMode::Require),
        other => Err(format!(
            "invalid sslmode \"{other}\" ({})",
            SSLMODES.join(", ")
        )),
    }
}

/// The home directory libpq looks in for `~/.postgresql/`: `$HOME` when set, else the effective
/// user's entry in the password database (for a server process, the OS user it runs as).
pub fn home_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pwd` and `buf` (whose length it is given) and sets
    // `result` to &pwd or null; pw_dir points into `buf`, read before `buf` is dropped.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir is a NUL-terminated string inside `buf`.
    let dir = unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) };
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes_are_checked() {
        for m in SSLMODES {
            assert!(ssl_mode(m).is_ok(), "{m}");
        }
        let e = ssl_mode("verify").unwrap_err();
        assert!(e.contains("verify-full"), "{e}");
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let get = |k: &str| match k {
            "sslmode" => Some("verify-full".to_string()),
            "sslrootcert" => Some("/nonexistent/root.crt".to_string()),
            _ => None,
        };
        let e = Tls::new(&get, None).connector().err().unwrap_or_default();
        assert!(e.contains("/nonexistent/root.crt"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_key_password() {
        let get = |k: &str| (k == "sslpassword").then(|| "s3cret".to_string());
        assert!(!format!("{:?}", Tls::new(&get, None)).contains("s3cret"));
    }

    #[test]
    fn the_home_directory_is_found() {
        assert!(home_dir().is_some());
    }
}
