//! Admission of validated calls, shared by HTTP and the intake queue: redact, store RECEIVED
//! with a conditional write, then queue for processing.
//!
//! Idempotent on `(tenant, call_id)`: the same content again is a duplicate that gets the same
//! answer; other content under the same id is a conflict. A call found still RECEIVED is queued
//! again, so a request retried after a failed send (or a redelivered intake message) still gets
//! its call processed.

use callscope_cloud::calls_store::{CallStatus, PutOutcome, StoreError, MAX_ITEM_BYTES};
use callscope_cloud::queue::OutgoingMessage;
use callscope_core::domain::{Call, CallId, TenantId};
use callscope_core::pipeline::ProcessCall;
use callscope_core::InputError;
use futures::stream::{self, StreamExt};

use crate::Ingestor;

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
    /// Could not be stored or queued now; the same request/message can be retried safely.
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub call_id: CallId,
    pub correlation_id: String,
    pub admission: Admission,
}

impl Ingestor {
    /// Admits calls of one tenant; answers in the order given.
    pub async fn admit(&self, tenant: &TenantId, calls: Vec<(Call, String)>) -> Vec<Admitted> {
        let stored: Vec<(Admitted, bool)> = stream::iter(calls)
            .map(|(call, correlation_id)| self.store(tenant, call, correlation_id))
            .buffered(STORE_CONCURRENCY)
            .collect()
            .await;
        self.enqueue(tenant, stored).await
    }

    /// Stores one call; the flag says whether it still needs to be queued.
    async fn store(
        &self,
        tenant: &TenantId,
        call: Call,
        correlation_id: String,
    ) -> (Admitted, bool) {
        let fingerprint = call.fingerprint();
        let call_id = call.call_id.clone();
        let (redacted, redactions) = call.redacted();
        let result = self
            .calls
            .put_received(
                tenant,
                &redacted,
                &fingerprint,
                &redactions,
                &correlation_id,
            )
            .await;
        let admitted = |correlation_id, admission| Admitted {
            call_id: call_id.clone(),
            correlation_id,
            admission,
        };
        match result {
            Ok(PutOutcome::Created) => (admitted(correlation_id, Admission::Accepted), true),
            Ok(PutOutcome::AlreadyExists {
                same_content: true,
                status,
                correlation_id: original,
            }) => (
                admitted(original, Admission::Accepted),
                status == CallStatus::Received,
            ),
            Ok(PutOutcome::AlreadyExists {
                same_content: false,
                ..
            }) => (admitted(correlation_id, Admission::Conflict), false),
            Err(StoreError::TooLarge { bytes, .. }) => {
                let error = InputError::too_large(
                    "utterances",
                    format!(
                        "take {bytes} bytes stored; a call's transcript is limited to {MAX_ITEM_BYTES} bytes (fewer or shorter utterances)"
                    ),
                );
                (admitted(correlation_id, Admission::Rejected(error)), false)
            }
            Err(error) => {
                tracing::warn!(call_id = %call_id, error = format!("{error:#}"), "storing the call failed");
                let reason = "the call could not be stored; retry the request".to_owned();
                (
                    admitted(correlation_id, Admission::Unavailable(reason)),
                    false,
                )
            }
        }
    }

    /// Queues the calls that need processing; those whose message could not be sent become
    /// `Unavailable` (they are stored, and a retry queues them).
    async fn enqueue(&self, tenant: &TenantId, stored: Vec<(Admitted, bool)>) -> Vec<Admitted> {
        let requests: Vec<(String, ProcessCall)> = stored
            .iter()
            .enumerate()
            .filter(|(_, (_, needs_queue))| *needs_queue)
            .map(|(index, (admitted, _))| {
                let request = ProcessCall {
                    tenant: tenant.clone(),
                    call_id: admitted.call_id.clone(),
                    correlation_id: admitted.correlation_id.clone(),
                };
                (index.to_string(), request)
            })
            .collect();
        let mut failed: Vec<String> = Vec::new();
        if !requests.is_empty() {
            let messages: Vec<OutgoingMessage<&ProcessCall>> = requests
                .iter()
                .map(|(id, r)| OutgoingMessage::new(id.clone(), r, &r.tenant, &r.correlation_id))
                .collect();
            match self
                .queue
                .send_batch(&self.config.process_queue_url, &messages)
                .await
            {
                Ok(report) => failed = report.failed.into_iter().map(|(id, _)| id).collect(),
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "queueing calls for processing failed"
                    );
                    failed = requests.iter().map(|(id, _)| id.clone()).collect();
                }
            }
        }
        stored
            .into_iter()
            .enumerate()
            .map(|(index, (mut admitted, _))| {
                if failed.contains(&index.to_string()) {
                    tracing::warn!(call_id = %admitted.call_id, "call stored but not queued");
                    admitted.admission = Admission::Unavailable(
                        "the call was stored but not queued; retry the request".to_owned(),
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
