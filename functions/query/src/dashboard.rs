//! The dashboard's assets on the API's origin: `GET /` answers the page, `GET /app/{file}` its
//! script, style and sign-in settings. The assets are dashboard/dist, built from dashboard/src
//! by esbuild and committed, embedded here so neither `cargo build` nor `sam build` needs Node.
//! Every answer carries a strict Content-Security-Policy: only this origin's script and style,
//! and JSON from this origin (plus the sign-in provider's token endpoint when one is set).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

const INDEX: &[u8] = include_bytes!("../../../dashboard/dist/index.html");
const SCRIPT: &[u8] = include_bytes!("../../../dashboard/dist/app.js");
const STYLE: &[u8] = include_bytes!("../../../dashboard/dist/app.css");

/// The dashboard's routes and their description; they need no token (the page signs in, then
/// calls the JSON routes). API Gateway's `/app/{proxy+}` arrives here as `/app/{file}`.
pub fn documented<S: Clone + Send + Sync + 'static>() -> OpenApiRouter<S> {
    OpenApiRouter::with_openapi(DashboardDoc::openapi()).merge(routes().into())
}

fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/app/{file}", get(asset))
}

#[derive(OpenApi)]
#[openapi(
    paths(page, file),
    tags((name = "dashboard", description = "The web pages, on the API's origin (docs/dashboard.md)"))
)]
struct DashboardDoc;

/// The dashboard (HTML; its routes are in the URL's fragment).
#[utoipa::path(
    get, path = "/", tag = "dashboard",
    responses((status = 200, description = "The page, with a strict Content-Security-Policy", content_type = "text/html"))
)]
#[allow(dead_code)] // described only: `index` answers
fn page() {}

/// A file of the dashboard: `app.js`, `app.css`, or `config.json` (how the page signs in).
#[utoipa::path(
    get, path = "/app/{proxy+}", tag = "dashboard",
    params(("proxy+" = String, Path, description = "`app.js`, `app.css` or `config.json`")),
    responses(
        (status = 200, description = "The file; `config.json` is `{\"auth\": \"none\"}` or the provider's endpoints and client"),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 404, description = "No such file"),
    )
)]
#[allow(dead_code)] // described only: `asset` answers
fn file() {}

async fn index(headers: HeaderMap) -> Response {
    serve(&headers, "text/html; charset=utf-8", INDEX)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match file.as_str() {
        "app.js" => serve(&headers, "text/javascript; charset=utf-8", SCRIPT),
        "app.css" => serve(&headers, "text/css; charset=utf-8", STYLE),
        "config.json" => settings(),
        "" | "index.html" => serve(&headers, "text/html; charset=utf-8", INDEX),
        _ => (
            StatusCode::NOT_FOUND,
            with_policy(),
            axum::Json(json!({"detail": format!("{file} is not a dashboard file")})),
        )
            .into_response(),
    }
}

/// An embedded file, revalidated on every load (its ETag is its content's hash), so a deploy
/// is seen at once and an unchanged file costs a 304.
fn serve(request: &HeaderMap, content_type: &'static str, body: &'static [u8]) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(body));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let headers = response.headers_mut();
    headers.extend(with_policy());
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn settings() -> Response {
    let mut response = match auth() {
        Ok(settings) => axum::Json(settings.clone()).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(
                json!({"detail": format!("the dashboard's sign-in is misconfigured: {reason}")}),
            ),
        )
            .into_response(),
    };
    response.headers_mut().extend(with_policy());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The security headers of every dashboard answer.
fn with_policy() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let connect = match auth() {
        Ok(settings) => settings["token_url"]
            .as_str()
            .and_then(origin_of)
            .map_or(String::new(), |origin| format!(" {origin}")),
        Err(_) => String::new(),
    };
    let uploads = upload_origin()
        .as_ref()
        .map_or(String::new(), |origin| format!(" {origin}"));
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{connect}{uploads}; font-src 'none'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
}

/// How the page signs in, from the function's environment (read once):
/// `DASHBOARD_AUTH` = `none` (the default: the local gateway supplies the tenant) | `cognito` |
/// `oidc`; with a provider, `DASHBOARD_AUTHORIZE_URL`, `DASHBOARD_TOKEN_URL` (https),
/// `DASHBOARD_CLIENT_ID`, and optionally `DASHBOARD_SCOPES` (default `openid`) and
/// `DASHBOARD_TOKEN` (`id_token`, the default, or `access_token`: the one sent as Bearer).
/// Where the upload page PUTs a file too large for a request (a presigned URL of the drop-in
/// bucket): the emulator's origin when `AWS_ENDPOINT_URL` names one, else the bucket's S3
/// origin from `DROPIN_BUCKET` and `AWS_REGION`; none without a drop-in bucket.
fn upload_origin() -> &'static Option<String> {
    static ORIGIN: OnceLock<Option<String>> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        upload_origin_from(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    })
}

fn upload_origin_from(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(endpoint) = lookup("AWS_ENDPOINT_URL") {
        let (scheme, rest) = endpoint.split_once("://")?;
        let host = rest.split(['/', '?', '#']).next()?;
        let safe = matches!(scheme, "http" | "https")
            && !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        return safe.then(|| format!("{scheme}://{host}"));
    }
    let bucket = lookup("DROPIN_BUCKET")?;
    let region = lookup("AWS_REGION")?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
    };
    (safe(&bucket) && safe(&region)).then(|| format!("https://{bucket}.s3.{region}.amazonaws.com"))
}

fn auth() -> &'static Result<Value, String> {
    static AUTH: OnceLock<Result<Value, String>> = OnceLock::new();
    AUTH.get_or_init(|| {
        let read = auth_from(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        if let Err(reason) = &read {
            tracing::error!(%reason, "the dashboard's sign-in settings are invalid");
        }
        read
    })
}

fn auth_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Value, String> {
    let mode = lookup("DASHBOARD_AUTH").unwrap_or_else(|| "none".into());
    match mode.as_str() {
        "none" => return Ok(json!({"auth": "none"})),
        "cognito" | "oidc" => {}
        other => {
            return Err(format!(
                "DASHBOARD_AUTH is {other:?}; use none, cognito or oidc"
            ))
        }
    }
    let required = |name: &str| lookup(name).ok_or_else(|| format!("{name} is required"));
    let url = |name: &str| {
        let value = required(name)?;
        if value.starts_with("https://") && origin_of(&value).is_some() {
            Ok(value)
        } else {
            Err(format!("{name} must be an https URL (got {value:?})"))
        }
    };
    let token = lookup("DASHBOARD_TOKEN").unwrap_or_else(|| "id_token".into());
    if token != "id_token" && token != "access_token" {
        return Err(format!(
            "DASHBOARD_TOKEN is {token:?}; use id_token or access_token"
        ));
    }
    Ok(json!({
        "auth": mode,
        "authorize_url": url("DASHBOARD_AUTHORIZE_URL")?,
        "token_url": url("DASHBOARD_TOKEN_URL")?,
        "client_id": required("DASHBOARD_CLIENT_ID")?,
        "scopes": lookup("DASHBOARD_SCOPES").unwrap_or_else(|| "openid".into()),
        "token": token,
    }))
}

/// `https://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let safe = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    safe.then(|| format!("https://{host}"))
}

/// FNV-1a: a stable content hash for ETags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
