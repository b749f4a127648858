//! What no route of the HTTP API takes. API Gateway sends the rest (`ANY /` and
//! `ANY /{proxy+}`, no token) here, so the API answers as HTTP says: a documented path asked
//! with another method is a 405 with `Allow` naming the methods the document gives it (ingest's
//! included), anything else a 404, both in the v1 shape.

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use callscope_http::ApiError;
use serde_json::Value;

/// Each documented path as its segments (`{name}` for a parameter), with its methods.
fn documented_paths() -> &'static [(Vec<String>, String)] {
    static PATHS: OnceLock<Vec<(Vec<String>, String)>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let document: Value =
            serde_json::from_str(include_str!("../../../openapi.json")).unwrap_or_default();
        let Some(paths) = document["paths"].as_object() else {
            return Vec::new();
        };
        paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<String> = item
                    .as_object()
                    .map(|item| item.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                (segments(path), methods.join(", "))
            })
            .collect()
    })
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The methods the document gives the path `path`, when it documents it.
fn allowed(path: &str) -> Option<&'static str> {
    let asked = segments(path);
    documented_paths()
        .iter()
        .find(|(template, _)| {
            template.len() == asked.len()
                && template.iter().zip(&asked).all(|(t, a)| {
                    (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a
                })
        })
        .map(|(_, methods)| methods.as_str())
}

/// The answer to a request no route takes: 405 when the path is documented without this
/// method; 404 otherwise (a documented path and method that still reach here, like a path
/// whose `.` segment a client or the gateway normalised away, name nothing that exists).
pub async fn answer(method: Method, uri: Uri) -> Response {
    match allowed(uri.path()).filter(|methods| !methods.split(", ").any(|m| m == method.as_str())) {
        Some(methods) => {
            let mut response = ApiError::MethodNotAllowed.into_response();
            if let Ok(value) = HeaderValue::from_str(methods) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
        None => ApiError::NotFound("Not Found".into()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_path_allows_what_the_document_gives_it_ingests_methods_included() {
        assert_eq!(allowed("/api/v1/calls"), Some("GET, POST"));
        assert_eq!(allowed("/api/v1/calls/bulk"), Some("POST"));
        assert_eq!(allowed("/api/v1/calls/c-1/recommendations"), Some("GET"));
        assert_eq!(allowed("/health"), Some("GET"));
        assert_eq!(allowed("/api/v1/nothing"), None);
        assert_eq!(allowed("/api/v1/calls/c-1/x"), None);
    }

    #[tokio::test]
    async fn a_method_the_path_has_is_never_answered_405() {
        let status = |method: Method, path: &'static str| async move {
            answer(method, Uri::from_static(path))
                .await
                .status()
                .as_u16()
        };
        assert_eq!(status(Method::DELETE, "/api/v1/calls").await, 405);
        assert_eq!(status(Method::GET, "/api/v1/calls/").await, 404);
        assert_eq!(status(Method::GET, "/api/v1/nothing").await, 404);
    }
}
