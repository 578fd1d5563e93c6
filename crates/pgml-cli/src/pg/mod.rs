//! Connections to the servers a command works with, and the one module that runs PostgreSQL's
//! client programs.

pub mod conn;
pub mod conninfo;
pub mod tools;

/// Keeps statements that carry a password (user mappings, subscriptions' CONNECTION) out of the
/// server's log for the rest of this session: no statement logging, and no statement text with an
/// error. Only a superuser may change these settings; for other roles the server's own settings
/// stay (and a plain role cannot create subscriptions on PostgreSQL 15 anyway).
pub fn keep_secrets_out_of_logs(client: &mut postgres::Client) {
    let superuser = client
        .query_one("SELECT current_setting('is_superuser') = 'on'", &[])
        .map(|r| r.get::<_, bool>(0))
        .unwrap_or(false);
    if superuser {
        // Best effort: a failure here leaves logging as the server's administrator set it.
        let _ =
            client.batch_execute("SET log_statement = 'none'; SET log_min_error_statement = panic");
    }
}

/// The current database's oid, to scope catalog lookups that are cluster-wide (pg_subscription
/// lists every database's subscriptions; names are unique only per database).
pub const THIS_DB: &str = "(SELECT oid FROM pg_database WHERE datname = current_database())";

/// An identifier as PostgreSQL's quote_ident writes it: bare when it is a plain lower-case name,
/// double-quoted otherwise (upper case, spaces, quotes). Reserved words are not detected: they are
/// unusual as table names, and quoting them would only be needed in hand-typed SQL.
pub fn ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        s.to_string()
    } else {
        pgml_postgres::quote_ident(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(super::ident("customers"), "customers");
        assert_eq!(super::ident("My Table"), "\"My Table\"");
        assert_eq!(super::ident("Orders"), "\"Orders\"");
        assert_eq!(super::ident("a\"b"), "\"a\"\"b\"");
    }
}
