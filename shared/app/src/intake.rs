//! The intake queue: call documents dropped by trusted producers (telephony, transcription
//! jobs), admitted like HTTP calls. The tenant travels in the `tenant` message attribute.
//!
//! A message that can never be admitted (no tenant, invalid call, conflicting content) is parked
//! with its reason; one that failed for now is retried by SQS.

use std::collections::BTreeMap;

use async_trait::async_trait;
use callscope_core::domain::{Call, CorrelationId, TenantId};
use callscope_core::formats::{self, Format};
use callscope_core::redaction;

use crate::admit::{Admission, AdmitCalls};
use crate::consumer::{Consume, Disposition, Refusal, UnreadableMessage};
use crate::ports::{Attribute, Received, CORRELATION_ID_ATTRIBUTE, TENANT_ATTRIBUTE};
use crate::{telemetry, Deadline};

mod sender;
pub use sender::{RedriveSenders, ORIGINAL_SENDER_ATTRIBUTE};

/// An intake message, read.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeCall {
    pub tenant: TenantId,
    pub call: Call,
    pub correlation_id: CorrelationId,
}

/// Which producer may send calls for which tenant: IAM unique ids (the `SenderId` SQS records,
/// before any `:session`) to tenants.
pub type ProducerTenants = BTreeMap<String, TenantId>;

#[derive(Debug, Clone)]
pub struct IntakeCalls {
    admit: AdmitCalls,
    /// When set, a message is admitted only from a listed producer, for its own tenant.
    producers: Option<ProducerTenants>,
    /// The intake queue's `maxReceiveCount`, when known: a message still failing on the
    /// receive before the last is parked redacted, so SQS never moves its raw body.
    max_receive_count: Option<u32>,
    /// Senders trusted to carry a redriven message's original producer (see `sender`).
    redrive_senders: RedriveSenders,
}

/// Message attribute of a parked intake copy: how its body was redacted (`strings` of the
/// parsed JSON, or `text` when the body was not JSON and the text rules ran over it raw).
pub const REDACTION_ATTRIBUTE: &str = "redaction";

impl IntakeCalls {
    pub fn new(admit: AdmitCalls, producers: Option<ProducerTenants>) -> Self {
        Self {
            admit,
            producers,
            max_receive_count: None,
            redrive_senders: RedriveSenders::new(),
        }
    }

    /// Parks a message that still fails on receive `max_receive_count - 1` (or on the only one
    /// when it is 1) instead of leaving it to SQS: the receive after it is the last, where a
    /// parking that failed is tried once more.
    pub fn parking_before(mut self, max_receive_count: u32) -> Self {
        self.max_receive_count = Some(max_receive_count);
        self
    }

    /// Trusts these senders' `original_sender` attribute: parked messages stay redrivable.
    pub fn with_redrive_senders(mut self, redrive_senders: RedriveSenders) -> Self {
        self.redrive_senders = redrive_senders;
        self
    }

    /// Reads one message into a call of its tenant.
    fn read_call(&self, message: &Received) -> Result<IntakeCall, Refusal> {
        let tenant = message
            .attribute(TENANT_ATTRIBUTE)
            .ok_or(UnreadableMessage::MissingAttribute(TENANT_ATTRIBUTE))?;
        let tenant = TenantId::parse(TENANT_ATTRIBUTE, tenant)?;
        self.check_producer(message, &tenant)?;
        let body = message.body.as_deref().ok_or(UnreadableMessage::NoBody)?;
        let call = formats::parse_call(body.as_bytes(), Format::Auto)?;
        Ok(IntakeCall {
            tenant,
            call,
            correlation_id: correlation_id_of(message),
        })
    }

    /// The tenant attribute must be the one the sending producer is bound to.
    fn check_producer(&self, message: &Received, tenant: &TenantId) -> Result<(), Refusal> {
        let Some(producers) = &self.producers else {
            return Ok(());
        };
        let sender = sender::producer_of(message, &self.redrive_senders)?;
        let sender = sender.as_str();
        match producers.get(sender) {
            Some(bound) if bound == tenant => Ok(()),
            Some(bound) => Err(Refusal::Producer(format!(
                "producer {sender} may send calls for tenant {bound} only, not {tenant}"
            ))),
            None => Err(Refusal::Producer(format!(
                "producer {sender:?} is not allowed to send calls"
            ))),
        }
    }
}

#[async_trait]
impl Consume for IntakeCalls {
    type Message = IntakeCall;

    const QUEUE: &'static str = "intake";

    fn read(&self, message: &Received) -> Result<IntakeCall, Refusal> {
        self.read_call(message)
            .inspect_err(|refusal| telemetry::call_rejected(rule_of(refusal)))
    }

    /// Intake messages are call documents with transcripts as producers sent them: the parked
    /// copy has e-mails, phone and card numbers replaced in every string of the parsed body
    /// (word items included, see [`redaction::redact_document`]); a body that is not JSON is
    /// redacted as text, and the copy's `redaction` attribute says which.
    fn parked_copy(&self, message: &Received) -> Received {
        let mut copy = message.clone();
        if let Some(body) = &message.body {
            let redacted = redaction::redact_document(body);
            copy.body = Some(redacted.text);
            copy.attributes.insert(
                REDACTION_ATTRIBUTE.into(),
                Attribute {
                    data_type: "String".into(),
                    value: if redacted.parsed { "strings" } else { "text" }.into(),
                },
            );
        }
        sender::record_original_sender(&mut copy, message, &self.redrive_senders);
        copy
    }

    fn park_from_receive(&self) -> Option<u32> {
        self.max_receive_count
            .map(|max| max.saturating_sub(1).max(1))
    }

    /// Admits the batch tenant by tenant (each call's tenant comes only from its own message),
    /// so a batch of one producer costs one admission: concurrent writes and one send.
    async fn handle(&self, batch: &[IntakeCall], deadline: Deadline) -> Vec<Disposition> {
        let mut by_tenant: BTreeMap<&TenantId, Vec<usize>> = BTreeMap::new();
        for (index, message) in batch.iter().enumerate() {
            by_tenant.entry(&message.tenant).or_default().push(index);
        }
        let mut dispositions = vec![Disposition::Retry; batch.len()];
        for (tenant, indexes) in by_tenant {
            let calls = indexes
                .iter()
                .map(|&i| (batch[i].call.clone(), batch[i].correlation_id.clone()))
                .collect();
            let admitted = self.admit.admit(tenant, calls, deadline).await;
            for (index, admitted) in indexes.into_iter().zip(admitted) {
                // What retrying cannot fix is parked with its reason; what can, is retried.
                dispositions[index] = match admitted.admission {
                    Admission::Accepted => Disposition::Done,
                    Admission::Unavailable(_) => Disposition::Retry,
                    Admission::Conflict => Disposition::Park(Refusal::Conflict(admitted.call_id)),
                    Admission::Rejected(error) => Disposition::Park(error.into()),
                };
            }
        }
        dispositions
    }
}

/// The `rule` of an intake message refused before admission.
fn rule_of(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Invalid(error) => telemetry::rule_of(error.kind),
        Refusal::Producer(_) => "producer",
        // Not a call document at all (no body, no tenant attribute); the other refusals come
        // after admission, where they are counted.
        _ => "unreadable",
    }
}

/// The producer's correlation id when it is a safe id (it ends up in keys and logs), else the
/// message id: a bad one is not worth refusing a good call for.
pub(crate) fn correlation_id_of(message: &Received) -> CorrelationId {
    let from_message_id = || {
        CorrelationId::parse(CORRELATION_ID_ATTRIBUTE, &message.id).unwrap_or_else(|_| {
            // SQS message ids are UUIDs; anything else is hashed into a safe id.
            let hash = message.id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            CorrelationId::parse(CORRELATION_ID_ATTRIBUTE, format!("msg-{hash:016x}"))
                .unwrap_or_else(|_| unreachable!("a hex id is a valid correlation id"))
        })
    };
    match message
        .attribute(CORRELATION_ID_ATTRIBUTE)
        .map(|raw| CorrelationId::parse(CORRELATION_ID_ATTRIBUTE, raw))
    {
        Some(Ok(id)) => id,
        Some(Err(error)) => {
            tracing::warn!(message_id = %message.id, %error, "unusable correlation id; using the message id");
            from_message_id()
        }
        None => from_message_id(),
    }
}

#[cfg(test)]
mod tests;
