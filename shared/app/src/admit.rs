//! Admitting calls, shared by HTTP and the intake queue: redact, store RECEIVED with a
//! conditional write, then queue for processing.
//!
//! Idempotent on `(tenant, call_id)`: the same content again is a duplicate that gets the same
//! answer; other content under the same id is a conflict. A call found still RECEIVED is queued
//! again, so a request retried after a failed send (or a redelivered intake message) still gets
//! its call processed.

use std::sync::Arc;

use callscope_core::domain::{Call, CallId, CorrelationId, TenantId};
use callscope_core::objects::SourceObject;
use callscope_core::pipeline::ProcessCall;
use callscope_core::InputError;
use futures::stream::{self, StreamExt};
use tracing::Instrument;

use crate::ports::{
    publish_each, CallRepository, CallStatus, Clock, Publisher, PutOutcome, ReceivedCall,
    StoreError,
};
use crate::{telemetry, Deadline};

/// How many calls of one request are stored concurrently.
const STORE_CONCURRENCY: usize = 16;

/// What became of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Stored (now or before, with the same content) and queued or already processed.
    Accepted,
    /// The id exists with other content.
    Conflict,
    /// Valid by the input rules but cannot be stored (its redacted transcript is over the item
    /// size limit): retrying cannot help, so it is refused with the field and the rule.
    Rejected(InputError),
    /// Could not be stored or queued now; the same request or message can be retried safely.
    Unavailable(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub call_id: CallId,
    /// The call's correlation id: the original one when the call was stored before.
    pub correlation_id: CorrelationId,
    pub admission: Admission,
}

/// The admit use case.
#[derive(Debug, Clone)]
pub struct AdmitCalls {
    calls: Arc<dyn CallRepository>,
    process_queue: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
}

impl AdmitCalls {
    pub fn new(
        calls: Arc<dyn CallRepository>,
        process_queue: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            calls,
            process_queue,
            clock,
        }
    }

    /// Admits calls of one tenant; answers in the order given. A call not started before the
    /// deadline is `Unavailable` (retry it).
    pub async fn admit(
        &self,
        tenant: &TenantId,
        calls: Vec<(Call, CorrelationId)>,
        deadline: Deadline,
    ) -> Vec<Admitted> {
        let calls = calls.into_iter().map(|(call, id)| (call, id, None));
        self.admit_from(tenant, calls.collect(), deadline).await
    }

    /// [`admit`](Self::admit) for calls read from objects: each remembers its object, which
    /// erasing the call deletes.
    pub async fn admit_from(
        &self,
        tenant: &TenantId,
        calls: Vec<(Call, CorrelationId, Option<SourceObject>)>,
        deadline: Deadline,
    ) -> Vec<Admitted> {
        let stores: Vec<_> = calls
            .into_iter()
            .map(|(call, correlation_id, source)| {
                // Every line about this call carries its ids, wherever it was admitted from (at
                // ERROR so that no log level filters the span, and its fields, out).
                let span = tracing::error_span!(
                    "admit_call",
                    correlation_id = %correlation_id,
                    call_id = %call.call_id,
                    tenant = %tenant,
                );
                self.store(tenant, call, correlation_id, source, deadline)
                    .instrument(span)
            })
            .collect();
        let stored: Vec<(Admitted, bool)> = stream::iter(stores)
            .buffered(STORE_CONCURRENCY)
            .collect()
            .await;
        let admitted = self.enqueue(tenant, stored).await;
        count_admissions(&admitted);
        admitted
    }

    /// Stores one call; the flag says whether it still needs to be queued.
    async fn store(
        &self,
        tenant: &TenantId,
        call: Call,
        correlation_id: CorrelationId,
        source: Option<SourceObject>,
        deadline: Deadline,
    ) -> (Admitted, bool) {
        if !deadline.allows_more_work() {
            let reason = "out of time for this request; retry the call";
            tracing::warn!(reason, "call not admitted");
            let admitted = Admitted {
                call_id: call.call_id,
                correlation_id,
                admission: Admission::Unavailable(reason),
            };
            return (admitted, false);
        }
        let content_hash = call.fingerprint();
        let call_id = call.call_id.clone();
        let (call, redactions) = call.redacted();
        let received = ReceivedCall {
            tenant: tenant.clone(),
            call,
            content_hash,
            redactions,
            correlation_id,
            received_at: self.clock.now(),
            source,
        };
        let result = self.calls.put_received(&received).await;
        let admitted = |correlation_id, admission| Admitted {
            call_id: call_id.clone(),
            correlation_id,
            admission,
        };
        match result {
            Ok(PutOutcome::Created) => {
                (admitted(received.correlation_id, Admission::Accepted), true)
            }
            Ok(PutOutcome::AlreadyExists {
                same_content: true,
                status,
                correlation_id: original,
            }) => (
                admitted(original, Admission::Accepted),
                // Still RECEIVED: its message may be lost. FAILED: the client's retry is another
                // chance (after a fix). PROCESSED: nothing to do.
                status != CallStatus::Processed,
            ),
            Ok(PutOutcome::AlreadyExists {
                same_content: false,
                ..
            }) => {
                tracing::info!("call refused: its id exists with other content");
                (
                    admitted(received.correlation_id, Admission::Conflict),
                    false,
                )
            }
            Err(StoreError::TooLarge { bytes, limit, .. }) => {
                tracing::info!(
                    bytes,
                    limit,
                    "call refused: its redacted transcript is over the item limit"
                );
                let error = InputError::too_large(
                    "utterances",
                    format!(
                        "take {bytes} bytes stored; a call's transcript is limited to {limit} bytes (fewer or shorter utterances)"
                    ),
                );
                let rejected = Admission::Rejected(error);
                (admitted(received.correlation_id, rejected), false)
            }
            Err(StoreError::Rejected { reason, .. }) => {
                tracing::info!(reason, "call refused by the store");
                let error = InputError::invalid(
                    "document",
                    format!("the call cannot be stored as sent: {reason}"),
                );
                let rejected = Admission::Rejected(error);
                (admitted(received.correlation_id, rejected), false)
            }
            Err(error) => {
                tracing::warn!(reason = %error, "storing the call failed; the client must retry");
                let unavailable =
                    Admission::Unavailable("the call could not be stored; retry the request");
                (admitted(received.correlation_id, unavailable), false)
            }
        }
    }

    /// Queues the calls that need processing; those whose message could not be sent become
    /// `Unavailable` (they are stored, and a retry queues them).
    async fn enqueue(&self, tenant: &TenantId, stored: Vec<(Admitted, bool)>) -> Vec<Admitted> {
        let requests: Vec<(usize, ProcessCall)> = stored
            .iter()
            .enumerate()
            .filter(|(_, (_, needs_queue))| *needs_queue)
            .map(|(index, (admitted, _))| {
                let request = ProcessCall {
                    tenant: tenant.clone(),
                    call_id: admitted.call_id.clone(),
                    correlation_id: admitted.correlation_id.clone(),
                    revision: None,
                };
                (index, request)
            })
            .collect();
        let items: Vec<_> = requests
            .iter()
            .map(|(_, r)| (r, &r.tenant, &r.correlation_id))
            .collect();
        let sent = publish_each(self.process_queue.as_ref(), &items).await;
        let not_sent: Vec<usize> = requests
            .iter()
            .zip(sent)
            .filter(|(_, sent)| !sent)
            .map(|((index, _), _)| *index)
            .collect();
        stored
            .into_iter()
            .enumerate()
            .map(|(index, (mut admitted, _))| {
                if not_sent.contains(&index) {
                    tracing::warn!(
                        call_id = %admitted.call_id,
                        correlation_id = %admitted.correlation_id,
                        tenant = %tenant,
                        "call stored but not queued; the client must retry"
                    );
                    admitted.admission = Admission::Unavailable(
                        "the call was stored but not queued; retry the request",
                    );
                } else if admitted.admission == Admission::Accepted {
                    tracing::info!(
                        call_id = %admitted.call_id,
                        correlation_id = %admitted.correlation_id,
                        tenant = %tenant,
                        "call accepted"
                    );
                }
                admitted
            })
            .collect()
    }
}

/// One count per call by what became of it.
fn count_admissions(admitted: &[Admitted]) {
    let mut accepted = 0;
    let mut conflicts = 0;
    let mut retried = 0;
    for admitted in admitted {
        match &admitted.admission {
            Admission::Accepted => accepted += 1,
            Admission::Conflict => conflicts += 1,
            Admission::Rejected(error) => telemetry::call_rejected(telemetry::rule_of(error.kind)),
            Admission::Unavailable(_) => retried += 1,
        }
    }
    telemetry::count(telemetry::CALLS_ACCEPTED, accepted);
    telemetry::count(telemetry::CALL_CONFLICTS, conflicts);
    telemetry::count(telemetry::CALLS_RETRIED, retried);
}

#[cfg(test)]
mod tests;
