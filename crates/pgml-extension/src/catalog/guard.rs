//! Who may write the catalog here. A hot standby cannot; an inference server whose catalog is
//! replicated from a training server (`pgml models replicate`) must not, because its own ids would
//! collide with the next replicated rows and stop replication. The trigger
//! `pgml.catalog_write_guard` enforces the second for every writer; this check says it before any
//! work is done (a train can take minutes before its first catalog write).

use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::privilege::as_owner;
use crate::pg::spi::read_one;

/// Ok when this server may write its catalog; `action` names what was asked ("train", "deploy").
/// Also moves every catalog sequence past the ids already used (`pgml.repair_sequences`).
pub fn ensure_writable(action: &str) -> Result<()> {
    // SAFETY: reads a flag of shared memory, as every backend may.
    if unsafe { pg_sys::RecoveryInProgress() } {
        return Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            format!("cannot {action} on a hot standby: it is read-only"),
        )
        .hint(format!(
            "{action} on the primary; its models and deployments reach this server by replication"
        )));
    }
    let sub = as_owner(|| read_one::<String>("SELECT pgml.catalog_subscription()", &[]))?;
    if let Some(sub) = sub {
        return Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            format!(
                "cannot {action} here: the pgml catalog of this database is replicated from another server (subscription {sub})"
            ),
        )
        .hint("train, deploy and import on the training server: its models and deployments reach this server by replication"));
    }
    as_owner(|| Ok(Spi::run("SELECT pgml.repair_sequences()")?))
}

/// Refuses restores that would append to `table` (a snapshot or dataset table pgml filled), as the
/// catalog's own guard does for the catalog. Run as the extension's owner, who owns `table`.
pub fn refuse_restores_into(table: &str) -> Result<()> {
    // Trigger names are per table, so one name serves every table.
    Spi::run(&format!(
        "CREATE TRIGGER restore_guard BEFORE INSERT ON {table}
             FOR EACH STATEMENT EXECUTE FUNCTION pgml.restore_guard()"
    ))?;
    Ok(())
}
