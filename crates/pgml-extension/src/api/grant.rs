//! `pgml.grant_project(project, privilege, role)` and `pgml.revoke_project(...)`: a project's owner
//! lets other roles train into, deploy or predict with it, as GRANT does for PostgreSQL objects.

use pgrx::prelude::*;

use crate::catalog::project::{self, Privilege};
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::fixed_search_path;

fn change(
    project_name: Option<&str>,
    privilege: Option<&str>,
    role_name: Option<&str>,
    grant: bool,
) -> Result<(String, String, pgrx::JsonB)> {
    let name = project_name.ok_or_else(|| PgmlError::null("project_name must not be NULL"))?;
    let privilege = privilege.ok_or_else(|| PgmlError::null("privilege must not be NULL"))?;
    let role = role_name.ok_or_else(|| PgmlError::null("role_name must not be NULL"))?;
    let privileges = Privilege::parse_list(privilege)?;
    crate::catalog::guard::ensure_writable(if grant { "grant" } else { "revoke" })?;
    let p = project::change_grant(name, &privileges, role, grant)?;
    Ok((p.name, p.owner, pgrx::JsonB(p.acl)))
}

/// Grants `privilege` (train, deploy, predict, or all) on a project to a role, or to public.
/// Returns the project's owner and its grants after the change.
#[pg_extern(volatile, parallel_unsafe)]
fn grant_project(
    project_name: Option<&str>,
    privilege: Option<&str>,
    role_name: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(owner, String),
        name!(acl, pgrx::JsonB),
    ),
> {
    let row = fixed_search_path(|| change(project_name, privilege, role_name, true)).or_report();
    TableIterator::once(row)
}

/// Takes back what `pgml.grant_project` granted.
#[pg_extern(volatile, parallel_unsafe)]
fn revoke_project(
    project_name: Option<&str>,
    privilege: Option<&str>,
    role_name: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(owner, String),
        name!(acl, pgrx::JsonB),
    ),
> {
    let row = fixed_search_path(|| change(project_name, privilege, role_name, false)).or_report();
    TableIterator::once(row)
}
