//! Progress of long copies (`sync dump`, the initial copy of `sync replicate`, `models push`): a bar
//! with the amount, percentage and ETA when standard error is a terminal (indicatif), plain lines every
//! few seconds otherwise, so logs of scripted runs show progress without control characters.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Rows,
    /// Targets, tables: small counts.
    Items,
}

#[derive(Debug)]
pub struct Progress {
    label: String,
    unit: Unit,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
    every: Duration,
    bar: Option<ProgressBar>,
}

/// Between two plain progress lines, unless PGML_PROGRESS_EVERY_MS says otherwise (logs that want
/// fewer lines, tests that want them at once).
fn line_every() -> Duration {
    std::env::var("PGML_PROGRESS_EVERY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(2), Duration::from_millis)
}

impl Progress {
    /// `total` is an estimate when known (a dump's size is estimated from the tables' size), so the
    /// percentage is capped below 100 until the copy ends.
    pub fn new(label: &str, total: Option<u64>, unit: Unit) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let amount = match unit {
                Unit::Bytes => "{binary_bytes}/~{binary_total_bytes}",
                Unit::Rows => "{human_pos}/{human_len} rows",
                Unit::Items => "{pos}/{len}",
            };
            let template = if total.is_some() {
                format!("  {{msg}} [{{wide_bar}}] {amount} {{percent}}% ETA {{eta}}")
            } else {
                "  {msg} {spinner} {binary_bytes} {elapsed}".to_string()
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            unit,
            total,
            done: 0,
            started: now,
            last_line: now,
            every: line_every(),
            bar,
        }
    }

    pub fn set(&mut self, done: u64) {
        self.done = done;
        if let Some(bar) = &self.bar {
            if let Some(total) = self.total {
                // An estimate can be exceeded: grow the total rather than overflow the bar.
                if done > total {
                    bar.set_length(done);
                }
            }
            bar.set_position(done);
        } else if self.last_line.elapsed() >= self.every {
            self.last_line = Instant::now();
            eprintln!("  {}", self.line());
        }
    }

    pub fn add(&mut self, n: u64) {
        self.set(self.done + n);
    }

    /// The plain progress line: amount, percentage and ETA when the total is known.
    pub fn line(&self) -> String {
        let amount = |n: u64| match self.unit {
            Unit::Bytes => format!("{:.1} MB", n as f64 / 1e6),
            Unit::Rows => format!("{n} rows"),
            Unit::Items => n.to_string(),
        };
        match self.total.filter(|t| *t > 0) {
            Some(total) => {
                let fraction = (self.done as f64 / total as f64).min(0.99);
                let elapsed = self.started.elapsed().as_secs_f64();
                let eta = if self.done > 0 {
                    format!(
                        ", about {:.0} s left",
                        elapsed * (1.0 - fraction) / fraction.max(1e-9)
                    )
                } else {
                    String::new()
                };
                format!(
                    "{}: {} of ~{} ({:.0} %){eta}",
                    self.label,
                    amount(self.done),
                    amount(total),
                    fraction * 100.0
                )
            }
            None => format!("{}: {}", self.label, amount(self.done)),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_show_amount_percentage_and_eta() {
        let mut p = Progress::new("copying", Some(100_000_000), Unit::Bytes);
        p.bar = None;
        p.done = 35_000_000;
        let line = p.line();
        assert!(
            line.starts_with("copying: 35.0 MB of ~100.0 MB (35 %)"),
            "{line}"
        );
        assert!(line.contains("s left"), "{line}");
        let mut rows = Progress::new("initial copy", Some(10), Unit::Rows);
        rows.bar = None;
        rows.done = 20;
        assert!(
            rows.line().contains("(99 %)"),
            "an estimate exceeded stays below 100 %"
        );
        let open = Progress::new("exporting", None, Unit::Bytes);
        assert_eq!(open.line(), "exporting: 0.0 MB");
    }
}
