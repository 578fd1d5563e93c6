//! Checks the upgrade-script layout in `../sql/`: every released version must reach the current one
//! through `pgml--A--B.sql` scripts, and nothing there may be misnamed (pgrx silently skips files
//! that do not match the pattern, so a typo would ship a release without its upgrade path).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Version = (u64, u64, u64);

fn parse_version(s: &str) -> Result<Version, String> {
    let parts: Vec<&str> = s.split('.').collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(format!("version {s:?} is not MAJOR.MINOR.PATCH"));
    };
    let n = |x: &str| {
        x.parse::<u64>()
            .map_err(|_| format!("version {s:?} is not MAJOR.MINOR.PATCH"))
    };
    Ok((n(a)?, n(b)?, n(c)?))
}

/// Returns the problems with a layout: `released` is the RELEASED file's text, `files` the names in
/// the sql directory, `current` the version being built.
fn check_layout(released: &str, files: &[String], current: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let current_v = match parse_version(current) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };

    let mut releases = Vec::new();
    for line in released
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        match parse_version(line) {
            Ok(v) => releases.push((v, line.to_string())),
            Err(e) => problems.push(format!("RELEASED: {e}")),
        }
    }
    if releases.is_empty() {
        problems.push("RELEASED lists no version".into());
    }
    if releases.windows(2).any(|w| w[0].0 >= w[1].0) {
        problems.push("RELEASED must list versions oldest first, each once".into());
    }
    if let Some((newest, name)) = releases.last() {
        if *newest > current_v {
            problems.push(format!(
                "RELEASED names {name}, newer than the version being built ({current})"
            ));
        }
    }

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        if f == "README.md" || f == "RELEASED" {
            continue;
        }
        let parsed = f
            .strip_prefix("pgml--")
            .and_then(|r| r.strip_suffix(".sql"))
            .and_then(|r| r.split_once("--"));
        match parsed {
            Some((from, to)) if parse_version(from).is_ok() && parse_version(to).is_ok() => {
                if parse_version(from) >= parse_version(to) {
                    problems.push(format!("{f} does not upgrade to a newer version"));
                }
                edges
                    .entry(from.to_string())
                    .or_default()
                    .insert(to.to_string());
            }
            _ => problems.push(format!(
                "{f} is not named pgml--OLD--NEW.sql (pgrx would not install it)"
            )),
        }
    }

    for (_, from) in releases.iter().filter(|(v, _)| *v != current_v) {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        let mut reached = false;
        while let Some(v) = stack.pop() {
            if v == current {
                reached = true;
                break;
            }
            if seen.insert(v.clone()) {
                stack.extend(edges.get(&v).into_iter().flatten().cloned());
            }
        }
        if !reached {
            problems.push(format!(
                "no upgrade path from released version {from} to {current}: add sql/pgml--{}--{current}.sql",
                releases.last().map(|(_, n)| n.as_str()).unwrap_or(from)
            ));
        }
    }
    problems
}

#[test]
fn the_upgrade_scripts_reach_the_current_version_from_every_release() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    let released = std::fs::read_to_string(dir.join("RELEASED")).expect("sql/RELEASED");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .expect("sql/")
        .map(|e| {
            e.expect("sql/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let problems = check_layout(&released, &files, env!("CARGO_PKG_VERSION"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_control_file_takes_its_version_from_cargo() {
    let control =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pgml.control"))
            .expect("pgml.control");
    assert!(control
        .lines()
        .any(|l| l.trim() == "default_version = '@CARGO_VERSION@'"));
}

#[cfg(test)]
mod checker {
    use super::check_layout;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn first_release_needs_no_script() {
        assert!(check_layout("0.1.0\n", &names(&["README.md", "RELEASED"]), "0.1.0").is_empty());
    }

    #[test]
    fn a_new_version_without_its_script_is_refused() {
        let p = check_layout("0.1.0\n", &names(&["RELEASED"]), "0.2.0");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("add sql/pgml--0.1.0--0.2.0.sql"), "{p:?}");
    }

    #[test]
    fn a_chain_of_scripts_is_accepted() {
        let files = names(&[
            "RELEASED",
            "pgml--0.1.0--0.2.0.sql",
            "pgml--0.2.0--0.3.0.sql",
        ]);
        assert!(check_layout("0.1.0\n0.2.0\n", &files, "0.3.0").is_empty());
    }

    #[test]
    fn a_broken_chain_is_refused() {
        let files = names(&["RELEASED", "pgml--0.1.0--0.2.0.sql"]);
        let p = check_layout("0.1.0\n0.2.0\n0.3.0\n", &files, "0.4.0");
        assert!(
            p.iter().any(|m| m.contains("from released version 0.1.0")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.contains("from released version 0.3.0")),
            "{p:?}"
        );
    }

    #[test]
    fn misnamed_scripts_and_bad_release_lists_are_refused() {
        let files = names(&[
            "RELEASED",
            "pgml-0.1.0--0.2.0.sql",
            "pgml--0.2.0--0.1.0.sql",
        ]);
        let p = check_layout("0.2.0\n0.1.0\n0.9.0\n", &files, "0.2.0");
        assert!(
            p.iter()
                .any(|m| m.contains("pgml-0.1.0--0.2.0.sql is not named")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("does not upgrade to a newer version")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m.contains("oldest first")), "{p:?}");
        assert!(
            p.iter()
                .any(|m| m.contains("newer than the version being built")),
            "{p:?}"
        );
    }
}
