//! The pages, rendered on the server from the catalog. Every catalog value is escaped (`esc`), or
//! is a number formatted here.

use std::fmt::Write;

use postgres::Client;
use serde_json::Value;

use super::catalog::{self, Columns, QueryError};
use super::html::esc;
use super::svg::{self, num, Series, Style, XY};

/// A rendered page or why there is none.
#[derive(Debug)]
pub enum Page {
    Ok { title: String, body: String },
    NotFound(String),
    Failed(QueryError),
}

impl From<QueryError> for Page {
    fn from(e: QueryError) -> Page {
        Page::Failed(e)
    }
}

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        let _ = write!($out, $($arg)*);
    };
}

/// Metrics worth a column in a project's model table, by task (the key metric first).
fn table_metrics(task: &str) -> &'static [&'static str] {
    match task {
        "regression" => &["r2", "mean_absolute_error", "mean_squared_error"],
        "classification" => &["f1", "accuracy", "roc_auc"],
        "clustering" => &["silhouette"],
        "decomposition" => &["cumulative_explained_variance"],
        _ => &[],
    }
}

/// A metric's name as a column heading: the long ones shortened.
fn short(name: &str) -> &str {
    match name {
        "mean_absolute_error" => "MAE",
        "mean_squared_error" => "MSE",
        "cumulative_explained_variance" => "explained variance",
        other => other,
    }
}

fn metric(m: &Value, name: &str) -> Option<f64> {
    m.get(name).and_then(Value::as_f64)
}

fn cell_num(v: Option<f64>) -> String {
    v.map_or_else(
        || "<span class=\"muted\">–</span>".to_string(),
        |v| esc(&num(v)),
    )
}

fn fact(out: &mut String, k: &str, v: &str) {
    w!(
        out,
        "<div class=\"fact\"><div class=\"k\">{}</div><div class=\"v\">{v}</div></div>",
        esc(k)
    );
}

/// A JSON value as short text (strings without quotes).
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The hyperparameters that differ from the algorithm's defaults, as `name=value` text.
fn non_default(algorithm: &str, task: &str, params: &Value) -> String {
    let defaults = pgml_core::Task::parse(task).ok().and_then(|t| {
        pgml_core::algorithms::Algorithm::named(algorithm)
            .and_then(|a| a.resolve(t, &serde_json::json!({})).ok())
            .map(|h| h.to_json())
    });
    let Some(obj) = params.as_object() else {
        return String::new();
    };
    obj.iter()
        .filter(|(k, v)| {
            defaults
                .as_ref()
                .and_then(|d| d.get(k.as_str()))
                .is_none_or(|d| d != *v)
        })
        .map(|(k, v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_value_table(out: &mut String, rows: &[(String, String)], empty: &str) {
    if rows.is_empty() {
        w!(out, "<p class=\"muted\">{}</p>", esc(empty));
        return;
    }
    out.push_str("<table class=\"data\"><tbody>");
    for (k, v) in rows {
        w!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</tbody></table>");
}

// ---------------------------------------------------------------------------------------------
// Projects

pub fn projects(c: &mut Client) -> Page {
    let list = match catalog::projects(c) {
        Ok(l) => l,
        Err(e) => return e.into(),
    };
    let mut b = String::new();
    let models: i64 = list.iter().map(|p| p.models).sum();
    w!(
        b,
        "<h1>Projects</h1><div class=\"sub\">{} projects · {models} models</div>",
        list.len()
    );
    if list.is_empty() {
        b.push_str(
            "<div class=\"note\">No project is visible to this role yet. Train one with \
             <code>SELECT * FROM pgml.train('my project', 'regression', 'my_table', 'label')</code>, \
             or ask a project's owner for a right on it (<code>pgml.grant_project</code>).</div>",
        );
    } else {
        b.push_str(
            "<table class=\"data\" id=\"projects\"><thead><tr><th>Project</th><th>Task</th>\
             <th>Deployed model</th><th class=\"n\">Key metric</th><th class=\"n\">Models</th>\
             <th>Last training</th><th>Key metric over models</th></tr></thead><tbody>",
        );
        for p in &list {
            let key = catalog::key_metric(&p.task);
            let deployed = match (p.deployed_model, &p.deployed_algorithm) {
                (Some(id), Some(a)) => format!("<a href=\"/models/{id}\">#{id}</a> {}", esc(a)),
                (Some(id), None) => format!("<a href=\"/models/{id}\">#{id}</a>"),
                _ => "<span class=\"muted\">none</span>".into(),
            };
            let scores: Vec<f64> = p.scores.iter().map(|s| s.unwrap_or(f64::NAN)).collect();
            w!(
                b,
                "<tr data-project-id=\"{}\"><td><a class=\"project\" href=\"/projects/{}\">{}</a></td><td>{}</td>\
                 <td>{deployed}</td><td class=\"n\" data-metric=\"{}\" data-value=\"{}\">{}</td><td class=\"n\">{}</td><td class=\"date\">{}</td><td>{}</td></tr>",
                p.id,
                p.id,
                esc(&p.name),
                esc(&p.task),
                esc(key),
                p.deployed_score.map_or(String::new(), |v| v.to_string()),
                p.deployed_score
                    .map_or_else(|| "–".into(), |v| format!("{} <span class=\"muted\">{}</span>", esc(&num(v)), esc(short(key)))),
                p.models,
                esc(p.last_trained.as_deref().unwrap_or("–")),
                svg::sparkline(&scores)
            );
        }
        b.push_str("</tbody></table>");
    }
    Page::Ok {
        title: "Projects".into(),
        body: b,
    }
}

// ---------------------------------------------------------------------------------------------
// Project

/// The model table's sort orders (`?sort=`), each a comparison in Rust: no request text reaches SQL.
pub const SORTS: &[&str] = &["id", "algorithm", "score", "fit_time", "created"];

pub fn project(c: &mut Client, cols: &Columns, id: i64, sort: &str, desc: bool) -> Page {
    let p = match catalog::project(c, cols, id) {
        Ok(Some(p)) => p,
        Ok(None) => return Page::NotFound(format!("no project {id} visible to this role")),
        Err(e) => return e.into(),
    };
    let mut models = match catalog::project_models(c, cols, id) {
        Ok(m) => m,
        Err(e) => return e.into(),
    };
    let deployments = match catalog::deployments(c, cols, id) {
        Ok(d) => d,
        Err(e) => return e.into(),
    };
    let key = catalog::key_metric(&p.task);
    let current = deployments.first().map(|d| d.model_id);
    let mut b = String::new();
    w!(
        b,
        "<div class=\"crumbs\"><a href=\"/\">Projects</a> /</div><h1 id=\"project-name\" data-project-id=\"{}\">{}</h1>\
         <div class=\"sub\">{} · owner {} · created {}</div>",
        p.id,
        esc(&p.name),
        esc(&p.task),
        esc(p.owner.as_deref().unwrap_or("–")),
        esc(&p.created_at)
    );
    let best = models
        .iter()
        .filter_map(|m| metric(&m.metrics, key))
        .fold(None, |b: Option<f64>, v| Some(b.map_or(v, |b| b.max(v))));
    b.push_str("<div class=\"facts\">");
    fact(&mut b, "models", &models.len().to_string());
    fact(
        &mut b,
        "deployed",
        &current.map_or_else(
            || "none".into(),
            |m| format!("<a href=\"/models/{m}\">#{m}</a>"),
        ),
    );
    let deployed_score = current
        .and_then(|m| models.iter().find(|x| x.id == m))
        .and_then(|m| metric(&m.metrics, key));
    fact(
        &mut b,
        &format!("deployed {}", short(key)),
        &cell_num(deployed_score),
    );
    fact(&mut b, &format!("best {}", short(key)), &cell_num(best));
    fact(&mut b, "deployments", &deployments.len().to_string());
    b.push_str("</div>");

    if models.is_empty() {
        b.push_str("<div class=\"note\">This project has no model.</div>");
    } else {
        // The key metric of each model in training order.
        let points: Vec<(f64, f64)> = models
            .iter()
            .enumerate()
            .filter_map(|(i, m)| metric(&m.metrics, key).map(|v| (i as f64, v)))
            .collect();
        let names: Vec<String> = models.iter().map(|m| format!("#{}", m.id)).collect();
        let dep: Vec<(f64, f64)> = models
            .iter()
            .enumerate()
            .filter(|(_, m)| deployments.iter().any(|d| d.model_id == m.id))
            .filter_map(|(i, m)| metric(&m.metrics, key).map(|v| (i as f64, v)))
            .collect();
        b.push_str("<h2>Key metric over time</h2><div class=\"grid\">");
        b.push_str(&svg::xy(
            "key_metric_over_time",
            &format!("{key} of each model, oldest first"),
            &[
                Series::new(key, points, Style::LinePoints),
                Series::new("deployed at some time", dep, Style::Points),
            ],
            &XY {
                x_label: "model",
                y_label: key,
                x_range: Some((-0.5, models.len() as f64 - 0.5)),
                x_names: Some(&names),
                ..XY::default()
            },
        ));
        b.push_str(&timeline(&deployments, current));
        b.push_str("</div>");
    }

    // The models, sorted as asked (links flip the direction of the current column).
    let metric_cols = table_metrics(&p.task);
    let score = |m: &catalog::ModelSummary| metric(&m.metrics, key).unwrap_or(f64::NEG_INFINITY);
    let fit = |m: &catalog::ModelSummary| metric(&m.metrics, "fit_time").unwrap_or(f64::INFINITY);
    match sort {
        "algorithm" => models.sort_by(|a, b| a.algorithm.cmp(&b.algorithm).then(a.id.cmp(&b.id))),
        "score" => models.sort_by(|a, b| score(a).total_cmp(&score(b)).then(a.id.cmp(&b.id))),
        "fit_time" => models.sort_by(|a, b| fit(a).total_cmp(&fit(b)).then(a.id.cmp(&b.id))),
        "created" => models.sort_by(|a, b| {
            a.created_epoch
                .total_cmp(&b.created_epoch)
                .then(a.id.cmp(&b.id))
        }),
        _ => models.sort_by_key(|m| m.id),
    }
    if desc {
        models.reverse();
    }
    let head = |label: &str, k: &str, numeric: bool| {
        let next_desc = if sort == k { !desc } else { k == "score" };
        let arrow = if sort == k {
            if desc {
                " ▼"
            } else {
                " ▲"
            }
        } else {
            ""
        };
        format!(
            "<th{}><a href=\"?sort={k}&amp;dir={}\">{}{arrow}</a></th>",
            if numeric { " class=\"n\"" } else { "" },
            if next_desc { "desc" } else { "asc" },
            esc(label)
        )
    };
    b.push_str("<h2>Models</h2><table class=\"data\" id=\"models\"><thead><tr>");
    b.push_str(&head("Model", "id", false));
    b.push_str(&head("Algorithm", "algorithm", false));
    b.push_str("<th>Hyperparameters (not default)</th>");
    for (i, m) in metric_cols.iter().enumerate() {
        if i == 0 {
            b.push_str(&head(short(m), "score", true));
        } else {
            w!(
                b,
                "<th class=\"n\" title=\"{}\">{}</th>",
                esc(m),
                esc(short(m))
            );
        }
    }
    b.push_str(&head("Fit time (s)", "fit_time", true));
    b.push_str(&head("Trained", "created", false));
    b.push_str("<th>Deployed</th><th>Origin</th></tr></thead><tbody>");
    for m in &models {
        let deployed = if Some(m.id) == current {
            "<span class=\"badge ok\">deployed</span>"
        } else if deployments.iter().any(|d| d.model_id == m.id) {
            "<span class=\"badge\">before</span>"
        } else {
            ""
        };
        w!(
            b,
            "<tr data-model-id=\"{}\"{}><td><a href=\"/models/{}\">#{}</a></td><td>{}{}</td><td class=\"params\">{}</td>",
            m.id,
            if Some(m.id) == current { " class=\"current\"" } else { "" },
            m.id,
            m.id,
            esc(&m.algorithm),
            if m.search.is_some() { " <span class=\"badge\">search</span>" } else { "" }.to_string()
                + &if m.status == "successful" { String::new() } else { format!(" <span class=\"badge warn\">{}</span>", esc(&m.status)) },
            esc(&non_default(&m.algorithm, &p.task, &m.hyperparams))
        );
        for k in metric_cols {
            let v = metric(&m.metrics, k);
            w!(
                b,
                "<td class=\"n\" data-metric=\"{}\" data-value=\"{}\">{}</td>",
                esc(k),
                v.map_or(String::new(), |v| v.to_string()),
                cell_num(v)
            );
        }
        w!(
            b,
            "<td class=\"n\">{}</td><td class=\"date\">{}</td><td>{deployed}</td><td>{}</td></tr>",
            cell_num(metric(&m.metrics, "fit_time")),
            esc(&m.created_at),
            esc(&origin_text(&m.origin))
        );
    }
    b.push_str("</tbody></table>");
    Page::Ok {
        title: p.name,
        body: b,
    }
}

fn origin_text(o: &Value) -> String {
    match o.as_object() {
        None => String::new(),
        Some(o) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", show(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn timeline(deployments: &[catalog::Deployment], current: Option<i64>) -> String {
    let mut b = String::from(
        "<figure class=\"plot\" data-plot=\"deployment_timeline\"><figcaption>Deployments, newest first</figcaption>",
    );
    if deployments.is_empty() {
        b.push_str("<p class=\"muted\">Never deployed.</p>");
    } else {
        b.push_str("<ul class=\"timeline\">");
        for (i, d) in deployments.iter().take(30).enumerate() {
            w!(
                b,
                "<li{}><b>{}</b> · <a href=\"/models/{}\">#{}</a> {} · {} · by {}</li>",
                if i == 0 && current == Some(d.model_id) {
                    " class=\"now\""
                } else {
                    ""
                },
                esc(&d.created_at),
                d.model_id,
                d.model_id,
                esc(d.algorithm.as_deref().unwrap_or("")),
                esc(&d.strategy),
                esc(d.deployed_by.as_deref().unwrap_or("(not recorded)"))
            );
        }
        if deployments.len() > 30 {
            w!(
                b,
                "<li class=\"muted\">… {} older</li>",
                deployments.len() - 30
            );
        }
        b.push_str("</ul>");
    }
    b.push_str("</figure>");
    b
}

// ---------------------------------------------------------------------------------------------
// Model

/// What the model page may offer besides reading.
#[derive(Debug, Clone, Default)]
pub struct DeployOffer {
    /// The dashboard was started with --allow-deploy.
    pub allowed: bool,
    pub csrf: String,
    /// A message to show (the result of a deploy).
    pub message: Option<(bool, String)>,
}

pub fn model(c: &mut Client, cols: &Columns, id: i64, offer: &DeployOffer) -> Page {
    let m = match catalog::model(c, cols, id) {
        Ok(Some(m)) => m,
        Ok(None) => return Page::NotFound(format!("no model {id} visible to this role")),
        Err(e) => return e.into(),
    };
    let snap = match m.snapshot_id {
        Some(s) => match catalog::snapshot(c, cols, s) {
            Ok(s) => s,
            Err(e) => return e.into(),
        },
        None => None,
    };
    let key = catalog::key_metric(&m.task);
    let mut b = String::new();
    w!(
        b,
        "<div class=\"crumbs\"><a href=\"/\">Projects</a> / <a href=\"/projects/{}\">{}</a> /</div>\
         <h1 id=\"model-title\">Model #{} · {}</h1><div class=\"sub\">{} of <a href=\"/projects/{}\" id=\"model-project\">{}</a> · trained {} · {}</div>",
        m.project_id,
        esc(&m.project),
        m.id,
        esc(&m.algorithm),
        esc(&m.task),
        m.project_id,
        esc(&m.project),
        esc(&m.created_at),
        if m.deployed_now {
            "<span class=\"badge ok\" id=\"deployed\">deployed</span>"
        } else if m.deployed_ever {
            "<span class=\"badge\">deployed before</span>"
        } else {
            "<span class=\"badge\">not deployed</span>"
        }
    );
    if let Some((ok, msg)) = &offer.message {
        w!(
            b,
            "<div class=\"{}\">{}</div>",
            if *ok { "note" } else { "error" },
            esc(msg)
        );
    }
    if offer.allowed && !m.deployed_now {
        if catalog::may_deploy(c, m.project_id) {
            w!(
                b,
                "<form method=\"post\" action=\"/models/{}/deploy\" id=\"deploy\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <button type=\"submit\">Deploy model #{}</button> <span class=\"muted\">as the dashboard's database role</span></form>",
                m.id,
                esc(&offer.csrf),
                m.id
            );
        } else {
            b.push_str("<p class=\"muted\">This role may not deploy this project here (no deploy right, or a read-only server).</p>");
        }
    }
    b.push_str("<div class=\"facts\">");
    fact(&mut b, short(key), &cell_num(metric(&m.metrics, key)));
    fact(
        &mut b,
        "fit time (s)",
        &cell_num(metric(&m.metrics, "fit_time")),
    );
    fact(&mut b, "features", &m.num_features.to_string());
    if let Some(s) = &snap {
        fact(
            &mut b,
            "train rows",
            &s.num_train_rows.map_or("–".into(), |v| v.to_string()),
        );
        fact(
            &mut b,
            "test rows",
            &s.num_test_rows.map_or("–".into(), |v| v.to_string()),
        );
    }
    fact(&mut b, "status", &esc(&m.status));
    b.push_str("</div>");

    // Plots.
    b.push_str("<h2>Plots</h2>");
    let plots: Option<pgml_core::plots::Plots> = serde_json::from_value(m.plots.clone()).ok();
    let classes = class_names(&m.label_mapping);
    let mut figs = Vec::new();
    if let Some(p) = &plots {
        figs.extend(model_plots(p, &classes, &m.task));
    }
    if let Some(fi) = importances(&m.feature_importances) {
        figs.push(fi);
    }
    if plots.is_none() {
        b.push_str(
            "<div class=\"note\" id=\"no-plots\">This model has no stored plot data: it was trained by a pgml \
             older than 0.4.0 (or imported from one). Its metrics and hyperparameters are below; train it again to see its curves.</div>",
        );
    }
    if !figs.is_empty() {
        b.push_str("<div class=\"grid\">");
        for f in &figs {
            b.push_str(f);
        }
        b.push_str("</div>");
    }
    if let Some(search) = plots.as_ref().and_then(|p| p.search.as_ref()) {
        b.push_str(&search_section(search));
    }

    // Metrics and hyperparameters.
    b.push_str("<div class=\"grid\"><div><h2>Metrics</h2>");
    let mut metrics: Vec<(String, String, String)> = m
        .metrics
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_f64().map_or_else(|| show(v), num), show(v)))
                .collect()
        })
        .unwrap_or_default();
    metrics.sort();
    b.push_str(&{
        let mut t = String::new();
        metrics_table(&mut t, &metrics);
        t
    });
    b.push_str("</div><div><h2>Hyperparameters</h2>");
    let params: Vec<(String, String)> = m
        .hyperparams
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), show(v))).collect())
        .unwrap_or_default();
    key_value_table(&mut b, &params, "none recorded");
    if let Some(s) = &m.search {
        w!(
            b,
            "<p class=\"muted\">Chosen by a {} search over {}</p>",
            esc(s),
            esc(&m.search_params.to_string())
        );
    }
    b.push_str("</div></div>");

    // Lineage.
    b.push_str("<h2>Lineage</h2>");
    let mut lineage = Vec::new();
    match &snap {
        Some(s) => {
            lineage.push((
                "snapshot".to_string(),
                format!("<a href=\"/snapshots/{}\">#{}</a>", s.id, s.id),
            ));
            lineage.push(("relation".into(), esc(&s.relation_name)));
            lineage.push((
                if s.y_column_names.len() > 1 {
                    "label columns"
                } else {
                    "label column"
                }
                .into(),
                esc(&labels_text(&s.y_column_names)),
            ));
            lineage.push((
                "split".into(),
                esc(&format!(
                    "{} train / {} test rows, test_size {}, {}",
                    s.num_train_rows.map_or("?".into(), |v| v.to_string()),
                    s.num_test_rows.map_or("?".into(), |v| v.to_string()),
                    num(f64::from(s.test_size)),
                    s.test_sampling
                )),
            ));
            for (i, l) in s.lineage.as_array().into_iter().flatten().enumerate() {
                lineage.push((format!("source {}", i + 1), esc(&lineage_text(l))));
            }
        }
        None => lineage.push((
            "snapshot".into(),
            "<span class=\"muted\">not visible or removed</span>".into(),
        )),
    }
    if let Some(h) = &m.feature_hash {
        lineage.push(("feature hash".into(), format!("<code>{}</code>", esc(h))));
    }
    if m.origin.is_object() {
        lineage.push(("imported from".into(), esc(&origin_text(&m.origin))));
    }
    b.push_str("<table class=\"data\" id=\"lineage\"><tbody>");
    for (k, v) in &lineage {
        w!(b, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    }
    b.push_str("</tbody></table>");

    // How to call it.
    b.push_str("<h2>Predict with it</h2>");
    b.push_str(&predict_sql(&m, snap.as_ref()));
    Page::Ok {
        title: format!("Model {} · {}", m.id, m.project),
        body: b,
    }
}

/// Rows of (name, shown value, exact value); the exact value is kept in `data-value`.
fn metrics_table(out: &mut String, rows: &[(String, String, String)]) {
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">none recorded</p>");
        return;
    }
    out.push_str("<table class=\"data\" id=\"metrics\"><tbody>");
    for (k, v, raw) in rows {
        w!(
            out,
            "<tr data-metric=\"{}\"><th>{}</th><td class=\"n\" data-value=\"{}\">{}</td></tr>",
            esc(k),
            esc(k),
            esc(raw),
            esc(v)
        );
    }
    out.push_str("</tbody></table>");
}

fn lineage_text(l: &Value) -> String {
    match l.as_object() {
        Some(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}: {}", show(v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => show(l),
    }
}

/// Class names by code, from the label mapping ({"label": code}).
fn class_names(mapping: &Value) -> Vec<String> {
    let mut v: Vec<(u64, String)> = mapping
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, c)| c.as_u64().map(|c| (c, k.clone())))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.into_iter().map(|(_, k)| k).collect()
}

fn class_name(classes: &[String], code: u32) -> String {
    classes
        .get(code as usize)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// One figure per stored plot.
fn model_plots(p: &pgml_core::plots::Plots, classes: &[String], task: &str) -> Vec<String> {
    let mut figs = Vec::new();
    if let Some(cm) = &p.confusion_matrix {
        figs.push(confusion_matrix(&cm.matrix, classes));
    }
    let rate = Some((0.0, 1.0));
    // Each curve is named by its class and area (AUC for ROC, average precision for PR).
    let curves = |list: &[pgml_core::plots::Curve], area: &str| -> Vec<Series> {
        list.iter()
            .map(|c| {
                let name = format!(
                    "class {} ({area} {})",
                    class_name(classes, c.class),
                    num(c.auc)
                );
                Series::new(
                    name,
                    c.points.iter().map(|p| (p[0], p[1])).collect(),
                    Style::Line,
                )
            })
            .collect()
    };
    if !p.roc.is_empty() {
        let mut s = curves(&p.roc, "AUC");
        s.push(Series::new(
            "chance",
            vec![(0.0, 0.0), (1.0, 1.0)],
            Style::Reference,
        ));
        figs.push(svg::xy(
            "roc",
            "ROC curve (test split)",
            &s,
            &XY {
                x_label: "false positive rate",
                y_label: "true positive rate",
                x_range: rate,
                y_range: rate,
                ..XY::default()
            },
        ));
    }
    if !p.precision_recall.is_empty() {
        figs.push(svg::xy(
            "precision_recall",
            "Precision-recall curve (test split)",
            &curves(&p.precision_recall, "AP"),
            &XY {
                x_label: "recall",
                y_label: "precision",
                x_range: rate,
                y_range: rate,
                ..XY::default()
            },
        ));
    }
    if let Some(cal) = &p.calibration {
        let pts: Vec<(f64, f64)> = cal
            .mean_predicted
            .iter()
            .copied()
            .zip(cal.fraction_positive.iter().copied())
            .collect();
        figs.push(svg::xy(
            "calibration",
            &format!("Calibration ({})", cal.of),
            &[
                Series::new("model", pts, Style::LinePoints),
                Series::new(
                    "perfectly calibrated",
                    vec![(0.0, 0.0), (1.0, 1.0)],
                    Style::Reference,
                ),
            ],
            &XY {
                x_label: "mean predicted probability",
                y_label: if cal.of == "class 1" {
                    "fraction of positives"
                } else {
                    "fraction correct"
                },
                x_range: rate,
                y_range: rate,
                ..XY::default()
            },
        ));
    }
    if let Some(s) = &p.predicted_vs_actual {
        let pts: Vec<(f64, f64)> = s
            .actual
            .iter()
            .copied()
            .zip(s.predicted.iter().copied())
            .collect();
        let lo = pts
            .iter()
            .flat_map(|p| [p.0, p.1])
            .fold(f64::INFINITY, f64::min);
        let hi = pts
            .iter()
            .flat_map(|p| [p.0, p.1])
            .fold(f64::NEG_INFINITY, f64::max);
        figs.push(svg::xy(
            "predicted_vs_actual",
            "Predicted vs actual (test split)",
            &[
                Series::new("test rows", pts, Style::Points),
                Series::new(
                    "predicted = actual",
                    vec![(lo, lo), (hi, hi)],
                    Style::Reference,
                ),
            ],
            &XY {
                x_label: "actual",
                y_label: "predicted",
                x_range: Some((lo, hi)),
                y_range: Some((lo, hi)),
                ..XY::default()
            },
        ));
    }
    if let Some(h) = &p.residuals {
        figs.push(svg::histogram(
            "residuals",
            "Residuals (actual − predicted)",
            &h.edges,
            &h.counts,
            "residual",
        ));
    }
    if let Some(l) = &p.loss_curve {
        let pts = |v: &[f64]| {
            v.iter()
                .enumerate()
                .map(|(i, &y)| ((i + 1) as f64, y))
                .collect::<Vec<_>>()
        };
        figs.push(svg::xy(
            "loss_curve",
            &format!("Training and validation {} per boosting round", l.metric),
            &[
                Series::new("train", pts(&l.train), Style::Line),
                Series::new("validation (test split)", pts(&l.validation), Style::Line),
            ],
            &XY {
                x_label: "boosting round",
                y_label: &l.metric,
                ..XY::default()
            },
        ));
    }
    if let Some(sizes) = &p.cluster_sizes {
        let items: Vec<(String, f64)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (format!("cluster {i}"), n as f64))
            .collect();
        figs.push(svg::bars("cluster_sizes", "Test rows per cluster", &items));
    }
    if let Some(ev) = &p.explained_variance {
        let mut total = 0.0;
        let items: Vec<(String, f64)> = ev
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                total += v;
                (format!("component {} (Σ {})", i + 1, num(total)), v)
            })
            .collect();
        figs.push(svg::bars(
            "explained_variance",
            "Share of the test rows' variance per component (Σ: cumulative)",
            &items,
        ));
    }
    let _ = task;
    figs
}

fn confusion_matrix(matrix: &[Vec<u64>], classes: &[String]) -> String {
    let max = matrix.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let mut t = String::from(
        "<table class=\"heat\" id=\"confusion-matrix\"><thead><tr><th>actual \\ predicted</th>",
    );
    for c in 0..matrix.len() {
        w!(t, "<th>{}</th>", esc(&class_name(classes, c as u32)));
    }
    t.push_str("</tr></thead><tbody>");
    for (a, row) in matrix.iter().enumerate() {
        w!(t, "<tr><th>{}</th>", esc(&class_name(classes, a as u32)));
        for (p, &n) in row.iter().enumerate() {
            let share = n as f64 / max;
            // Blue for the diagonal (right), red off it (wrong); stronger with more rows; empty
            // cells stay white.
            let (r, g, bl) = if a == p { (37, 99, 235) } else { (220, 38, 38) };
            let fg = if share > 0.55 { "#fff" } else { "#111827" };
            let alpha = if n == 0 { 0.0 } else { 0.08 + 0.9 * share };
            w!(
                t,
                "<td data-actual=\"{a}\" data-predicted=\"{p}\" style=\"background:rgba({r},{g},{bl},{alpha:.2});color:{fg}\">{n}</td>"
            );
        }
        t.push_str("</tr>");
    }
    t.push_str("</tbody></table>");
    svg::figure("confusion_matrix", "Confusion matrix (test split)", &t)
}

fn importances(fi: &Value) -> Option<String> {
    let mut items: Vec<(String, f64)> = fi
        .as_object()?
        .iter()
        .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
        .collect();
    if items.is_empty() {
        return None;
    }
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = items.len();
    items.truncate(25);
    let title = if total > 25 {
        format!("Feature importances (top 25 of {total})")
    } else {
        "Feature importances".to_string()
    };
    Some(svg::bars("feature_importances", &title, &items))
}

fn search_section(s: &pgml_core::plots::SearchPlot) -> String {
    let mut b = format!(
        "<h2>Hyperparameter search</h2><div class=\"sub\">{} candidates, cross-validated {} (mean ± standard deviation over folds); the chosen one in red</div><div class=\"grid\">",
        s.candidates.len(),
        esc(&s.metric)
    );
    let mut params: Vec<&String> = s.candidates.iter().flat_map(|c| c.params.keys()).collect();
    params.sort();
    params.dedup();
    for p in &params {
        // Candidates ordered by this parameter's value; each keeps its own score.
        let mut order: Vec<usize> = (0..s.candidates.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (
                s.candidates[a].params.get(*p),
                s.candidates[b].params.get(*p),
            );
            match (x.and_then(Value::as_f64), y.and_then(Value::as_f64)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => x.map(show).cmp(&y.map(show)),
            }
            .then(a.cmp(&b))
        });
        let names: Vec<String> = order
            .iter()
            .map(|&i| s.candidates[i].params.get(*p).map(show).unwrap_or_default())
            .collect();
        let mean: Vec<f64> = order.iter().map(|&i| s.candidates[i].mean_score).collect();
        let std: Vec<f64> = order.iter().map(|&i| s.candidates[i].std_score).collect();
        let chosen = order.iter().position(|&i| i == s.chosen);
        b.push_str(&svg::error_bars(
            "search",
            &format!("{} against {p}", s.metric),
            &names,
            &mean,
            &std,
            chosen,
            &s.metric,
        ));
    }
    b.push_str("</div><table class=\"data\" id=\"candidates\"><thead><tr><th>#</th><th>Parameters</th><th class=\"n\">Mean</th><th class=\"n\">Std</th><th class=\"n\">Fit time (s)</th></tr></thead><tbody>");
    for (i, c) in s.candidates.iter().enumerate() {
        let ps: Vec<String> = c
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", show(v)))
            .collect();
        w!(
            b,
            "<tr{}><td>{}</td><td class=\"params\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            if i == s.chosen { " class=\"current\"" } else { "" },
            i + 1,
            esc(&ps.join(", ")),
            esc(&num(c.mean_score)),
            esc(&num(c.std_score)),
            esc(&num(c.fit_time))
        );
    }
    b.push_str("</tbody></table>");
    b
}

/// SQL literal text: single quotes doubled.
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An identifier as written in SQL: bare when plain lower-case, double-quoted otherwise.
fn sql_ident(s: &str) -> String {
    crate::pg::ident(s)
}

fn predict_sql(m: &catalog::Model, snap: Option<&catalog::Snapshot>) -> String {
    let names: Vec<String> = m
        .features
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("name").and_then(Value::as_str))
                .map(sql_ident)
                .collect()
        })
        .unwrap_or_default();
    let relation = snap.map_or("my_table".to_string(), |s| s.relation_name.clone());
    // A model of several labels (pgml.train_joint) answers pgml.predict_joint, which takes the
    // features as an array.
    if let Some(s) = snap.filter(|s| s.y_column_names.len() > 1) {
        let mut sql = format!(
            "-- every label ({}) of the project's deployed model (follows every deploy):\n",
            s.y_column_names.join(", ")
        );
        if !names.is_empty() {
            w!(
                sql,
                "SELECT pgml.predict_joint({}, ARRAY[{}]::real[]) FROM {relation};\n\
                 -- this model, whatever is deployed:\nSELECT pgml.predict_joint({}, ARRAY[{}]::real[]) FROM {relation};\n",
                sql_literal(&m.project),
                names.join(", "),
                m.id,
                names.join(", ")
            );
        }
        return format!("<pre class=\"sql\" id=\"predict-sql\">{}</pre>", esc(&sql));
    }
    let fun = match m.task.as_str() {
        "decomposition" => "pgml.decompose",
        _ => "pgml.predict",
    };
    let mut sql = format!(
        "-- the project's deployed model (follows every deploy):\nSELECT {fun}({}, t) FROM {relation} t;\n",
        sql_literal(&m.project)
    );
    if fun == "pgml.predict" {
        w!(
            sql,
            "-- this model, whatever is deployed:\nSELECT pgml.predict({}, t) FROM {relation} t;\n",
            m.id
        );
    }
    if !names.is_empty() && names.len() <= 40 {
        w!(
            sql,
            "-- with the features spelled out, in order:\nSELECT {fun}({}, ARRAY[{}]) FROM {relation};\n",
            sql_literal(&m.project),
            names.join(", ")
        );
    }
    if m.task == "classification" {
        w!(
            sql,
            "-- class probabilities:\nSELECT pgml.predict_proba({}, t) FROM {relation} t;\n",
            sql_literal(&m.project)
        );
    }
    format!("<pre class=\"sql\" id=\"predict-sql\">{}</pre>", esc(&sql))
}

// ---------------------------------------------------------------------------------------------
// Snapshot

pub fn snapshot(c: &mut Client, cols: &Columns, id: i64) -> Page {
    let s = match catalog::snapshot(c, cols, id) {
        Ok(Some(s)) => s,
        Ok(None) => return Page::NotFound(format!("no snapshot {id} visible to this role")),
        Err(e) => return e.into(),
    };
    let (models, total_models) = match catalog::snapshot_models(c, id) {
        Ok(m) => m,
        Err(e) => return e.into(),
    };
    let mut b = String::new();
    w!(
        b,
        "<div class=\"crumbs\"><a href=\"/\">Projects</a> /</div><h1 id=\"snapshot-title\">Snapshot #{} of {}</h1>\
         <div class=\"sub\">taken {} by {} · {}{}</div>",
        s.id,
        esc(&s.relation_name),
        esc(&s.created_at),
        esc(s.owner.as_deref().unwrap_or("–")),
        esc(&s.status),
        if s.materialized { " · materialized" } else { " · not materialized (the relation is read at each train)" }
    );
    b.push_str("<div class=\"facts\">");
    fact(
        &mut b,
        "train rows",
        &s.num_train_rows.map_or("–".into(), |v| v.to_string()),
    );
    fact(
        &mut b,
        "test rows",
        &s.num_test_rows.map_or("–".into(), |v| v.to_string()),
    );
    fact(&mut b, "test size", &esc(&num(f64::from(s.test_size))));
    fact(&mut b, "sampling", &esc(&s.test_sampling));
    fact(
        &mut b,
        if s.y_column_names.len() > 1 {
            "labels"
        } else {
            "label"
        },
        &esc(&labels_text(&s.y_column_names)),
    );
    b.push_str("</div>");

    let stats: Option<Vec<pgml_core::column_stats::ColumnStats>> = s
        .column_stats
        .get("columns")
        .and_then(|c| serde_json::from_value(c.clone()).ok());
    match &stats {
        None => {
            b.push_str(
                "<div class=\"note\" id=\"no-stats\">This snapshot has no column statistics: it was taken by a pgml older than 0.4.0. \
                 Its columns are listed below.</div>",
            );
            let cols: Vec<(String, String)> = s
                .columns
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    (
                        c.get("name").map(show).unwrap_or_default(),
                        c.get("type").map(show).unwrap_or_default(),
                    )
                })
                .collect();
            key_value_table(&mut b, &cols, "no columns recorded");
        }
        Some(stats) => {
            // Every label's distribution (a joint snapshot has several), in the labels' order.
            let labels: Vec<_> = s
                .y_column_names
                .iter()
                .filter_map(|y| stats.iter().find(|c| &c.name == y))
                .collect();
            if !labels.is_empty() {
                b.push_str(if labels.len() > 1 {
                    "<h2>Label distributions</h2><div class=\"grid\">"
                } else {
                    "<h2>Label distribution</h2><div class=\"grid\">"
                });
                for label in labels {
                    b.push_str(&label_plot(label));
                }
                b.push_str("</div>");
            }
            b.push_str(
                "<h2>Columns</h2><table class=\"data\" id=\"columns\"><thead><tr><th>Column</th><th>Type</th>\
                 <th class=\"n\">Rows</th><th class=\"n\">NULLs</th><th class=\"n\">Distinct</th><th class=\"n\">Min</th>\
                 <th class=\"n\">Max</th><th class=\"n\">Mean</th><th>Distribution</th></tr></thead><tbody>",
            );
            for c in stats {
                let dist = if let Some(h) = &c.histogram {
                    svg::mini_histogram(
                        &h.counts,
                        &format!(
                            "{}: {} – {}",
                            c.name,
                            num(c.min.unwrap_or(0.0)),
                            num(c.max.unwrap_or(0.0))
                        ),
                    )
                } else if !c.top_values.is_empty() {
                    let top: Vec<String> = c
                        .top_values
                        .iter()
                        .take(4)
                        .map(|(v, n)| format!("{v} ({n})"))
                        .collect();
                    format!("<span class=\"muted\">{}</span>", esc(&top.join(", ")))
                } else {
                    String::new()
                };
                w!(
                    b,
                    "<tr data-column=\"{}\"><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\" data-nulls>{}</td><td class=\"n\">{}{}</td>\
                     <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"hist\">{dist}</td></tr>",
                    esc(&c.name),
                    esc(&c.name),
                    if s.y_column_names.contains(&c.name) { " <span class=\"badge\">label</span>" } else { "" },
                    esc(&c.pg_type),
                    c.rows,
                    c.nulls,
                    if c.distinct_capped { "≥ " } else { "" },
                    c.distinct,
                    cell_num(c.min),
                    cell_num(c.max),
                    cell_num(c.mean),
                );
            }
            b.push_str("</tbody></table>");
        }
    }

    if total_models > models.len() as i64 {
        w!(
            b,
            "<h2>Models trained on it</h2><div class=\"sub\">the newest {} of {total_models}</div>",
            models.len()
        );
    } else {
        b.push_str("<h2>Models trained on it</h2>");
    }
    if models.is_empty() {
        b.push_str("<p class=\"muted\">None visible to this role.</p>");
    } else {
        b.push_str("<table class=\"data\" id=\"snapshot-models\"><thead><tr><th>Model</th><th>Project</th><th>Algorithm</th><th class=\"n\">Key metric</th></tr></thead><tbody>");
        for m in &models {
            w!(
                b,
                "<tr><td><a href=\"/models/{}\">#{}</a></td><td><a href=\"/projects/{}\">{}</a></td><td>{}</td><td class=\"n\">{} <span class=\"muted\">{}</span></td></tr>",
                m.model_id,
                m.model_id,
                m.project_id,
                esc(&m.project),
                esc(&m.algorithm),
                cell_num(m.score),
                esc(&m.key_metric)
            );
        }
        b.push_str("</tbody></table>");
    }
    if let Some(l) = s.lineage.as_array().filter(|l| !l.is_empty()) {
        b.push_str("<h2>Where the rows came from</h2><table class=\"data\"><tbody>");
        for (i, x) in l.iter().enumerate() {
            w!(
                b,
                "<tr><th>source {}</th><td>{}</td></tr>",
                i + 1,
                esc(&lineage_text(x))
            );
        }
        b.push_str("</tbody></table>");
    }
    Page::Ok {
        title: format!("Snapshot {}", s.id),
        body: b,
    }
}

/// The label columns as one line: "–" for none, "weight, waist, pulse" for a joint snapshot.
fn labels_text(labels: &[String]) -> String {
    if labels.is_empty() {
        "–".into()
    } else {
        labels.join(", ")
    }
}

fn label_plot(c: &pgml_core::column_stats::ColumnStats) -> String {
    if !c.top_values.is_empty() {
        let items: Vec<(String, f64)> = c
            .top_values
            .iter()
            .map(|(v, n)| (v.clone(), *n as f64))
            .collect();
        svg::bars(
            "label_distribution",
            &format!("{} (rows per value)", c.name),
            &items,
        )
    } else if let Some(h) = &c.histogram {
        svg::histogram(
            "label_distribution",
            &format!("{} (histogram)", c.name),
            &h.edges,
            &h.counts,
            &c.name,
        )
    } else {
        String::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Fleet

/// The servers the fleet page shows besides the dashboard's own: (masked URL, its deployed models
/// or why they could not be read).
pub type Sources = Vec<(String, Result<Vec<catalog::Deployed>, String>)>;

pub fn fleet(c: &mut Client, me: &str, sources: &Sources) -> Page {
    let mut b = String::from("<h1>Fleet</h1><div class=\"sub\">This server's replication, slots and foreign servers, and which server serves which model</div>");
    let section = |b: &mut String,
                   c: &mut Client,
                   title: &str,
                   id: &str,
                   heads: &[&str],
                   sql: &str,
                   empty: &str| {
        w!(b, "<h2>{}</h2>", esc(title));
        match catalog::text_rows(c, title, sql) {
            Err(e) => {
                w!(b, "<div class=\"error\">{}</div>", esc(&e.0));
            }
            Ok(rows) if rows.is_empty() => {
                w!(b, "<p class=\"muted\" id=\"{id}\">{}</p>", esc(empty));
            }
            Ok(rows) => {
                w!(b, "<table class=\"data\" id=\"{id}\"><thead><tr>");
                for h in heads {
                    w!(b, "<th>{}</th>", esc(h));
                }
                b.push_str("</tr></thead><tbody>");
                for r in rows {
                    b.push_str("<tr>");
                    for v in r {
                        w!(b, "<td>{}</td>", esc(v.as_deref().unwrap_or("–")));
                    }
                    b.push_str("</tr>");
                }
                b.push_str("</tbody></table>");
            }
        }
    };
    section(
        &mut b,
        c,
        "This server",
        "server",
        &["server", "PostgreSQL", "role", "in recovery", "pgml"],
        "SELECT current_database(), split_part(version(), ' ', 2), current_user::text,
                CASE WHEN pg_is_in_recovery() THEN 'yes (standby)' ELSE 'no' END,
                (SELECT extversion FROM pg_extension WHERE extname = 'pgml')",
        "",
    );
    section(
        &mut b,
        c,
        "Subscriptions",
        "subscriptions",
        &["subscription", "enabled", "worker", "received LSN", "last message", "seconds since"],
        "SELECT s.subname::text, s.subenabled::text, CASE WHEN st.pid IS NULL THEN 'stopped' ELSE 'running' END,
                st.received_lsn::text, to_char(st.last_msg_receipt_time, 'YYYY-MM-DD HH24:MI:SS'),
                round(extract(epoch FROM now() - st.last_msg_receipt_time)::numeric, 1)::text
           FROM pg_subscription s
           LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
          WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY 1",
        "No subscription in this database.",
    );
    section(
        &mut b,
        c,
        "Replication slots",
        "slots",
        &["slot", "type", "database", "active", "WAL retained"],
        "SELECT slot_name::text, slot_type, database::text, active::text,
                pg_size_pretty(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                                                    ELSE pg_current_wal_lsn() END, restart_lsn))
           FROM pg_replication_slots ORDER BY 1",
        "No replication slot on this server.",
    );
    section(
        &mut b,
        c,
        "Standbys and subscribers streaming from this server",
        "standbys",
        &["name", "address", "state", "replay lag"],
        "SELECT application_name, client_addr::text, state, replay_lag::text FROM pg_stat_replication ORDER BY 1",
        "Nothing streams from this server.",
    );
    section(
        &mut b,
        c,
        "Foreign servers",
        "foreign-servers",
        &["server", "wrapper", "options"],
        "SELECT s.srvname::text, w.fdwname::text, array_to_string(s.srvoptions, ', ')
           FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw ORDER BY 1",
        "No foreign server.",
    );

    // Which server serves which model.
    b.push_str("<h2>Deployed models by server</h2>");
    let mine = catalog::deployed_models(c).map_err(|e| e.0);
    let mut servers: Vec<(String, &Result<Vec<catalog::Deployed>, String>)> =
        vec![(format!("{me} (this)"), &mine)];
    for (name, d) in sources {
        servers.push((name.clone(), d));
    }
    let mut projects: Vec<&str> = servers
        .iter()
        .filter_map(|(_, d)| d.as_ref().ok())
        .flatten()
        .map(|d| d.project.as_str())
        .collect();
    projects.sort();
    projects.dedup();
    b.push_str("<table class=\"data\" id=\"deployed\"><thead><tr><th>Project</th>");
    for (name, _) in &servers {
        w!(b, "<th>{}</th>", esc(name));
    }
    b.push_str("</tr></thead><tbody>");
    for p in &projects {
        w!(b, "<tr><td>{}</td>", esc(p));
        let here = mine
            .as_ref()
            .ok()
            .and_then(|d| d.iter().find(|x| x.project == *p))
            .map(|x| x.model_id);
        for (i, (_, d)) in servers.iter().enumerate() {
            match d {
                Err(_) => b.push_str("<td class=\"muted\">?</td>"),
                Ok(list) => match list.iter().find(|x| x.project == *p) {
                    None => b.push_str("<td class=\"muted\">–</td>"),
                    Some(x) => {
                        let differs = i > 0 && here.is_some_and(|h| h != x.model_id);
                        let link = if i == 0 {
                            format!("<a href=\"/models/{}\">#{}</a>", x.model_id, x.model_id)
                        } else {
                            format!("#{}", x.model_id)
                        };
                        w!(
                            b,
                            "<td>{link} {} <span class=\"muted\">{}</span>{}</td>",
                            esc(&x.algorithm),
                            esc(&x.deployed_at),
                            if differs {
                                " <span class=\"badge warn\">differs</span>"
                            } else {
                                ""
                            }
                        );
                    }
                },
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</tbody></table>");
    for (name, d) in &servers {
        if let Err(e) = d {
            w!(b, "<div class=\"error\">{}: {}</div>", esc(name), esc(e));
        }
    }
    if sources.is_empty() {
        b.push_str("<p class=\"muted\">Start the dashboard with <code>--source URL</code> (repeatable) to compare inference servers with this one.</p>");
    }
    Page::Ok {
        title: "Fleet".into(),
        body: b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_default_hyperparameters_only() {
        let p = serde_json::json!({"alpha": 0.5, "fit_intercept": true, "max_iter": 1000});
        let s = non_default("ridge", "regression", &p);
        assert!(s.contains("alpha=0.5"), "{s}");
        assert!(!s.contains("fit_intercept"), "{s}");
    }

    #[test]
    fn sql_in_the_predict_snippet_is_quoted_then_escaped() {
        assert_eq!(sql_literal("it's"), "'it''s'");
        assert_eq!(sql_ident("Age"), "\"Age\"");
    }

    #[test]
    fn class_names_follow_codes() {
        let m = serde_json::json!({"setosa": 0, "virginica": 2, "versicolor": 1});
        assert_eq!(class_names(&m), ["setosa", "versicolor", "virginica"]);
        assert_eq!(class_name(&[], 3), "3");
    }
}
