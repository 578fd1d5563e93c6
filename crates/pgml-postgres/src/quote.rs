/// Quotes an SQL identifier the way PostgreSQL's quote_ident does.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes an SQL string literal the way PostgreSQL's quote_literal does (standard strings).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted_like_postgres() {
        assert_eq!(quote_ident(r#"my "db""#), r#""my ""db""""#);
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
