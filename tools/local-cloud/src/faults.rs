//! Fault injection inside the stores, through the SDK: an interceptor installed on the clients
//! the functions use, which makes chosen DynamoDB and SQS requests fail the way the real
//! services can — throttled, a transaction cancelled by a conflict, refused as invalid, a
//! SendMessageBatch entry failed, or committed and then lost on the way back. Everything above
//! the SDK (retries, the adapters, the use cases) runs unchanged.
//!
//! A fault that must not take effect (throttling, a conflict, a validation error) turns the
//! request into a harmless one before it is sent, then answers with the error; "committed then
//! lost" sends the request as it is and answers with a server error instead of its result.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::{json, Value};

/// What a matching request suffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// DynamoDB `ThrottlingException` (retryable; not applied).
    Throttle,
    /// `TransactionCanceledException`, every item `TransactionConflict` (not applied).
    TransactionConflict,
    /// `ValidationException` (not retryable; not applied).
    Invalid,
    /// Applied, then a 500 instead of the answer: the client cannot tell it happened.
    CommittedThenLost,
    /// SendMessageBatch: the first entry is not sent and reported failed by the server.
    FirstEntryFailed,
    /// Applied, and the answer never came in time: the operation gives up with an error the
    /// SDK does not retry (as when every attempt ran past its timeout).
    TimedOut,
}

/// A fault for requests of one operation (`DynamoDB_20120810.TransactWriteItems`,
/// `AmazonSQS.SendMessageBatch`, …) whose body contains every needle, the next `times` times
/// (or every `period`-th such request, until it fired `times` times).
#[derive(Debug, Clone)]
pub struct Rule {
    pub operation: String,
    pub needles: Vec<String>,
    pub fault: Fault,
    pub times: usize,
    pub period: usize,
    /// Matching requests seen so far.
    seen: usize,
}

impl Rule {
    pub fn new(operation: &str, fault: Fault, times: usize) -> Self {
        Self {
            operation: operation.to_owned(),
            needles: Vec::new(),
            fault,
            times,
            period: 1,
            seen: 0,
        }
    }

    /// Only requests whose body contains `needle` (and the needles given before).
    pub fn when_body_contains(mut self, needle: &str) -> Self {
        self.needles.push(needle.to_owned());
        self
    }

    /// Fires on every `period`-th matching request instead of the next ones, so faults spread
    /// over a long run.
    pub fn every(mut self, period: usize) -> Self {
        self.period = period.max(1);
        self
    }

    fn matches(&self, operation: &str, body: &str) -> bool {
        self.times > 0
            && self.operation == operation
            && self.needles.iter().all(|n| body.contains(n.as_str()))
    }
}

/// The rules, and what was injected so far.
#[derive(Debug, Clone, Default)]
pub struct FaultInjector {
    rules: Arc<Mutex<Vec<Rule>>>,
    injected: Arc<Mutex<BTreeMap<Fault, usize>>>,
}

impl FaultInjector {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self {
            rules: Arc::new(Mutex::new(rules)),
            injected: Arc::default(),
        }
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> BTreeMap<Fault, usize> {
        self.injected.lock().map(|i| i.clone()).unwrap_or_default()
    }

    fn take(&self, operation: &str, body: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().ok()?;
        // The first matching rule whose turn it is; rules before it count the request too.
        let mut chosen = None;
        for rule in rules.iter_mut().filter(|r| r.matches(operation, body)) {
            rule.seen += 1;
            if rule.seen % rule.period == 0 {
                rule.times -= 1;
                chosen = Some(rule.fault);
                break;
            }
        }
        let fault = chosen?;
        if let Ok(mut injected) = self.injected.lock() {
            *injected.entry(fault).or_default() += 1;
        }
        Some(fault)
    }
}

/// The fault planned for the current attempt, from before it is sent to its answer.
#[derive(Debug, Clone)]
struct Planned {
    fault: Fault,
    items: usize,
    dropped_entry: Option<String>,
}

impl Storable for Planned {
    type Storer = StoreReplace<Self>;
}

/// An operation that changes nothing, in place of one that must not take effect.
fn harmless(operation: &str) -> &'static str {
    if operation.starts_with("AmazonSQS.") {
        "AmazonSQS.ListQueues"
    } else {
        "DynamoDB_20120810.DescribeLimits"
    }
}

fn error_response(status: u16, operation: &str, code: &str, extra: Value) -> Response {
    let prefix = if operation.starts_with("AmazonSQS.") {
        "com.amazonaws.sqs"
    } else {
        "com.amazonaws.dynamodb.v20120810"
    };
    let mut body =
        json!({"__type": format!("{prefix}#{code}"), "message": format!("{code} (injected)")});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let mut response = Response::new(
        StatusCode::try_from(status).unwrap_or_else(|_| StatusCode::try_from(500).expect("500")),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response
}

impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "FaultInjector"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let Some(operation) = request.headers().get("x-amz-target").map(str::to_owned) else {
            return Ok(());
        };
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let Some(fault) = self.take(&operation, &body) else {
            return Ok(());
        };
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let items = parsed["TransactItems"].as_array().map_or(0, Vec::len);
        let mut planned = Planned {
            fault,
            items,
            dropped_entry: None,
        };
        match fault {
            Fault::Throttle | Fault::TransactionConflict | Fault::Invalid => {
                request
                    .headers_mut()
                    .insert("x-amz-target", harmless(&operation));
                replace_body(request, "{}".to_owned());
            }
            Fault::FirstEntryFailed => {
                let mut parsed = parsed;
                if let Some(entries) = parsed["Entries"].as_array_mut() {
                    if entries.len() > 1 {
                        let dropped = entries.remove(0);
                        planned.dropped_entry = dropped["Id"].as_str().map(str::to_owned);
                        replace_body(request, parsed.to_string());
                    }
                }
            }
            Fault::CommittedThenLost | Fault::TimedOut => {}
        }
        cfg.interceptor_state().store_put(planned);
        cfg.interceptor_state().store_put(Operation(operation));
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(planned), Some(Operation(operation))) = (
            cfg.load::<Planned>().cloned(),
            cfg.load::<Operation>().cloned(),
        ) else {
            return Ok(());
        };
        cfg.interceptor_state().unset::<Planned>();
        let replacement = match planned.fault {
            Fault::Throttle => error_response(400, &operation, "ThrottlingException", json!({})),
            Fault::Invalid => error_response(400, &operation, "ValidationException", json!({})),
            Fault::TransactionConflict => {
                let reasons: Vec<Value> = (0..planned.items.max(1))
                    .map(|_| json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item (injected)"}))
                    .collect();
                error_response(
                    400,
                    &operation,
                    "TransactionCanceledException",
                    json!({"CancellationReasons": reasons}),
                )
            }
            Fault::CommittedThenLost => {
                error_response(500, &operation, "InternalServerError", json!({}))
            }
            Fault::TimedOut => {
                return Err(
                    format!("{operation} timed out waiting for its answer (injected)").into(),
                )
            }
            Fault::FirstEntryFailed => {
                let Some(dropped) = planned.dropped_entry else {
                    return Ok(());
                };
                let response = context.response_mut();
                let mut body: Value = response
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or_else(|| json!({}));
                let failed = json!({"Id": dropped, "SenderFault": false, "Code": "InternalError", "Message": "injected"});
                match body["Failed"].as_array_mut() {
                    Some(list) => list.push(failed),
                    None => body["Failed"] = json!([failed]),
                }
                *response.body_mut() = SdkBody::from(body.to_string());
                return Ok(());
            }
        };
        *context.response_mut() = replacement;
        Ok(())
    }
}

/// A new body with its length: a stale Content-Length made the emulator (one request at a time)
/// wait for bytes that never came until the client's attempt timed out, stalling every client.
fn replace_body(request: &mut aws_smithy_runtime_api::http::Request, body: String) {
    request
        .headers_mut()
        .insert("content-length", body.len().to_string());
    *request.body_mut() = SdkBody::from(body);
}

#[derive(Debug, Clone)]
struct Operation(String);

impl Storable for Operation {
    type Storer = StoreReplace<Self>;
}
