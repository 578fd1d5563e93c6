//! Charts drawn on the server as inline SVG: nothing to load, nothing run in the browser, and the
//! same picture in a screenshot as on screen. Every text that reaches the SVG is escaped.
//!
//! Each plot is a `<figure class="plot" data-plot="KIND">` (tests count them); sparklines in tables
//! are `<svg class="spark">`, which are not plots.

use std::fmt::Write;

use super::html::esc;

pub const PALETTE: [&str; 8] = [
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
];

const W: f64 = 560.0;
const H: f64 = 320.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 46.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Line,
    Points,
    LinePoints,
    /// A dashed reference line (the diagonal of a ROC or calibration plot).
    Reference,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Series {
        Series {
            name: name.into(),
            points: points
                .into_iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect(),
            style,
        }
    }
}

/// A figure around a chart: the element tests count, with its caption.
pub fn figure(kind: &str, title: &str, body: &str) -> String {
    format!(
        "<figure class=\"plot\" data-plot=\"{}\"><figcaption>{}</figcaption>{body}</figure>",
        esc(kind),
        esc(title)
    )
}

/// Round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64, want: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / want.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut v = start;
    while v <= hi + step * 1e-9 && out.len() < 20 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

/// A number for an axis or a label: short, without trailing noise.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn new(x: (f64, f64), y: (f64, f64)) -> Frame {
        let widen = |(lo, hi): (f64, f64)| {
            if !(lo.is_finite() && hi.is_finite()) {
                (0.0, 1.0)
            } else if hi - lo < 1e-12 {
                (lo - 0.5, hi + 0.5)
            } else {
                (lo, hi)
            }
        };
        Frame {
            x: widen(x),
            y: widen(y),
        }
    }
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (W - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        H - BOTTOM - (y - self.y.0) / (self.y.1 - self.y.0) * (H - TOP - BOTTOM)
    }
    /// Grid, ticks and axis titles.
    fn axes(&self, out: &mut String, x_label: &str, y_label: &str) {
        for t in ticks(self.y.0, self.y.1, 5) {
            let y = self.py(t);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                esc(&num(t))
            );
        }
        for t in ticks(self.x.0, self.x.1, 6) {
            let x = self.px(t);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
                 <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                H - BOTTOM,
                H - BOTTOM + 16.0,
                esc(&num(t))
            );
        }
        let _ = write!(
            out,
            "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"axis\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            W - LEFT - RIGHT,
            H - TOP - BOTTOM,
            LEFT + (W - LEFT - RIGHT) / 2.0,
            H - 8.0,
            esc(x_label),
            TOP + (H - TOP - BOTTOM) / 2.0,
            esc(y_label)
        );
    }
}

fn open_svg(label: &str) -> String {
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    )
}

fn legend(out: &mut String, names: &[(String, &str)]) {
    if names.is_empty() {
        return;
    }
    out.push_str("<div class=\"legend\">");
    for (name, color) in names {
        let _ = write!(
            out,
            "<span><i style=\"background:{color}\"></i>{}</span>",
            esc(name)
        );
    }
    out.push_str("</div>");
}

fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// Options of an x/y chart.
#[derive(Debug, Clone, Default)]
pub struct XY<'a> {
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Fixed ranges (e.g. 0..1 for rates); None: the data's extent.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    /// Labels of the x ticks when x is a position in a list (dates, parameter values).
    pub x_names: Option<&'a [String]>,
}

/// Lines and/or points of several series on one pair of axes.
pub fn xy(kind: &str, title: &str, series: &[Series], o: &XY<'_>) -> String {
    let x = o
        .x_range
        .unwrap_or_else(|| extent(series.iter().flat_map(|s| s.points.iter().map(|p| p.0))));
    let y = o
        .y_range
        .unwrap_or_else(|| extent(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))));
    let f = Frame::new(x, y);
    let mut out = open_svg(title);
    if let Some(names) = o.x_names {
        // Categorical x: axes without x ticks, then the names under their positions.
        let mut axes = String::new();
        f.axes(&mut axes, o.x_label, o.y_label);
        out.push_str(&strip_x_ticks(&axes));
        let every = names.len().div_ceil(8).max(1);
        for (i, n) in names.iter().enumerate().step_by(every) {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                f.px(i as f64),
                H - BOTTOM + 16.0,
                esc(n)
            );
        }
    } else {
        f.axes(&mut out, o.x_label, o.y_label);
    }
    let mut names = Vec::new();
    let mut color_at = 0;
    for s in series {
        let color = if s.style == Style::Reference {
            "#9ca3af"
        } else {
            let c = PALETTE[color_at % PALETTE.len()];
            color_at += 1;
            names.push((s.name.clone(), c));
            c
        };
        if matches!(s.style, Style::Line | Style::LinePoints | Style::Reference)
            && s.points.len() > 1
        {
            let d: Vec<String> = s
                .points
                .iter()
                .map(|&(a, b)| format!("{:.1},{:.1}", f.px(a), f.py(b)))
                .collect();
            let dash = if s.style == Style::Reference {
                " stroke-dasharray=\"5 4\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{}\"><title>{}</title></polyline>",
                d.join(" "),
                esc(&s.name)
            );
        }
        if matches!(s.style, Style::Points | Style::LinePoints) {
            let r = if s.points.len() > 200 { 2.2 } else { 3.2 };
            for &(a, b) in &s.points {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{color}\" fill-opacity=\"0.65\"/>",
                    f.px(a),
                    f.py(b)
                );
            }
        }
    }
    out.push_str("</svg>");
    legend(&mut out, &names);
    figure(kind, title, &out)
}

/// The axes' text without the x tick labels (for categorical x).
fn strip_x_ticks(axes: &str) -> String {
    let mut out = String::new();
    for part in axes.split_inclusive("</text>") {
        let is_x_tick = part.contains("class=\"tick\"") && part.contains("text-anchor=\"middle\"");
        if is_x_tick {
            // Keep the grid line that precedes it.
            if let Some(at) = part.find("<text") {
                out.push_str(&part[..at]);
            }
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Vertical bars over equal-width bins: `edges` has one more value than `counts`.
pub fn histogram(kind: &str, title: &str, edges: &[f64], counts: &[u64], x_label: &str) -> String {
    let mut out = open_svg(title);
    if edges.len() == counts.len() + 1 && !counts.is_empty() {
        let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let f = Frame::new((edges[0], edges[edges.len() - 1]), (0.0, max));
        f.axes(&mut out, x_label, "rows");
        for (i, &c) in counts.iter().enumerate() {
            let (x0, x1) = (f.px(edges[i]), f.px(edges[i + 1]));
            let y = f.py(c as f64);
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} – {}: {c}</title></rect>",
                x0 + 0.5,
                (x1 - x0 - 1.0).max(0.5),
                (H - BOTTOM - y).max(0.0),
                esc(&num(edges[i])),
                esc(&num(edges[i + 1]))
            );
        }
    }
    out.push_str("</svg>");
    figure(kind, title, &out)
}

/// Horizontal bars, one per label, longest first as given (feature importances, class counts).
pub fn bars(kind: &str, title: &str, items: &[(String, f64)]) -> String {
    let row = 22.0;
    let label_w = 190.0;
    let height = (items.len() as f64 * row + 10.0).max(40.0);
    let max = items
        .iter()
        .map(|i| i.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-300);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {height:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let span = W - label_w - 70.0;
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let w = if v.is_finite() { v / max * span } else { 0.0 };
        let shown: String = if label.chars().count() > 28 {
            label.chars().take(27).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>\
             <rect class=\"bar\" x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(&shown),
            esc(label),
            y + 3.0,
            w.max(1.0),
            row - 6.0,
            label_w + w + 6.0,
            y + 15.0,
            esc(&num(*v))
        );
    }
    out.push_str("</svg>");
    figure(kind, title, &out)
}

/// Points with error bars at categorical positions (a search's candidates against one parameter).
pub fn error_bars(
    kind: &str,
    title: &str,
    names: &[String],
    mean: &[f64],
    std: &[f64],
    chosen: Option<usize>,
    y_label: &str,
) -> String {
    let lo = extent(mean.iter().zip(std).map(|(m, s)| m - s));
    let hi = extent(mean.iter().zip(std).map(|(m, s)| m + s));
    let pad = ((hi.1 - lo.0) * 0.08).max(1e-6);
    let f = Frame::new((-0.5, names.len() as f64 - 0.5), (lo.0 - pad, hi.1 + pad));
    let mut axes = String::new();
    f.axes(&mut axes, "", y_label);
    let mut out = open_svg(title);
    out.push_str(&strip_x_ticks(&axes));
    let every = names.len().div_ceil(10).max(1);
    for (i, n) in names.iter().enumerate() {
        let x = f.px(i as f64);
        if i % every == 0 {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                H - BOTTOM + 16.0,
                esc(n)
            );
        }
        let (m, s) = (mean[i], std.get(i).copied().unwrap_or(0.0));
        if !m.is_finite() {
            continue;
        }
        let color = if Some(i) == chosen {
            PALETTE[1]
        } else {
            PALETTE[0]
        };
        let _ = write!(
            out,
            "<line stroke=\"{color}\" stroke-width=\"1.5\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <line stroke=\"{color}\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <line stroke=\"{color}\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{color}\"><title>{}: {} ± {}</title></circle>",
            f.py(m - s),
            f.py(m + s),
            x - 5.0,
            x + 5.0,
            f.py(m - s),
            f.py(m - s),
            x - 5.0,
            x + 5.0,
            f.py(m + s),
            f.py(m + s),
            f.py(m),
            esc(n),
            esc(&num(m)),
            esc(&num(s))
        );
    }
    out.push_str("</svg>");
    figure(kind, title, &out)
}

/// A small histogram for a table cell (a column's distribution): a plot without axes, its range
/// in the tooltip.
pub fn mini_histogram(counts: &[u64], label: &str) -> String {
    let (w, h) = (180.0, 34.0);
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bw = w / counts.len().max(1) as f64;
    let mut out = format!(
        "<figure class=\"plot mini\" data-plot=\"column_histogram\"><svg class=\"mini\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(label),
        esc(label)
    );
    for (i, &c) in counts.iter().enumerate() {
        let bh = (c as f64 / max * (h - 2.0)).max(if c > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#60a5fa\"/>",
            i as f64 * bw + 0.5,
            h - bh,
            (bw - 1.0).max(0.5)
        );
    }
    out.push_str("</svg></figure>");
    out
}

/// A small line of values for a table cell; the last value is marked.
pub fn sparkline(values: &[f64]) -> String {
    let v: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    if v.is_empty() {
        return String::new();
    }
    let (w, h) = (120.0, 26.0);
    let (lo, hi) = extent(v.iter().map(|p| p.1));
    let span = if hi - lo < 1e-12 { 1.0 } else { hi - lo };
    let n = values.len().max(2) - 1;
    let pt = |i: usize, y: f64| {
        (
            2.0 + i as f64 / n as f64 * (w - 4.0),
            h - 3.0 - (y - lo) / span * (h - 6.0),
        )
    };
    let d: Vec<String> = v
        .iter()
        .map(|&(i, y)| {
            let (a, b) = pt(i, y);
            format!("{a:.1},{b:.1}")
        })
        .collect();
    let (lx, ly) = pt(v[v.len() - 1].0, v[v.len() - 1].1);
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\"><polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/><circle cx=\"{lx:.1}\" cy=\"{ly:.1}\" r=\"2.5\" fill=\"{}\"/></svg>",
        PALETTE[0],
        d.join(" "),
        PALETTE[0]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = ticks(-3.7, 12.2, 6);
        assert_eq!(t, vec![0.0, 5.0, 10.0]);
    }

    #[test]
    fn names_are_escaped_in_every_chart() {
        let evil = "<script>alert(1)</script>".to_string();
        let charts = [
            xy(
                "k",
                &evil,
                &[Series::new(
                    evil.clone(),
                    vec![(0.0, 1.0), (1.0, 2.0)],
                    Style::Line,
                )],
                &XY::default(),
            ),
            bars("k", &evil, &[(evil.clone(), 1.0)]),
            histogram("k", &evil, &[0.0, 1.0], &[3], &evil),
            error_bars(
                "k",
                &evil,
                std::slice::from_ref(&evil),
                &[0.5],
                &[0.1],
                Some(0),
                &evil,
            ),
        ];
        for c in charts {
            assert!(!c.contains("<script"), "{c}");
            assert!(c.contains("&lt;script&gt;"), "{c}");
            assert_eq!(c.matches("class=\"plot\"").count(), 1);
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(0.912345), "0.912");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(1234.6), "1235");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(1e-7), "1.00e-7");
        assert_eq!(num(f64::NAN), "–");
    }

    #[test]
    fn sparkline_skips_missing_values() {
        assert!(sparkline(&[]).is_empty());
        let s = sparkline(&[0.5, f64::NAN, 0.7]);
        assert_eq!(s.matches(',').count(), 2);
    }
}
