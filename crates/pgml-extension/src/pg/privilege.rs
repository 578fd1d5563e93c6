//! Who pgml runs as, and what its SQL can resolve to.
//!
//! pgml's functions run as their caller (training reads only what the caller may read), but the
//! catalog, the snapshot tables and the dataset tables belong to the extension's owner, and no
//! other role may write them or create anything in schema `pgml`. pgml writes them by switching to
//! the owner for exactly those statements, as PostgreSQL itself does for foreign-key checks and
//! `REFRESH MATERIALIZED VIEW`: [`as_owner`] sets the user id with
//! `SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION` and pins `search_path` to
//! `pg_catalog, pg_temp`, so nothing a caller created (a function, an operator, a temporary
//! table) can be reached from there.
//!
//! [`fixed_search_path`] pins the path for pgml's own queries run as the caller: a caller whose
//! search_path puts a schema another role can write before `pg_catalog` must not have pgml's
//! `format_type`, `=` or `unnest` resolve there. Only the relation names a user passes are resolved
//! with the caller's own path ([`with_callers_search_path`]).
//!
//! Errors need no clean-up here: a transaction or subtransaction abort restores the user id and
//! unwinds the GUC nesting levels, as it does after a SECURITY DEFINER function fails.

use std::cell::RefCell;
use std::ffi::CString;

use pgrx::prelude::*;

use crate::error::{PgmlError, Result};

/// pgml's own queries see only PostgreSQL's catalog (and temporary relations, which pgml never
/// names).
const SAFE_SEARCH_PATH: &str = "pg_catalog, pg_temp";

thread_local! {
    /// The caller's search_path, saved by the outermost [`fixed_search_path`].
    static CALLERS_PATH: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Restores what a `Pinned` changed when the closure returns; on a PostgreSQL error (a Rust panic
/// unwinding here) the transaction abort does it instead.
struct Pinned {
    nest_level: i32,
    user: Option<(pg_sys::Oid, i32)>,
    saved_path: bool,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if self.saved_path {
            CALLERS_PATH.with(|p| p.borrow_mut().pop());
        }
        if std::thread::panicking() {
            return;
        }
        // SAFETY: the nest level was opened by `pin` in this function call, and the saved user id
        // and security context were read by `GetUserIdAndSecContext` just before they changed.
        unsafe {
            pg_sys::AtEOXact_GUC(true, self.nest_level);
            if let Some((user, context)) = self.user {
                pg_sys::SetUserIdAndSecContext(user, context);
            }
        }
    }
}

fn set_search_path(value: &str) -> Result<()> {
    let name = CString::new("search_path").map_err(|e| PgmlError::data(e.to_string()))?;
    let value = CString::new(value)
        .map_err(|_| PgmlError::invalid("search_path must not contain a NUL byte".to_string()))?;
    // SAFETY: both strings outlive the call; GUC_ACTION_SAVE ties the change to the nest level
    // opened by the caller, so AtEOXact_GUC (or an abort) undoes it.
    unsafe {
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            pgrx::PgLogLevel::ERROR as i32,
            false,
        );
    }
    Ok(())
}

fn current_search_path() -> String {
    let name = c"search_path";
    // SAFETY: GetConfigOption returns a pointer to the GUC's current value (or NULL), which stays
    // valid until the GUC next changes; it is copied at once.
    unsafe {
        let value = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        if value.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(value)
                .to_string_lossy()
                .into_owned()
        }
    }
}

fn pin(path: &str, user: Option<pg_sys::Oid>, save_callers: bool) -> Result<Pinned> {
    if save_callers {
        let current = current_search_path();
        CALLERS_PATH.with(|p| p.borrow_mut().push(current));
    }
    let saved_user = user.map(|owner| {
        let mut old_user = pg_sys::InvalidOid;
        let mut old_context = 0;
        // SAFETY: plain reads and writes of the backend's user id and security context, exactly as
        // PostgreSQL's own SECURITY DEFINER and RI trigger code do.
        unsafe {
            pg_sys::GetUserIdAndSecContext(&mut old_user, &mut old_context);
            pg_sys::SetUserIdAndSecContext(
                owner,
                old_context
                    | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32
                    | pg_sys::SECURITY_RESTRICTED_OPERATION as i32,
            );
        }
        (old_user, old_context)
    });
    // SAFETY: opens a GUC nest level, closed by Pinned's drop or by the transaction's abort.
    let nest_level = unsafe { pg_sys::NewGUCNestLevel() };
    let pinned = Pinned {
        nest_level,
        user: saved_user,
        saved_path: save_callers,
    };
    set_search_path(path)?;
    Ok(pinned)
}

/// Runs `f` with search_path `pg_catalog, pg_temp`, as the caller. Every SQL entry point of pgml
/// that runs queries goes through here (or [`as_owner`]).
pub fn fixed_search_path<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let _pinned = pin(SAFE_SEARCH_PATH, None, true)?;
    f()
}

/// Runs `f` with the search_path the caller had when pgml was entered: for resolving the names
/// of the caller's own relations, and nothing else.
pub fn with_callers_search_path<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let Some(path) = CALLERS_PATH.with(|p| p.borrow().last().cloned()) else {
        return f();
    };
    let _pinned = pin(&path, None, false)?;
    f()
}

/// Runs `f` as the extension's owner with search_path `pg_catalog, pg_temp`: for writes to the
/// catalog, snapshot and dataset tables, after the caller's rights were checked.
pub fn as_owner<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let owner = extension_owner()?;
    let _pinned = pin(SAFE_SEARCH_PATH, Some(owner), false)?;
    f()
}

/// The role that owns the pgml extension in this database.
pub fn extension_owner() -> Result<pg_sys::Oid> {
    crate::pg::spi::read_one::<pg_sys::Oid>(
        "SELECT extowner FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pgml'",
        &[],
    )?
    .ok_or_else(|| PgmlError::not_ready("the pgml extension is not installed in this database"))
}

/// Whether `table` (a qualified name) is a plain table owned by the extension's owner: pgml reads
/// and writes only such tables in schema pgml (snapshots, datasets). None when it does not exist.
pub fn extension_owns_table(table: &str) -> Result<Option<bool>> {
    crate::pg::spi::read_one::<bool>(
        "SELECT c.relkind = 'r' AND c.relowner = e.extowner
           FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
          WHERE c.oid = pg_catalog.to_regclass($1) AND e.extname = 'pgml'",
        &[table.into()],
    )
}

/// The name of the role pgml runs as right now (the caller, outside [`as_owner`]).
pub fn current_role_name() -> Result<String> {
    crate::pg::spi::read_one::<String>("SELECT current_user::text", &[])?
        .ok_or_else(|| PgmlError::data("current_user is NULL"))
}

/// Whether the calling role is a superuser or the extension's owner (who may do anything in
/// pgml, as a table's owner may with the table).
pub fn caller_is_owner() -> Result<bool> {
    Ok(crate::pg::spi::read_one::<bool>(
        "SELECT pg_catalog.pg_has_role(e.extowner, 'USAGE')
           FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pgml'",
        &[],
    )?
    .unwrap_or(false))
}
