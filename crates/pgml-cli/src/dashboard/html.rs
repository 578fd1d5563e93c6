//! HTML text: escaping (every catalog value goes through [`esc`]), the page frame, its style and
//! the one inline script.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's only script: it marks the page as rendered once the parser reached the end of the
/// body, after every server-drawn chart is in the DOM (browser tests wait for `data-ready`).
pub const READY_SCRIPT: &str = "document.body.dataset.ready = \"1\";";

/// The Content-Security-Policy: nothing loaded from anywhere, inline style, and only the ready
/// script (by its hash), so an injected script could not run even if escaping failed.
pub fn content_security_policy() -> String {
    use base64::Engine;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(READY_SCRIPT));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

const STYLE: &str = r#"
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff; --accent:#2563eb; --ok:#16a34a; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 "DejaVu Sans", system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:#0f172a; color:#e2e8f0; padding:10px 24px; display:flex; gap:24px; align-items:center; }
header.top a { color:#e2e8f0; text-decoration:none; }
header.top .brand { font-weight:700; font-size:16px; letter-spacing:.3px; }
header.top nav a { margin-right:16px; opacity:.85; }
header.top .server { margin-left:auto; font-size:12px; opacity:.7; }
main { padding:18px 24px 40px; max-width:1240px; margin:0 auto; }
h1 { font-size:22px; margin:4px 0 4px; }
h2 { font-size:16px; margin:26px 0 10px; }
.sub { color:var(--muted); margin-bottom:14px; }
.crumbs { color:var(--muted); font-size:13px; }
.crumbs a { color:var(--muted); }
a { color:var(--accent); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
.grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap:16px; }
.facts { display:grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap:10px; margin:8px 0 4px; }
.fact { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.fact .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.4px; }
.fact .v { font-size:18px; font-weight:600; margin-top:2px; overflow-wrap:anywhere; }
table { border-collapse:collapse; width:100%; background:var(--card); }
table.data { border:1px solid var(--line); border-radius:8px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:middle; }
th { font-size:12px; font-weight:600; color:var(--muted); background:#fafafa; white-space:nowrap; }
tbody th { font-size:13px; font-weight:500; color:#374151; }
td.date { white-space:nowrap; }
th a { color:var(--muted); text-decoration:none; }
td.n, th.n { text-align:right; font-variant-numeric: tabular-nums; }
td.params { font-family: "DejaVu Sans Mono", monospace; font-size:12px; color:#374151; max-width:360px; overflow-wrap:anywhere; }
tr.current td { background:#f0fdf4; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:#e5e7eb; color:#374151; }
.badge.ok { background:#dcfce7; color:#166534; }
.badge.warn { background:#fef3c7; color:#92400e; }
.muted { color:var(--muted); }
figure.plot { margin:0; background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px 8px; }
figure.plot figcaption { font-weight:600; margin-bottom:6px; }
svg.chart { width:100%; height:auto; display:block; }
svg.chart .grid { stroke:#eef0f3; }
svg.chart .frame { fill:none; stroke:#d1d5db; }
svg.chart .tick { font-size:11px; fill:#6b7280; }
svg.chart .axis { font-size:12px; fill:#374151; }
svg.chart .value { font-size:11px; fill:#374151; }
svg.chart .bar { fill:#60a5fa; }
.legend { font-size:12px; color:#374151; margin-top:4px; }
.legend span { margin-right:12px; white-space:nowrap; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
table.heat td { text-align:center; min-width:44px; font-variant-numeric: tabular-nums; }
table.heat th { text-align:center; }
pre.sql { background:#0f172a; color:#e2e8f0; padding:12px 14px; border-radius:8px; overflow-x:auto; font-size:13px; }
.timeline { list-style:none; padding:0; margin:0; border-left:2px solid var(--line); }
.timeline li { position:relative; padding:4px 0 10px 16px; }
.timeline li::before { content:""; position:absolute; left:-6px; top:9px; width:10px; height:10px; border-radius:50%; background:var(--accent); }
.timeline li.now::before { background:var(--ok); }
.note { background:#fffbeb; border:1px solid #fde68a; padding:8px 12px; border-radius:8px; margin:10px 0; }
.error { background:#fef2f2; border:1px solid #fecaca; padding:8px 12px; border-radius:8px; margin:10px 0; }
button { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:6px 14px; font-size:14px; cursor:pointer; }
figure.plot.mini { border:0; padding:0; background:none; border-radius:0; }
"#;

/// A whole page: header with the navigation, the body, then the ready script last.
pub fn page(title: &str, server: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 6000);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · pgml</title><style>{STYLE}</style></head><body>\
         <header class=\"top\"><a class=\"brand\" href=\"/\">pgml</a>\
         <nav><a href=\"/\">Projects</a><a href=\"/fleet\">Fleet</a></nav>\
         <span class=\"server\">{}</span></header><main>{body}</main>\
         <script>{READY_SCRIPT}</script></body></html>",
        esc(title),
        esc(server)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn the_page_has_one_script_allowed_by_its_hash() {
        let p = page("<b>", "postgresql://u@h:1/db", "<p>x</p>");
        assert_eq!(p.matches("<script>").count(), 1);
        assert!(p.contains("<title>&lt;b&gt; · pgml</title>"));
        let csp = content_security_policy();
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(csp.contains("default-src 'none'"));
    }
}
