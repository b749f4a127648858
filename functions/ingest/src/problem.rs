//! Every HTTP error of the ingest API and its one mapping to a status code and JSON body.
//!
//! Bodies keep the v1 API's shape: `{"detail": "…"}` for request-level errors and, for invalid
//! input, `{"detail": [{"loc": ["body", …], "msg": "…", "type": "…"}]}` with the offending field
//! as a path, so existing clients' error handling keeps working.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use callscope_core::error::{InputError, InputErrorKind};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("no verified tenant: the token carries no `{0}` claim")]
    NoTenant(String),
    #[error("the tenant claim is not a valid tenant id: {0}")]
    BadTenant(String),
    #[error("no route for {0}")]
    NotFound(String),
    #[error("call {0} already exists with different content")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
}

impl Problem {
    pub fn status(&self) -> u16 {
        match self {
            Problem::Input(e) => match e.kind {
                InputErrorKind::Malformed => 400,
                InputErrorKind::TooLarge => 413,
                InputErrorKind::Invalid | InputErrorKind::UnsupportedFormat => 422,
            },
            Problem::UnsupportedMediaType => 415,
            Problem::NoTenant(_) => 401,
            Problem::BadTenant(_) => 403,
            Problem::NotFound(_) => 404,
            Problem::Conflict(_) => 409,
            Problem::Unavailable(_) => 503,
        }
    }

    pub fn body(&self) -> Value {
        match self {
            Problem::Input(e) => json!({ "detail": [input_detail(e)] }),
            other => json!({ "detail": other.to_string() }),
        }
    }

    pub fn into_response(self) -> ApiGatewayV2httpResponse {
        let mut response = json_response(self.status(), &self.body());
        if matches!(self, Problem::Unavailable(_)) {
            response
                .headers
                .insert("retry-after", HeaderValue::from_static("1"));
        }
        response
    }
}

/// One FastAPI-style validation entry for an input error.
pub fn input_detail(error: &InputError) -> Value {
    json!({
        "loc": location(&error.field),
        "msg": error.rule,
        "type": error.kind,
    })
}

/// `utterances[3].start` → `["body", "utterances", 3, "start"]`.
fn location(field: &str) -> Vec<Value> {
    let mut loc = vec![Value::from("body")];
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

pub fn json_response(status: u16, body: &Value) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_become_fastapi_locations() {
        assert_eq!(
            location("utterances[3].start"),
            vec![json!("body"), json!("utterances"), json!(3), json!("start")]
        );
        assert_eq!(
            location("calls[2].transcript"),
            vec![json!("body"), json!("calls"), json!(2), json!("transcript")]
        );
        assert_eq!(location("document"), vec![json!("body"), json!("document")]);
    }

    #[test]
    fn each_input_error_kind_has_its_status() {
        let status = |e: InputError| Problem::Input(e).status();
        assert_eq!(status(InputError::malformed("document", "not JSON")), 400);
        assert_eq!(status(InputError::too_large("document", "too big")), 413);
        assert_eq!(status(InputError::invalid("agent_id", "is required")), 422);
        assert_eq!(
            status(InputError::unsupported("document", "unknown format")),
            422
        );
    }
}
