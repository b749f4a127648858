//! How the chaos run's HTTP clients behave: well (a 503 is retried, a bulk request's `retry`
//! items are sent again, a call is given up only after as many tries as a patient client makes),
//! and badly on purpose (invalid calls, alone and among valid ones in bulk), which must be
//! answered 422 naming the field, or as one `rejected` item that holds back no other.

use std::time::Duration;

use serde_json::{json, Value};

use super::feed::{key, Feeder, Ledger, PlannedCall, Route, RouteCounts};

/// Tries a client makes before it gives up on a call.
const CLIENT_TRIES: usize = 10;

impl Feeder<'_> {
    pub(super) async fn post_single(&self, call: &PlannedCall, counts: &mut RouteCounts) -> bool {
        let body = call.document.to_string();
        for attempt in 0..CLIENT_TRIES {
            let reply = self
                .pipeline
                .post("/api/v1/calls", &body, Some(call.tenant.as_str()))
                .await;
            match reply.status {
                202 => return true,
                503 if attempt + 1 < CLIENT_TRIES => {
                    counts.client_retries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ => return false,
            }
        }
        false
    }

    /// One bulk request per round and tenant, its `retry` items sent again; with an invalid
    /// call among them every third round, which must be rejected without holding back the rest.
    pub(super) async fn post_bulk(
        &self,
        tenant: &str,
        calls: &[&PlannedCall],
        with_invalid: bool,
        ledger: &mut Ledger,
    ) {
        if calls.is_empty() {
            return;
        }
        let mut pending: Vec<Value> = calls.iter().map(|c| c.document.clone()).collect();
        ledger.routes.entry(Route::HttpBulk).or_default().sent += calls.len();
        let mut invalid = with_invalid.then(|| invalid_call(&calls[0].document));
        for attempt in 0..CLIENT_TRIES {
            let mut body = pending.clone();
            body.extend(invalid.take());
            let reply = self
                .pipeline
                .post(
                    "/api/v1/calls/bulk",
                    &Value::from(body).to_string(),
                    Some(tenant),
                )
                .await;
            if reply.status != 202 {
                break;
            }
            let results = reply.body["results"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut retry = Vec::new();
            for (result, doc) in results
                .iter()
                .zip(pending.iter().chain(with_invalid.then_some(&Value::Null)))
            {
                match (result["status"].as_str(), doc.is_null()) {
                    (Some("rejected"), true) => {}
                    (_, true) => ledger
                        .http_invalid_mishandled
                        .push(format!("an invalid bulk item was answered {result}")),
                    (Some("accepted"), false) => {
                        let call = calls
                            .iter()
                            .find(|c| c.document["call_id"] == doc["call_id"]);
                        if let Some(call) = call {
                            ledger.accepted.entry(key(call)).or_insert(Route::HttpBulk);
                        }
                        ledger.routes.entry(Route::HttpBulk).or_default().accepted += 1;
                    }
                    (Some("retry"), false) if attempt + 1 < CLIENT_TRIES => retry.push(doc.clone()),
                    (_, false) => ledger.refused.push(format!("bulk item answered {result}")),
                }
            }
            if with_invalid && attempt == 0 {
                ledger.http_invalid += 1;
            }
            let retried = retry.len();
            pending = retry;
            if pending.is_empty() {
                return;
            }
            ledger
                .routes
                .entry(Route::HttpBulk)
                .or_default()
                .client_retries += retried;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ledger.refused.extend(
            pending
                .iter()
                .map(|d| format!("bulk item {} never accepted", d["call_id"])),
        );
    }

    /// A call breaking a rule, alone: a 422 naming the field, never a 5xx.
    pub(super) async fn post_invalid(&self, like: &PlannedCall, ledger: &mut Ledger) {
        ledger.http_invalid += 1;
        let reply = self
            .pipeline
            .post(
                "/api/v1/calls",
                &invalid_call(&like.document).to_string(),
                Some(like.tenant.as_str()),
            )
            .await;
        let names_field = reply.body["detail"][0]["loc"]
            .to_string()
            .contains("duration_seconds");
        if reply.status != 422 || !names_field {
            ledger.http_invalid_mishandled.push(format!(
                "an invalid call was answered {}: {}",
                reply.status, reply.body
            ));
        }
    }
}

/// A copy of a call that breaks the duration rule.
fn invalid_call(like: &Value) -> Value {
    let mut doc = like.clone();
    doc["call_id"] = json!(format!(
        "{}-invalid",
        like["call_id"].as_str().unwrap_or("x")
    ));
    doc["duration_seconds"] = json!(-5);
    doc
}
