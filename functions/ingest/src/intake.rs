//! The queue side of ingest: call documents dropped on the intake queue by trusted producers
//! (telephony, transcription jobs). The tenant travels in the `tenant` message attribute.
//!
//! A message that can never be admitted (no tenant, invalid call, conflicting content) is parked
//! in the intake DLQ with its reason at once; one that failed for now is retried by SQS.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use callscope_cloud::dead_letter;
use callscope_cloud::sqs_batch::{
    batch_response, string_attribute, CORRELATION_ID_ATTRIBUTE, TENANT_ATTRIBUTE,
};
use callscope_core::domain::{Call, CorrelationId, TenantId};
use callscope_core::formats::{self, Format};

use crate::admission::Admission;
use crate::Ingestor;

impl Ingestor {
    pub async fn handle_intake(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut failed = Vec::new();
        // Group by tenant (each call's tenant comes only from its own message), so a batch of
        // one producer costs one admission: concurrent writes and one SendMessageBatch.
        let mut by_tenant: BTreeMap<TenantId, Vec<(String, Call, String)>> = BTreeMap::new();
        for message in &event.records {
            let id = message.message_id.clone().unwrap_or_default();
            match read_message(message) {
                Ok((tenant, call)) => {
                    let correlation_id = correlation_id_of(message, &id);
                    by_tenant
                        .entry(tenant)
                        .or_default()
                        .push((id, call, correlation_id));
                }
                Err(reason) => {
                    if !self.park(message, &reason).await {
                        failed.push(id);
                    }
                }
            }
        }
        for (tenant, messages) in by_tenant {
            let (ids, calls): (Vec<String>, Vec<(Call, String)>) = messages
                .into_iter()
                .map(|(id, call, correlation_id)| (id, (call, correlation_id)))
                .unzip();
            let admitted = self.admit(&tenant, calls).await;
            for (id, admitted) in ids.into_iter().zip(admitted) {
                // What retrying cannot fix is parked with its reason; what can, is retried.
                let reason = match admitted.admission {
                    Admission::Accepted => continue,
                    Admission::Unavailable(_) => {
                        failed.push(id);
                        continue;
                    }
                    Admission::Conflict => format!(
                        "call_id: {} already exists with different content",
                        admitted.call_id
                    ),
                    Admission::Rejected(error) => error.to_string(),
                };
                let message = event
                    .records
                    .iter()
                    .find(|m| m.message_id.as_deref() == Some(id.as_str()));
                match message {
                    Some(message) if self.park(message, &reason).await => {}
                    _ => failed.push(id),
                }
            }
        }
        batch_response(failed)
    }

    /// Moves a message to the intake DLQ with its reason; false when that failed (retry it).
    async fn park(&self, message: &SqsMessage, reason: &str) -> bool {
        tracing::error!(
            message_id = message.message_id.as_deref().unwrap_or_default(),
            reason,
            "intake message refused; parking it in the DLQ"
        );
        match dead_letter::park(&self.sqs, &self.config.intake_dlq_url, message, reason).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "parking failed; will retry");
                false
            }
        }
    }
}

/// The producer's correlation id when it is a safe id (it ends up in keys and logs), else the
/// message id: a bad one is not worth refusing a good call for.
fn correlation_id_of(message: &SqsMessage, message_id: &str) -> String {
    match string_attribute(message, CORRELATION_ID_ATTRIBUTE)
        .map(|raw| CorrelationId::parse(CORRELATION_ID_ATTRIBUTE, raw))
    {
        Some(Ok(id)) => id.to_string(),
        Some(Err(error)) => {
            tracing::warn!(message_id, %error, "unusable correlation id; using the message id");
            message_id.to_owned()
        }
        None => message_id.to_owned(),
    }
}

/// The tenant and call of an intake message, or the reason it has none.
fn read_message(message: &SqsMessage) -> Result<(TenantId, Call), String> {
    let tenant = string_attribute(message, TENANT_ATTRIBUTE)
        .ok_or_else(|| format!("message attribute `{TENANT_ATTRIBUTE}` is required"))?;
    let tenant = TenantId::parse(TENANT_ATTRIBUTE, tenant).map_err(|e| e.to_string())?;
    let body = message.body.as_deref().ok_or("message has no body")?;
    let call = formats::parse_call(body.as_bytes(), Format::Auto).map_err(|e| e.to_string())?;
    Ok((tenant, call))
}
