//! Every fenced block in docs/ (and the README) marked `runnable` (```sql runnable, ```bash runnable) runs against a
//! real server, in page order, so the pages stay true. Each page gets fresh databases `train` and
//! `serve` with pgml; SQL blocks run through psql connected to `train` (a block may `\connect`),
//! shell blocks with bash and the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD) pointing at
//! the server, the `pgml` under test first on PATH.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

use pgml_e2e::{database_with_pgml, pgml_bin, Server};

#[derive(Debug)]
struct Block {
    page: String,
    line: usize,
    lang: String,
    code: String,
}

/// The runnable blocks of one page, in order. Indented fences (in lists) count too.
fn runnable_blocks(page: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(page).unwrap();
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, usize, Vec<String>)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let words: Vec<&str> = info.split_whitespace().collect();
                    let indent = line.len() - trimmed.len();
                    let lang = words.first().copied().unwrap_or("").to_string();
                    let lang = if words.contains(&"runnable") {
                        lang
                    } else {
                        String::new()
                    };
                    open = Some((n + 1, lang, indent, Vec::new()));
                }
            }
            Some((start, lang, indent, lines)) => {
                if trimmed.starts_with("```") {
                    if !lang.is_empty() {
                        blocks.push(Block {
                            page: page.file_name().unwrap().to_string_lossy().into_owned(),
                            line: *start,
                            lang: lang.clone(),
                            code: lines.join("\n"),
                        });
                    }
                    open = None;
                } else {
                    let cut = line.len().min(*indent);
                    lines.push(line[cut..].to_string());
                }
            }
        }
    }
    blocks
}

fn pages() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    // The README's quick start is a promise too.
    pages.insert(0, dir.join("../README.md"));
    pages
}

#[test]
fn runnable_snippets_in_docs_run() {
    let pages: Vec<(PathBuf, Vec<Block>)> = pages()
        .into_iter()
        .map(|p| {
            let b = runnable_blocks(&p);
            (p, b)
        })
        .filter(|(_, b)| !b.is_empty())
        .collect();
    let total: usize = pages.iter().map(|(_, b)| b.len()).sum();
    assert!(
        total >= 3,
        "only {total} runnable blocks in docs/: the test would prove little"
    );
    let server = Server::start("docs").unwrap();
    let work = std::env::temp_dir().join(format!("pgml-e2e-docs-{}", std::process::id()));
    let bin_dir = pgml_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (page, blocks) in &pages {
        for db in ["train", "serve"] {
            server
                .execute(
                    "postgres",
                    &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                )
                .unwrap();
            database_with_pgml(&server, db);
        }
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        for block in blocks {
            let out = match block.lang.as_str() {
                // Through standard input, as typed into psql: -c would not run meta-commands
                // (\gset, \connect) mixed with SQL.
                "sql" => {
                    use std::io::Write;
                    let mut child = server
                        .command("psql", "train")
                        .args(["-X", "-v", "ON_ERROR_STOP=1", "-f", "-"])
                        .current_dir(&work)
                        .stdin(std::process::Stdio::piped())
                        .stdout(std::process::Stdio::piped())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .unwrap();
                    child
                        .stdin
                        .take()
                        .unwrap()
                        .write_all(block.code.as_bytes())
                        .unwrap();
                    child.wait_with_output().unwrap()
                }
                "bash" | "sh" => Command::new("bash")
                    .args(["-euo", "pipefail", "-c", &block.code])
                    .current_dir(&work)
                    .env("PATH", &path)
                    .env("PGHOST", "127.0.0.1")
                    .env("PGPORT", server.port().to_string())
                    .env("PGUSER", "postgres")
                    .env("PGPASSWORD", server.password())
                    .env("PGDATABASE", "train")
                    .env_remove("PGSERVICE")
                    .output()
                    .unwrap(),
                other => panic!(
                    "{}:{}: a runnable block must be sql or bash, not {other}",
                    block.page, block.line
                ),
            };
            assert!(
                out.status.success(),
                "{}:{} failed ({:?}):\n{}\nstdout:\n{}\nstderr:\n{}",
                page.display(),
                block.line,
                out.status.code(),
                block.code,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
