//! The HTTP side of ingest: `POST /api/v1/calls` and `POST /api/v1/calls/bulk`.

use aws_lambda_events::event::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::HeaderValue;
use base64::Engine;
use callscope_core::domain::{Call, TenantId};
use callscope_core::error::InputError;
use callscope_core::formats::{self, Format};
use serde_json::{json, Value};

use crate::admission::{Admission, Admitted};
use crate::problem::{input_detail, json_response, Problem};
use crate::Ingestor;

pub const SINGLE_ROUTE: &str = "/api/v1/calls";
pub const BULK_ROUTE: &str = "/api/v1/calls/bulk";
/// Most calls one bulk request may carry.
pub const BULK_LIMIT: usize = 1_000;

impl Ingestor {
    pub async fn handle_http(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let request_id = request
            .request_context
            .request_id
            .clone()
            .unwrap_or_default();
        let span = tracing::info_span!("http", request_id = %request_id);
        let _entered = span.enter();
        match self.route(&request).await {
            Ok(response) => response,
            Err(problem) => {
                tracing::info!(status = problem.status(), problem = %problem, "request refused");
                problem.into_response()
            }
        }
    }

    async fn route(
        &self,
        request: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let method = request.request_context.http.method.as_str();
        let path = request.raw_path.as_deref().unwrap_or_default();
        // With a named stage the raw path carries it as a prefix (`/dev/api/v1/calls`).
        let bulk = path.ends_with(BULK_ROUTE);
        if method != "POST" || !(bulk || path.ends_with(SINGLE_ROUTE)) {
            return Err(Problem::NotFound(format!("{method} {path}")));
        }
        let tenant = self.tenant(request)?;
        let body = body_bytes(request)?;
        if bulk {
            self.create_many(&tenant, &body).await
        } else {
            self.create_one(&tenant, &body).await
        }
    }

    /// The tenant from the verified JWT claims; a configured default only in local mode.
    fn tenant(&self, request: &ApiGatewayV2httpRequest) -> Result<TenantId, Problem> {
        let claim = request
            .request_context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get(&self.config.tenant_claim));
        match (claim, &self.config.default_tenant) {
            (Some(raw), _) => {
                TenantId::parse("tenant", raw.as_str()).map_err(|e| Problem::BadTenant(e.rule))
            }
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(Problem::NoTenant(self.config.tenant_claim.clone())),
        }
    }

    async fn create_one(
        &self,
        tenant: &TenantId,
        body: &[u8],
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let call = formats::parse_call(body, Format::Auto)?;
        let admitted = self
            .admit(tenant, vec![(call, new_correlation_id())])
            .await
            .pop()
            .ok_or_else(|| {
                Problem::Unavailable("the call could not be admitted; retry the request".into())
            })?;
        match admitted.admission {
            Admission::Accepted => {
                let location = location_of(&admitted);
                let mut response = json_response(202, &accepted_body(&admitted));
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers.insert("location", value);
                }
                Ok(response)
            }
            Admission::Conflict => Err(Problem::Conflict(admitted.call_id.to_string())),
            Admission::Rejected(error) => Err(Problem::Input(error)),
            Admission::Unavailable(reason) => Err(Problem::Unavailable(reason)),
        }
    }

    /// Each item is accepted or rejected with its own reason; none is skipped silently.
    async fn create_many(
        &self,
        tenant: &TenantId,
        body: &[u8],
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let items = bulk_items(body)?;
        let mut results: Vec<Option<Value>> = vec![None; items.len()];
        let mut calls: Vec<(usize, Call)> = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            match formats::parse_value(item, Format::Auto) {
                Ok(call) => calls.push((index, call)),
                Err(error) => {
                    let error = error.within(&format!("calls[{index}]"));
                    results[index] = Some(
                        json!({"index": index, "status": "rejected", "errors": [input_detail(&error)]}),
                    );
                }
            }
        }
        let indexes: Vec<usize> = calls.iter().map(|(i, _)| *i).collect();
        let admitted = self
            .admit(
                tenant,
                calls
                    .into_iter()
                    .map(|(_, c)| (c, new_correlation_id()))
                    .collect(),
            )
            .await;
        for (index, admitted) in indexes.into_iter().zip(admitted) {
            let mut entry = match &admitted.admission {
                Admission::Accepted => accepted_body(&admitted),
                Admission::Conflict => json!({
                    "call_id": admitted.call_id.as_str(),
                    "status": "conflict",
                    "detail": format!("call {} already exists with different content", admitted.call_id),
                }),
                Admission::Rejected(error) => json!({
                    "call_id": admitted.call_id.as_str(),
                    "status": "rejected",
                    "errors": [input_detail(&error.clone().within(&format!("calls[{index}]")))],
                }),
                Admission::Unavailable(reason) => json!({
                    "call_id": admitted.call_id.as_str(),
                    "status": "retry",
                    "detail": reason,
                }),
            };
            entry["index"] = json!(index);
            results[index] = Some(entry);
        }
        let results: Vec<Value> = results.into_iter().flatten().collect();
        let count = |status: &str| results.iter().filter(|r| r["status"] == status).count();
        let body = json!({
            "accepted": count("accepted"),
            "rejected": count("rejected") + count("conflict"),
            "retry": count("retry"),
            "results": results,
        });
        Ok(json_response(202, &body))
    }
}

fn accepted_body(admitted: &Admitted) -> Value {
    json!({
        "call_id": admitted.call_id.as_str(),
        "status": "accepted",
        "correlation_id": admitted.correlation_id,
        "location": location_of(admitted),
    })
}

fn location_of(admitted: &Admitted) -> String {
    format!("{SINGLE_ROUTE}/{}", admitted.call_id)
}

fn new_correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The request body as bytes, after the Content-Type check and base64 decoding.
fn body_bytes(request: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, Problem> {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(Problem::UnsupportedMediaType);
    }
    let body = request.body.as_deref().unwrap_or_default();
    if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| {
                InputError::malformed("document", format!("body is not valid base64: {e}")).into()
            })
    } else {
        Ok(body.as_bytes().to_vec())
    }
}

/// A bulk body: a JSON array of calls, or `{"calls": [...]}`, with at most [`BULK_LIMIT`] items.
fn bulk_items(body: &[u8]) -> Result<Vec<Value>, InputError> {
    if body.len() > callscope_core::domain::MAX_DOCUMENT_BYTES {
        return Err(InputError::too_large(
            "document",
            format!(
                "is {} bytes; at most {} are accepted",
                body.len(),
                callscope_core::domain::MAX_DOCUMENT_BYTES
            ),
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| InputError::malformed("document", e))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut object) => match object.remove("calls") {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(InputError::invalid("calls", "must be an array of calls")),
            None => {
                return Err(InputError::invalid(
                    "calls",
                    "is required: send an array of calls or {\"calls\": [...]}",
                ))
            }
        },
        _ => {
            return Err(InputError::invalid(
                "calls",
                "send an array of calls or {\"calls\": [...]}",
            ))
        }
    };
    if items.is_empty() {
        return Err(InputError::invalid(
            "calls",
            "must contain at least one call",
        ));
    }
    if items.len() > BULK_LIMIT {
        return Err(InputError::too_large(
            "calls",
            format!(
                "has {} calls; at most {BULK_LIMIT} per request",
                items.len()
            ),
        ));
    }
    Ok(items)
}
