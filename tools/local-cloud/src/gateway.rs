//! The API Gateway stand-in of `callscope local serve`: HTTP on a local port, each request
//! matched against the template's HTTP API routes and delivered to its function as a payload v2
//! event, through the same Lambda HTTP conversion the deployed function runs.
//!
//! Like the JWT authorizer it replaces, it takes the tenant from the bearer token's claims, but
//! without verifying the signature (there is no issuer locally); with no token, a route that
//! needs one gets API Gateway's 401 unless a default tenant was configured for local use.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use callscope_http::lambda::{invoke, HttpEvent};
use serde_json::Value;

/// Largest request body accepted: API Gateway's HTTP API payload limit.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// One route of the HTTP API and the function behind it.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    /// As the template writes it: `/api/v1/calls/{call_id}`.
    pub path: String,
    pub authorized: bool,
    pub function: Router,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    routes: Arc<Vec<Route>>,
    tenant_claim: String,
    default_tenant: Option<String>,
    stage: String,
}

impl Gateway {
    pub fn new(
        routes: Vec<Route>,
        tenant_claim: &str,
        default_tenant: Option<String>,
        stage: &str,
    ) -> Self {
        Self {
            routes: Arc::new(routes),
            tenant_claim: tenant_claim.to_owned(),
            default_tenant,
            stage: stage.to_owned(),
        }
    }

    /// The gateway as an HTTP service.
    pub fn into_router(self) -> Router {
        Router::new().fallback(deliver).with_state(self)
    }

    /// The route API Gateway would pick: one naming the method before an `ANY` one, and a
    /// path without a greedy `{name+}` before one with it.
    fn route(&self, method: &str, path: &str) -> Option<&Route> {
        let rank = |r: &Route| (r.method.eq_ignore_ascii_case("ANY"), r.path.contains("+}"));
        self.routes
            .iter()
            .filter(|r| {
                (r.method.eq_ignore_ascii_case(method) || r.method.eq_ignore_ascii_case("ANY"))
                    && path_matches(&r.path, path)
            })
            .min_by_key(|r| rank(r))
    }
}

/// `{name}` matches one non-empty segment; a last `{name+}` matches one or more.
fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let segment = |t: &str, p: &str| {
        if t.starts_with('{') && t.ends_with('}') {
            !p.is_empty()
        } else {
            t == p
        }
    };
    match template.split_last() {
        Some((last, head)) if last.starts_with('{') && last.ends_with("+}") => {
            path.len() > head.len()
                && head.iter().zip(&path).all(|(t, p)| segment(t, p))
                && path[head.len()..].iter().all(|p| !p.is_empty())
        }
        _ => template.len() == path.len() && template.iter().zip(&path).all(|(t, p)| segment(t, p)),
    }
}

fn gateway_answer(status: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// The claims of a bearer JWT, read without verification (local use only).
fn claims_of(authorization: &str) -> Option<HashMap<String, String>> {
    let token = authorization.strip_prefix("Bearer ")?.trim();
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    Some(
        claims
            .into_iter()
            .map(|(name, value)| {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (name, text)
            })
            .collect(),
    )
}

async fn deliver(State(gateway): State<Gateway>, request: Request) -> Response<Body> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let Some(route) = gateway.route(&method, &path).cloned() else {
        return gateway_answer(StatusCode::NOT_FOUND, "Not Found");
    };
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let claims = if route.authorized {
        let token = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(claims_of);
        match (token, &gateway.default_tenant) {
            (Some(claims), _) => Some(claims),
            (None, Some(tenant)) => Some(HashMap::from([(
                gateway.tenant_claim.clone(),
                tenant.clone(),
            )])),
            (None, None) => return gateway_answer(StatusCode::UNAUTHORIZED, "Unauthorized"),
        }
    } else {
        None
    };
    let bytes = match to_bytes(request.into_body(), MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return gateway_answer(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let (body, is_base64_encoded) = match std::str::from_utf8(&bytes) {
        _ if bytes.is_empty() => (None, false),
        Ok(text) => (Some(text.to_owned()), false),
        Err(_) => (Some(STANDARD.encode(&bytes)), true),
    };
    let event = HttpEvent {
        method,
        path,
        query,
        headers,
        body,
        is_base64_encoded,
        claims,
        stage: gateway.stage.clone(),
    };
    // lambda_http's conversion holds a response body across an await, so its future is not
    // Send; it runs to completion on a blocking thread of this runtime instead.
    let runtime = tokio::runtime::Handle::current();
    let function = route.function.clone();
    let invoked = tokio::task::spawn_blocking(move || {
        runtime.block_on(invoke(&function, event.into_request()))
    })
    .await;
    match invoked {
        Ok(Ok(response)) => to_http(response),
        Ok(Err(error)) => {
            tracing::error!(%error, "the function's answer is not an HTTP API response");
            gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(error) => {
            tracing::error!(%error, "the function panicked");
            gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

fn to_http(
    response: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse,
) -> Response<Body> {
    use lambda_http::aws_lambda_events::encodings::Body as LambdaBody;
    let body = match response.body {
        Some(LambdaBody::Text(text)) => Body::from(text),
        Some(LambdaBody::Binary(bytes)) => Body::from(bytes),
        _ => Body::empty(),
    };
    let mut http = Response::new(body);
    *http.status_mut() = StatusCode::from_u16(u16::try_from(response.status_code).unwrap_or(502))
        .unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in response.headers.iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            http.headers_mut().append(name, value);
        }
    }
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_match_one_segment_per_parameter() {
        assert!(path_matches("/api/v1/calls/{call_id}", "/api/v1/calls/c-1"));
        assert!(!path_matches("/api/v1/calls/{call_id}", "/api/v1/calls"));
        assert!(!path_matches(
            "/api/v1/calls/{call_id}",
            "/api/v1/calls/c-1/recommendations"
        ));
        assert!(path_matches("/api/v1/calls", "/api/v1/calls/"));
    }

    #[test]
    fn a_greedy_parameter_matches_one_or_more_segments() {
        assert!(path_matches("/{proxy+}", "/api/v1/calls"));
        assert!(path_matches("/app/{proxy+}", "/app/app.js"));
        assert!(path_matches("/app/{proxy+}", "/app/a/b.js"));
        assert!(!path_matches("/app/{proxy+}", "/app"));
        assert!(!path_matches("/{proxy+}", "/"));
    }

    #[test]
    fn a_route_naming_the_method_wins_over_any_and_a_plain_path_over_a_greedy_one() {
        let route = |method: &str, path: &str| Route {
            method: method.into(),
            path: path.into(),
            authorized: false,
            function: Router::new(),
        };
        let gateway = Gateway {
            routes: Arc::new(vec![
                route("ANY", "/{proxy+}"),
                route("GET", "/app/{proxy+}"),
                route("GET", "/api/v1/calls"),
            ]),
            tenant_claim: "tenant_id".into(),
            default_tenant: None,
            stage: "dev".into(),
        };
        let picked = |method: &str, path: &str| {
            gateway
                .route(method, path)
                .map(|r| format!("{} {}", r.method, r.path))
        };
        assert_eq!(
            picked("GET", "/api/v1/calls").as_deref(),
            Some("GET /api/v1/calls")
        );
        assert_eq!(
            picked("TRACE", "/api/v1/calls").as_deref(),
            Some("ANY /{proxy+}")
        );
        assert_eq!(
            picked("GET", "/app/app.js").as_deref(),
            Some("GET /app/{proxy+}")
        );
        assert_eq!(
            picked("POST", "/app/app.js").as_deref(),
            Some("ANY /{proxy+}")
        );
        assert_eq!(picked("GET", "/"), None);
    }

    #[test]
    fn a_bearer_tokens_claims_are_read_without_verification() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"tenant_id":"acme","exp":1893456000}"#);
        let claims = claims_of(&format!("Bearer header.{payload}.signature")).expect("claims");
        assert_eq!(claims["tenant_id"], "acme");
        assert_eq!(claims["exp"], "1893456000");
        assert!(claims_of("Basic dXNlcjpwYXNz").is_none());
        assert!(claims_of("Bearer not-a-jwt").is_none());
    }
}
