//! The HTTP side: routes, basic authentication, security headers, the deploy action's CSRF check,
//! and a small pool of catalog connections used from blocking threads (the `postgres` client is
//! synchronous, so pages are rendered on tokio's blocking pool, never on its workers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use postgres::Client;
use sha2::{Digest, Sha256};

use super::catalog::{self, Columns};
use super::html;
use super::pages::{self, DeployOffer, Page};
use crate::pg::conn::Server;

/// Connections kept open between requests.
const POOL_SIZE: usize = 4;

pub struct App {
    pub server: Server,
    /// The server as shown on pages: its URL without a password.
    pub label: String,
    pub columns: Columns,
    pub allow_deploy: bool,
    pub csrf: String,
    pub password: Option<String>,
    pub sources: Vec<Server>,
    pub csp: String,
    pool: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password and the token stay out of every Debug output.
        f.debug_struct("App")
            .field("server", &self.label)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(
        server: Server,
        first: Client,
        columns: Columns,
        allow_deploy: bool,
        csrf: String,
        password: Option<String>,
        sources: Vec<Server>,
    ) -> App {
        App {
            label: server.masked(),
            server,
            columns,
            allow_deploy,
            csrf,
            password,
            sources,
            csp: html::content_security_policy(),
            pool: Mutex::new(vec![first]),
        }
    }

    /// Runs `f` with a pooled connection (or a new one), returning it to the pool if still usable.
    fn with_client<T>(&self, f: impl FnOnce(&mut Client) -> T) -> Result<T, String> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => connect(&self.server).map_err(|e| e.to_string())?,
        };
        let out = f(&mut client);
        if !client.is_closed() {
            if let Ok(mut p) = self.pool.lock() {
                if p.len() < POOL_SIZE {
                    p.push(client);
                }
            }
        }
        Ok(out)
    }
}

/// A catalog connection: statements resolve names in pg_catalog only (every pgml object is named
/// with its schema), and transactions are read-only unless one asks otherwise (only a deploy does).
pub fn connect(server: &Server) -> crate::error::Result<Client> {
    let mut c = server.connect()?;
    c.batch_execute(
        "SET search_path = pg_catalog, pg_temp; SET default_transaction_read_only = on; \
         SET statement_timeout = '30s'; SET application_name = 'pgml dashboard'",
    )
    .map_err(|e| crate::error::Error::sql("setting up the dashboard's connection", e))?;
    Ok(c)
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/projects/{id}", get(project))
        .route("/models/{id}", get(model))
        .route("/models/{id}/deploy", post(deploy))
        .route("/snapshots/{id}", get(snapshot))
        .route("/fleet", get(fleet))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Basic authentication (when a password was given), then security headers on every response.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(password) = &app.password {
        if !authorized(req.headers(), password) {
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"pgml dashboard\", charset=\"UTF-8\"",
                )],
                "authentication required\n",
            )
                .into_response();
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&app.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `Authorization: Basic base64(user:password)` with the right password (any user name).
fn authorized(headers: &HeaderMap, password: &str) -> bool {
    use base64::Engine;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let given = match decoded.iter().position(|&b| b == b':') {
        Some(at) => &decoded[at + 1..],
        None => return false,
    };
    same_secret(given, password.as_bytes())
}

/// Compares secrets in time independent of where they differ (and of their lengths: the digests
/// are compared).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// A path id: a positive 64-bit integer, else the page does not exist.
fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|&v| v > 0)
}

fn respond(app: &App, page: Page) -> Response {
    match page {
        Page::Ok { title, body } => Html(html::page(&title, &app.label, &body)).into_response(),
        Page::NotFound(what) => error_page(app, StatusCode::NOT_FOUND, "Not found", &what),
        Page::Failed(e) => error_page(
            app,
            StatusCode::INTERNAL_SERVER_ERROR,
            "The catalog could not be read",
            &e.0,
        ),
    }
}

fn error_page(app: &App, status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><div class=\"error\" id=\"error\">{}</div><p><a href=\"/\">All projects</a></p>",
        html::esc(title),
        html::esc(detail)
    );
    (status, Html(html::page(title, &app.label, &body))).into_response()
}

/// Renders a page on the blocking pool with a catalog connection.
async fn render<F>(app: Arc<App>, f: F) -> Response
where
    F: FnOnce(&App, &mut Client) -> Page + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || {
        let result = app.with_client(|c| f(&app, c));
        (app, result)
    })
    .await;
    match task {
        Ok((app, Ok(page))) => respond(&app, page),
        Ok((app, Err(e))) => error_page(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            "No connection to the catalog",
            &e,
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page could not be rendered\n",
        )
            .into_response(),
    }
}

async fn index(State(app): State<Arc<App>>) -> Response {
    render(app, |_, c| pages::projects(c)).await
}

async fn project(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(State(app)).await;
    };
    // Only known sort keys are used; anything else sorts by id.
    let sort = q
        .get("sort")
        .and_then(|s| pages::SORTS.iter().find(|k| **k == s.as_str()))
        .copied()
        .unwrap_or("id");
    let desc = q.get("dir").is_some_and(|d| d == "desc");
    render(app, move |app, c| {
        pages::project(c, &app.columns, id, sort, desc)
    })
    .await
}

async fn model(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(State(app)).await;
    };
    let message = q
        .contains_key("deployed")
        .then(|| (true, format!("Model {id} was deployed.")));
    render(app, move |app, c| {
        let offer = DeployOffer {
            allowed: app.allow_deploy,
            csrf: app.csrf.clone(),
            message,
        };
        pages::model(c, &app.columns, id, &offer)
    })
    .await
}

async fn snapshot(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found(State(app)).await;
    };
    render(app, move |app, c| pages::snapshot(c, &app.columns, id)).await
}

async fn fleet(State(app): State<Arc<App>>) -> Response {
    render(app, |app, c| {
        // Each --source server is asked for its deployed models on every view of this page (a
        // few small queries), so the page shows the fleet as it is now.
        let sources: pages::Sources = app
            .sources
            .iter()
            .map(|s| {
                let deployed = connect(s)
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| catalog::deployed_models(&mut c).map_err(|e| e.0));
                (s.masked(), deployed)
            })
            .collect();
        pages::fleet(c, &app.label, &sources)
    })
    .await
}

async fn deploy(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !app.allow_deploy {
        return error_page(
            &app,
            StatusCode::FORBIDDEN,
            "Deploying is off",
            "this dashboard was started without --allow-deploy",
        );
    }
    let Some(id) = parse_id(&id) else {
        return not_found(State(app)).await;
    };
    // A cross-site form post carries the attacker's Origin; a same-site one ours.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let same_origin = match (origin, host) {
        (Some(o), Some(h)) => o == format!("http://{h}") || o == format!("https://{h}"),
        // Browsers send Origin with every POST; a client without one must still hold the token.
        (None, _) => true,
        (Some(_), None) => false,
    };
    let token_ok = form
        .get("csrf")
        .is_some_and(|t| same_secret(t.as_bytes(), app.csrf.as_bytes()));
    if !same_origin || !token_ok {
        return error_page(
            &app,
            StatusCode::FORBIDDEN,
            "Refused",
            "the deploy request did not come from this dashboard's page (missing or wrong CSRF token, or another origin)",
        );
    }
    let task = tokio::task::spawn_blocking(move || {
        let result = app.with_client(|c| match catalog::deploy(c, id) {
            Ok(_) => None,
            Err(e) => {
                let offer = DeployOffer {
                    allowed: app.allow_deploy,
                    csrf: app.csrf.clone(),
                    message: Some((false, format!("model {id} was not deployed: {e}"))),
                };
                Some(pages::model(c, &app.columns, id, &offer))
            }
        });
        (app, result)
    })
    .await;
    match task {
        Ok((_, Ok(None))) => Redirect::to(&format!("/models/{id}?deployed=1")).into_response(),
        Ok((app, Ok(Some(page)))) => {
            let mut r = respond(&app, page);
            if r.status() == StatusCode::OK {
                *r.status_mut() = StatusCode::CONFLICT;
            }
            r
        }
        Ok((app, Err(e))) => error_page(
            &app,
            StatusCode::SERVICE_UNAVAILABLE,
            "No connection to the catalog",
            &e,
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the deploy could not be run\n",
        )
            .into_response(),
    }
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    error_page(&app, StatusCode::NOT_FOUND, "Not found", "no such page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers_only() {
        assert_eq!(parse_id("42"), Some(42));
        for bad in [
            "0",
            "-1",
            "1 OR 1=1",
            "1;DROP",
            "",
            "9223372036854775808",
            "1e3",
        ] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn basic_auth_checks_the_password_only() {
        use base64::Engine;
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "s3cret"));
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", enc("me:s3cret"))).unwrap(),
        );
        assert!(authorized(&h, "s3cret"));
        assert!(!authorized(&h, "s3cret2"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", enc("me:wrong"))).unwrap(),
        );
        assert!(!authorized(&h, "s3cret"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(!authorized(&h, "s3cret"));
    }
}
