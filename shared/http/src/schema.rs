//! The HTTP API's error bodies as types: what [`ApiError`](crate::ApiError) writes and what API
//! Gateway answers before a function runs, described for the OpenAPI document (feature
//! `openapi`) and held to `ApiError`'s JSON by the tests below.

use serde::{Deserialize, Serialize};

/// `{"detail": "…"}`: the request refused as a whole (no tenant, not found, conflict, wrong
/// content type, not now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// What was wrong, for a person to read.
    pub detail: String,
}

/// `{"detail": [{"loc": [...], "msg": "…", "type": "…"}]}`: a value of the request broke a rule
/// (the v1 API's FastAPI validation shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationProblem {
    /// One entry per broken rule (callscope names the first it finds).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub detail: Vec<Violation>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// Where: `body`, `query` or `path`, then the field's path as names and array indexes
    /// (`["body", "utterances", 3, "start"]`).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub loc: Vec<LocPart>,
    /// The rule, and the value when it helps.
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: ViolationKind,
}

/// A step of a location: a field name or an array index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocPart {
    Index(u64),
    Name(String),
}

/// Which kind of rule: `malformed` (400: not JSON), `too_large` (413), `invalid` and
/// `unsupported_format` (422).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ViolationKind {
    Malformed,
    Invalid,
    TooLarge,
    UnsupportedFormat,
}

/// `{"message": "…"}`: API Gateway's own answer, before a function runs: 401 without a valid
/// token, 403 without the route's scope, 404 for a route it does not have, 413 past its 10 MB
/// payload limit, 429 from the stage's throttle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayMessage {
    pub message: String,
}

/// A refusal from callscope (`{"detail": "…"}`) or from API Gateway (`{"message": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Refusal {
    Callscope(Problem),
    Gateway(GatewayMessage),
}

/// A refused request body: callscope names the rule (`{"detail": [...]}`), or API Gateway refused
/// the payload's size (`{"message": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BodyRefusal {
    Callscope(ValidationProblem),
    Gateway(GatewayMessage),
}

/// The answers every secured route can give before its handler runs, in one place for the
/// routes' annotations (`responses(..., Refused, ...)`): 401 without a tenant, 403 without the
/// route's scope, 429 past the tenant's rate limit or the stage's throttle.
#[cfg(feature = "openapi")]
#[derive(Debug, utoipa::IntoResponses)]
pub enum Refused {
    #[response(
        status = 401,
        description = "No token, or one without the tenant claim"
    )]
    NoTenant(Refusal),
    #[response(
        status = 403,
        description = "The token lacks the route's scope, or its tenant claim is not a valid tenant id"
    )]
    Forbidden(Refusal),
    #[response(
        status = 429,
        description = "Too many requests; retry after `Retry-After` seconds",
        headers(("Retry-After" = u32, description = "Seconds to wait"))
    )]
    TooMany(Refusal),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Place;
    use crate::ApiError;
    use callscope_core::error::InputError;

    fn input_errors() -> Vec<ApiError> {
        vec![
            ApiError::body(InputError::malformed("document", "is not valid JSON")),
            ApiError::body(InputError::too_large("document", "is too big")),
            ApiError::body(InputError::invalid("utterances[3].start", "must be >= 0")),
            ApiError::query(InputError::invalid("limit", "must be 1 to 100")),
            ApiError::path(InputError::unsupported("call_id", "is not one")),
            ApiError::Input(Place::Body, InputError::invalid("", "must be an object")),
        ]
    }

    #[test]
    fn every_input_error_is_a_validation_problem_with_a_location() {
        for error in input_errors() {
            let body: ValidationProblem =
                serde_json::from_value(error.to_json()).expect("the validation shape");
            assert!(matches!(body.detail[0].loc[0], LocPart::Name(_)));
        }
        let nested: ValidationProblem =
            serde_json::from_value(input_errors()[2].to_json()).expect("the validation shape");
        assert_eq!(nested.detail[0].loc[2], LocPart::Index(3));
        assert_eq!(nested.detail[0].kind, ViolationKind::Invalid);
    }

    #[test]
    fn every_other_error_is_a_problem_with_a_detail() {
        for error in [
            ApiError::UnsupportedMediaType,
            ApiError::NoTenant("tenant_id".into()),
            ApiError::BadTenant("bad".into()),
            ApiError::NotFound("Not Found".into()),
            ApiError::MethodNotAllowed,
            ApiError::Conflict("c-1".into()),
            ApiError::Unavailable("later".into()),
            ApiError::TooManyRequests {
                limit: 60,
                retry_after_seconds: 3,
            },
        ] {
            let body: Problem = serde_json::from_value(error.to_json()).expect("the detail shape");
            assert!(!body.detail.is_empty());
        }
    }
}
