//! Every HTTP error of the API and its one mapping to a status code and JSON body.
//!
//! Bodies keep the v1 API's shape: `{"detail": "…"}` for request-level errors and, for invalid
//! input, `{"detail": [{"loc": ["body" | "query" | "path", …], "msg": "…", "type": "…"}]}` with the
//! offending field as a path, so existing clients' error handling keeps working.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use callscope_core::error::{InputError, InputErrorKind};
use serde_json::{json, Value};

/// Where in the request an invalid value was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Body,
    Query,
    Path,
    Header,
}

impl Place {
    fn as_str(self) -> &'static str {
        match self {
            Place::Body => "body",
            Place::Query => "query",
            Place::Path => "path",
            Place::Header => "header",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Input(Place, InputError),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("no verified tenant: the token carries no `{0}` claim")]
    NoTenant(String),
    #[error("the tenant claim is not a valid tenant id: {0}")]
    BadTenant(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    #[error("call {0} already exists with different content")]
    Conflict(String),
    /// A conditional write whose `If-Match` names a version that is no longer current.
    #[error("the settings are at version {current}, not {expected}: read them again and send If-Match: \"{current}\"")]
    PreconditionFailed { expected: u64, current: u64 },
    /// The resource is not in a state that allows the request (a call not yet PROCESSED
    /// cannot be re-analysed); the message says which.
    #[error("{0}")]
    NotReady(String),
    /// The store or queue failed for now; retrying is safe.
    #[error("{0}")]
    Unavailable(String),
    /// The tenant's request limit is spent; retrying after the given seconds is safe.
    #[error("too many requests for this tenant: at most {limit} a minute; retry after {retry_after_seconds} s")]
    TooManyRequests {
        limit: u32,
        retry_after_seconds: u64,
    },
}

impl ApiError {
    pub fn body(error: InputError) -> Self {
        Self::Input(Place::Body, error)
    }

    pub fn query(error: InputError) -> Self {
        Self::Input(Place::Query, error)
    }

    pub fn path(error: InputError) -> Self {
        Self::Input(Place::Path, error)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Input(_, e) => match e.kind {
                InputErrorKind::Malformed => StatusCode::BAD_REQUEST,
                InputErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                InputErrorKind::Invalid | InputErrorKind::UnsupportedFormat => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            },
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NoTenant(_) => StatusCode::UNAUTHORIZED,
            ApiError::BadTenant(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::NotReady(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The refusal as logs carry it: which rule (and field), never the input it may quote
    /// (a field's value, an id, a claim).
    pub fn rule(&self) -> String {
        match self {
            ApiError::Input(place, e) => {
                format!("{}.{}: {:?}", place.as_str(), e.field, e.kind)
            }
            ApiError::UnsupportedMediaType => "unsupported media type".into(),
            ApiError::NoTenant(_) => "no tenant claim".into(),
            ApiError::BadTenant(_) => "invalid tenant claim".into(),
            ApiError::NotFound(_) => "not found".into(),
            ApiError::MethodNotAllowed => "method not allowed".into(),
            ApiError::Conflict(_) => "conflict".into(),
            ApiError::PreconditionFailed { .. } => "stale version".into(),
            ApiError::NotReady(_) => "not ready".into(),
            ApiError::Unavailable(_) => "unavailable".into(),
            ApiError::TooManyRequests { .. } => "rate limited".into(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            ApiError::Input(place, e) => json!({ "detail": [input_detail(*place, e)] }),
            other => json!({ "detail": other.to_string() }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        tracing::info!(
            status = self.status().as_u16(),
            rule = self.rule(),
            "request refused"
        );
        let mut response = (self.status(), axum::Json(self.to_json())).into_response();
        let retry_after = match &self {
            ApiError::Unavailable(_) => Some(HeaderValue::from_static("1")),
            ApiError::TooManyRequests {
                retry_after_seconds,
                ..
            } => Some(HeaderValue::from(*retry_after_seconds)),
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after);
        }
        response
    }
}

/// One FastAPI-style validation entry for an input error.
pub fn input_detail(place: Place, error: &InputError) -> Value {
    json!({
        "loc": location(place, &error.field),
        "msg": error.rule,
        "type": error.kind,
    })
}

/// `utterances[3].start` in the body → `["body", "utterances", 3, "start"]`.
fn location(place: Place, field: &str) -> Vec<Value> {
    let mut loc = vec![Value::from(place.as_str())];
    for part in field.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            loc.push(Value::from(name));
        }
        for index in pieces {
            let index = index.trim_end_matches(']');
            loc.push(
                index
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(index)),
            );
        }
    }
    loc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_become_fastapi_locations() {
        assert_eq!(
            location(Place::Body, "utterances[3].start"),
            vec![json!("body"), json!("utterances"), json!(3), json!("start")]
        );
        assert_eq!(
            location(Place::Body, "calls[2].transcript"),
            vec![json!("body"), json!("calls"), json!(2), json!("transcript")]
        );
        assert_eq!(
            location(Place::Query, "limit"),
            vec![json!("query"), json!("limit")]
        );
    }

    #[test]
    fn each_input_error_kind_has_its_status() {
        let status = |e: InputError| ApiError::body(e).status().as_u16();
        assert_eq!(status(InputError::malformed("document", "not JSON")), 400);
        assert_eq!(status(InputError::too_large("document", "too big")), 413);
        assert_eq!(status(InputError::invalid("agent_id", "is required")), 422);
        assert_eq!(
            status(InputError::unsupported("document", "unknown format")),
            422
        );
    }

    #[test]
    fn the_logged_rule_never_quotes_the_input() {
        let secret = "jane@example.com";
        let errors = [
            ApiError::body(InputError::invalid(
                "speaker",
                format!("unknown role {secret:?}"),
            )),
            ApiError::NotFound(format!("Call {secret} not found")),
            ApiError::BadTenant(format!("{secret} is not an id")),
            ApiError::Conflict(secret.into()),
        ];
        for error in errors {
            assert!(
                error.to_string().contains(secret),
                "the body still names it"
            );
            assert!(!error.rule().contains(secret), "{}", error.rule());
        }
        assert_eq!(
            ApiError::body(InputError::invalid("agent_id", "x")).rule(),
            "body.agent_id: Invalid"
        );
    }

    #[test]
    fn unavailable_tells_the_client_when_to_retry() {
        let response = ApiError::Unavailable("store down".into()).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
