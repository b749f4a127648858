//! Calls erased and re-analysed in a chaos run, through the ingest function's routes as a client
//! sends them (`DELETE /api/v1/calls/{id}`, `POST /api/v1/calls/{id}/reanalyse`, a 503 retried):
//! erased before their processing (right after they were accepted), while in flight (a round
//! later) and after it (once the pipeline settled), some twice, some sent again afterwards under
//! the same id (then they must end PROCESSED and counted once); re-analysed while calls go in and
//! again after the tenants' scorecards change (through `PUT /api/v1/settings/scorecard`), some
//! twice, so the rollups must move from the old analyses to the new ones exactly once.
//!
//! Only calls nothing else in the run sends again or refers to are erased (no duplicates, no
//! poison built from them, not FAILED on purpose): an erased call must then be gone everywhere.

use std::time::Duration;

use callscope_app::ports::CallRepository;
use serde_json::json;

use super::feed::{key, Feeder, Ledger, PlannedCall, Route, ROUND, TENANTS};
use super::ChaosPlan;

/// Tries a client makes before it gives up on a request answered 503.
const CLIENT_TRIES: usize = 10;

/// What was erased, re-analysed and put in the bucket, for the report.
#[derive(Debug, Clone, Default)]
pub struct LifecycleCounts {
    /// DELETE requests sent, client retries and repeats included.
    pub deletes: usize,
    /// Calls erased (204, or 404 after a 503), by their status just before.
    pub erased: std::collections::BTreeMap<&'static str, usize>,
    /// DELETEs repeated after the call was erased (each answered 404).
    pub deleted_again: usize,
    /// Requests answered 503 and sent again (DELETE, re-analyse, settings).
    pub client_retries: usize,
    /// Erased calls sent again under the same id.
    pub sent_again: usize,
    /// Re-analyses queued (202), repeats included.
    pub reanalyses: usize,
    /// Re-analyses answered 409 (not PROCESSED yet, or FAILED).
    pub reanalyses_not_ready: usize,
    /// Scorecards changed before the last re-analyses.
    pub settings_changed: usize,
    /// Objects put in the drop-in bucket, identical ones put again included.
    pub s3_objects: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Erasure {
    /// As soon as its bulk request is answered: its process message still queued.
    BeforeProcessing,
    /// Once its round went in, while the pipeline works through it.
    InFlight,
    /// Once the pipeline settled: processed and counted.
    AfterProcessing,
}

/// When (if ever) a call is erased.
fn erasure_of(call: &PlannedCall, plan: &ChaosPlan) -> Option<Erasure> {
    let i = call.index;
    // Sent once, by one route, and no poison or process request is made from it.
    let alone = i % 10 != 0 && i % 10 != 4 && i % 10 != 8 && i % 13 != 6 && i % 11 != 5;
    if !alone || plan.fails(i) {
        return None;
    }
    match (call.route, i % 40) {
        (Route::HttpBulk, 3) => Some(Erasure::BeforeProcessing),
        (Route::HttpSingle, 11) => Some(Erasure::InFlight),
        (Route::HttpBulk, 15) if i % 80 == 15 => Some(Erasure::AfterProcessing),
        // Objects never put again.
        (Route::S3Object, _) if i % 80 == 29 => Some(Erasure::AfterProcessing),
        _ => None,
    }
}

/// Every other erased call gets a second DELETE (a client repeating itself): 404.
fn erased_twice(call: &PlannedCall) -> bool {
    call.index % 80 < 40
}

/// Some erased calls are sent again under the same id: one erased before processing in every
/// four rounds (sent again a round later), and one in two of those erased after.
fn sent_again(call: &PlannedCall) -> bool {
    call.index % 80 == 3 || call.index % 80 == 15
}

/// Re-analysed two rounds after being sent (processed by then, or answered 409 and re-analysed
/// at the end).
fn reanalysed_while_feeding(call: &PlannedCall) -> bool {
    call.index % 40 == 2
}

/// Re-analysed once the pipeline settled and the scorecards changed: every call re-analysed
/// before (its second revision) and, for the first time, a bulk call and an object put twice
/// in every four rounds.
fn reanalysed_after(call: &PlannedCall) -> bool {
    call.index % 40 == 2 || matches!(call.index % 80, 9 | 12)
}

/// Every other re-analysis is requested twice in a row (a client repeating itself).
fn reanalysed_twice(call: &PlannedCall) -> bool {
    call.index % 80 < 40
}

/// The scorecard the tenants change to before the last re-analyses: other criteria than the
/// built-in ones, so the re-analysed scores (and the rollups' score sums) move.
fn changed_scorecard() -> serde_json::Value {
    json!({"criteria": [
        {"measure": "agent_talk_ratio", "weight": 50, "benchmark": {"min": 0.2, "max": 0.45}},
        {"measure": "questions_agent", "weight": 25, "benchmark": {"min": 3}},
        {"measure": "next_step_agreed", "weight": 25}
    ]})
}

impl Feeder<'_> {
    /// Right after a bulk request was answered: its calls to erase before they are processed
    /// (their process messages are queued behind the round's others).
    pub(super) async fn erase_before_processing(
        &self,
        calls: &[&PlannedCall],
        ledger: &mut Ledger,
    ) {
        for call in calls {
            if erasure_of(call, self.plan) == Some(Erasure::BeforeProcessing) {
                self.erase(call, ledger).await;
            }
        }
    }

    /// After round `round` went in: its calls to erase in flight (while the pipeline works
    /// through the round), one of the previous round's erased calls sent again, re-analyses of
    /// the round before that.
    pub(super) async fn lifecycle_while_feeding(
        &self,
        round: usize,
        calls: &[PlannedCall],
        ledger: &mut Ledger,
    ) -> anyhow::Result<()> {
        let chunk = |r: usize| calls.chunks(ROUND).nth(r).unwrap_or_default();
        for call in chunk(round) {
            if erasure_of(call, self.plan) == Some(Erasure::InFlight) {
                self.erase(call, ledger).await;
            }
        }
        if let Some(previous) = round.checked_sub(1) {
            for call in chunk(previous) {
                if erasure_of(call, self.plan) == Some(Erasure::BeforeProcessing)
                    && sent_again(call)
                {
                    self.send_again(call, ledger).await?;
                }
            }
        }
        if let Some(earlier) = round.checked_sub(2) {
            for call in chunk(earlier)
                .iter()
                .filter(|c| reanalysed_while_feeding(c))
            {
                self.reanalyse(call, ledger).await;
            }
        }
        Ok(())
    }

    /// Once the pipeline settled: the scorecards change, processed calls are erased (some sent
    /// again) and re-analysed, with those answered 409 before.
    pub(super) async fn lifecycle_after_processing(
        &self,
        calls: &[PlannedCall],
        ledger: &mut Ledger,
    ) -> anyhow::Result<()> {
        self.change_scorecards(ledger).await;
        for call in calls {
            if erasure_of(call, self.plan) == Some(Erasure::AfterProcessing) {
                self.erase(call, ledger).await;
                if sent_again(call) && ledger.erased.contains_key(&key(call)) {
                    self.send_again(call, ledger).await?;
                }
            }
        }
        for call in calls {
            if reanalysed_after(call) || ledger.reanalyse_later.remove(&key(call)) {
                self.reanalyse(call, ledger).await;
            }
        }
        Ok(())
    }

    /// Erases the call as a client does (a 503 retried), and maybe repeats the DELETE. A call
    /// never accepted (its refusal is already a failure) is left alone.
    async fn erase(&self, call: &PlannedCall, ledger: &mut Ledger) {
        if !ledger.accepted.contains_key(&key(call)) {
            return;
        }
        let status = match self.calls.head(&call.tenant, &call.call_id).await {
            Ok(Some(head)) => head.status.as_str(),
            Ok(None) => "not stored",
            Err(_) => "unknown",
        };
        let path = format!("/api/v1/calls/{}", call.call_id);
        let mut erased = false;
        for attempt in 0..CLIENT_TRIES {
            ledger.lifecycle.deletes += 1;
            let reply = self
                .pipeline
                .send_to_ingest("DELETE", &path, Some(call.tenant.as_str()))
                .await;
            match reply.status {
                204 => erased = true,
                // A DELETE answered 503 may have finished its work.
                404 if attempt > 0 => erased = true,
                503 => {
                    ledger.lifecycle.client_retries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                other => ledger.lifecycle_misanswered.push(format!(
                    "DELETE {path} ({status}) answered {other}: {}",
                    reply.body
                )),
            }
            break;
        }
        if !erased {
            ledger
                .lifecycle_misanswered
                .push(format!("DELETE {path} ({status}) never succeeded"));
            return;
        }
        *ledger.lifecycle.erased.entry(status).or_default() += 1;
        ledger.erased.insert(key(call), call.object_key.clone());
        if erased_twice(call) {
            ledger.lifecycle.deletes += 1;
            ledger.lifecycle.deleted_again += 1;
            let reply = self
                .pipeline
                .send_to_ingest("DELETE", &path, Some(call.tenant.as_str()))
                .await;
            if reply.status != 404 {
                ledger.lifecycle_misanswered.push(format!(
                    "DELETE {path} repeated after it was erased answered {}, not 404",
                    reply.status
                ));
            }
        }
    }

    /// An erased call sent again under its id: a new call, which must end PROCESSED.
    async fn send_again(&self, call: &PlannedCall, ledger: &mut Ledger) -> anyhow::Result<()> {
        if ledger.erased.remove(&key(call)).is_none() {
            return Ok(());
        }
        ledger.lifecycle.sent_again += 1;
        let route = match call.route {
            Route::S3Object => Route::S3Object,
            _ => Route::HttpSingle,
        };
        self.send_by(call, route, ledger).await
    }

    /// Queues the call's re-analysis as a client does (a 503 retried), twice for some; a call
    /// not processed yet (409) is re-analysed at the end.
    async fn reanalyse(&self, call: &PlannedCall, ledger: &mut Ledger) {
        if !ledger.accepted.contains_key(&key(call)) {
            return;
        }
        let times = if reanalysed_twice(call) { 2 } else { 1 };
        let path = format!("/api/v1/calls/{}/reanalyse", call.call_id);
        for _ in 0..times {
            for _ in 0..CLIENT_TRIES {
                let reply = self
                    .pipeline
                    .post(&path, "", Some(call.tenant.as_str()))
                    .await;
                match reply.status {
                    202 => {
                        ledger.lifecycle.reanalyses += 1;
                        let revision = reply.body["revision"].as_u64().unwrap_or(0);
                        let revision = u32::try_from(revision).unwrap_or(u32::MAX);
                        let last = ledger.reanalysed.entry(key(call)).or_default();
                        *last = (*last).max(revision);
                    }
                    409 => {
                        ledger.lifecycle.reanalyses_not_ready += 1;
                        ledger.reanalyse_later.insert(key(call));
                        return;
                    }
                    503 => {
                        ledger.lifecycle.client_retries += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    other => ledger
                        .lifecycle_misanswered
                        .push(format!("POST {path} answered {other}: {}", reply.body)),
                }
                break;
            }
        }
    }

    /// Each tenant's scorecard replaced through the settings API.
    async fn change_scorecards(&self, ledger: &mut Ledger) {
        let body = changed_scorecard().to_string();
        for tenant in TENANTS {
            for attempt in 0..CLIENT_TRIES {
                let reply = self
                    .pipeline
                    .put_settings("scorecard", &body, None, Some(tenant))
                    .await;
                match reply.status {
                    200 => ledger.lifecycle.settings_changed += 1,
                    503 if attempt + 1 < CLIENT_TRIES => {
                        ledger.lifecycle.client_retries += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    other => ledger.lifecycle_misanswered.push(format!(
                        "PUT /api/v1/settings/scorecard of {tenant} answered {other}: {}",
                        reply.body
                    )),
                }
                break;
            }
        }
    }
}
