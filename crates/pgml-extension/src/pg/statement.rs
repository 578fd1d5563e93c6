//! Which statement is running: caches that may only live as long as one statement (the deployment
//! lookup, the row-level security's project check) are keyed by it.

use pgrx::prelude::*;

fn database_id() -> u32 {
    // SAFETY: MyDatabaseId is set once at backend start and only read afterwards.
    unsafe { pg_sys::MyDatabaseId }.to_u32()
}

/// Which statement this is: a deployment lookup is reused only within one statement (and one
/// command inside it), so a deploy that commits, replays or is restored counts at the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementKey {
    database: u32,
    /// Rights are checked per role: a SECURITY DEFINER function calling predict runs as another.
    user: u32,
    transaction_start: i64,
    statement_start: i64,
    command: u32,
}

pub fn statement_key() -> StatementKey {
    // SAFETY: plain reads of the current transaction's state, valid inside any function call.
    unsafe {
        StatementKey {
            database: database_id(),
            user: pg_sys::GetUserId().to_u32(),
            transaction_start: pg_sys::GetCurrentTransactionStartTimestamp(),
            statement_start: pg_sys::GetCurrentStatementStartTimestamp(),
            command: pg_sys::GetCurrentCommandId(false),
        }
    }
}
