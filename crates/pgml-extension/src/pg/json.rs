//! JSON arguments (`hyperparams`, `search_params`, `search_args`, `preprocess`, `kwargs`) reach pgml
//! as jsonb text and are parsed here, so that what jsonb accepts but a double cannot hold (`1e309`)
//! or what nests too deep for the parser is a 22023 naming the argument and the key, not an
//! internal error.

use crate::error::{PgmlError, Result};

/// Parses argument `name`'s jsonb text; NULL is JSON null.
pub fn parse(name: &str, text: Option<&str>) -> Result<serde_json::Value> {
    let Some(text) = text else {
        return Ok(serde_json::Value::Null);
    };
    serde_json::from_str(text).map_err(|e| {
        let near = key_before(text, e.line(), e.column())
            .map(|k| format!(" at key \"{k}\""))
            .unwrap_or_default();
        let what = e.to_string();
        let message = if what.contains("number out of range") {
            format!("{name} has a number{near} outside the range of double precision")
        } else if what.contains("recursion limit") {
            format!("{name} is nested too deeply{near}")
        } else {
            format!("{name} is not valid JSON{near}: {what}")
        };
        PgmlError::invalid(message).hint(
            "numbers must fit a double precision (about ±1.8e308), and objects nest at most 127 deep",
        )
    })
}

/// The last object key that starts before (line, column) of `text` (1-based, as serde_json counts).
fn key_before(text: &str, line: usize, column: usize) -> Option<String> {
    let offset: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + column;
    let before = text.get(..offset.min(text.len()))?;
    // jsonb's text output writes keys as "key": with no escaped quotes inside a key we look for.
    let colon = before.rfind("\":")?;
    let start = before[..colon].rfind('"')?;
    Some(before[start + 1..colon].to_string())
}

#[cfg(test)]
mod tests {
    use super::key_before;

    #[test]
    fn names_the_key_before_the_error() {
        let text = r#"{"alpha": 1, "gamma": 1000000}"#;
        assert_eq!(key_before(text, 1, 29).as_deref(), Some("gamma"));
        assert_eq!(key_before("[1e999]", 1, 6), None);
    }
}
