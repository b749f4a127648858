//! The poison of a chaos run: messages that can never succeed, each tagged so the check can
//! find it in its DLQ, with the words its parking reason must contain.

use callscope_core::pipeline::ProcessCall;
use serde_json::{json, Value};

/// The message attribute that names a poison message (parked copies keep their attributes).
pub const POISON_TAG: &str = "chaos_poison";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoisonKind {
    /// An intake body that is not JSON.
    NotJson,
    /// An intake call without its agent.
    NoAgent,
    /// An intake message without the tenant attribute.
    NoTenant,
    /// An intake message whose tenant attribute is not a tenant id.
    BadTenant,
    /// An intake call reusing an accepted call's id with other content.
    Conflict,
    /// A process-queue body that is not a process request.
    UnreadableProcessRequest,
    /// An analytics-queue body that is not an event.
    UnreadableEvent,
}

pub const KINDS: [PoisonKind; 7] = [
    PoisonKind::NotJson,
    PoisonKind::NoAgent,
    PoisonKind::NoTenant,
    PoisonKind::BadTenant,
    PoisonKind::Conflict,
    PoisonKind::UnreadableProcessRequest,
    PoisonKind::UnreadableEvent,
];

impl PoisonKind {
    pub fn label(self) -> &'static str {
        match self {
            PoisonKind::NotJson => "not JSON",
            PoisonKind::NoAgent => "no agent_id",
            PoisonKind::NoTenant => "no tenant attribute",
            PoisonKind::BadTenant => "invalid tenant",
            PoisonKind::Conflict => "conflicting content",
            PoisonKind::UnreadableProcessRequest => "unreadable process request",
            PoisonKind::UnreadableEvent => "unreadable analytics event",
        }
    }

    /// The queue it is sent to.
    pub fn queue(self) -> &'static str {
        match self {
            PoisonKind::UnreadableProcessRequest => "ProcessQueue",
            PoisonKind::UnreadableEvent => "AnalyticsQueue",
            _ => "IntakeQueue",
        }
    }

    /// The DLQ it must end up in.
    pub fn dead_letter_queue(self) -> &'static str {
        match self {
            PoisonKind::UnreadableProcessRequest => "ProcessDeadLetterQueue",
            PoisonKind::UnreadableEvent => "AnalyticsDeadLetterQueue",
            _ => "IntakeDeadLetterQueue",
        }
    }

    /// What its parking reason must say: the field or the rule it breaks.
    pub fn reason_contains(self) -> &'static str {
        match self {
            PoisonKind::NotJson => "JSON",
            PoisonKind::NoAgent => "agent_id",
            PoisonKind::NoTenant => "`tenant` is required",
            PoisonKind::BadTenant => "tenant",
            PoisonKind::Conflict => "already exists with different content",
            PoisonKind::UnreadableProcessRequest => "body is not a process request",
            PoisonKind::UnreadableEvent => "body is not a CallAnalysed event",
        }
    }

    /// The body and the tenant attribute (if any) of one such message; `accepted` is a call
    /// accepted before, as a document, for the kinds that need one.
    pub fn message(self, tenant: &str, accepted: &Value) -> (String, Option<String>) {
        let tenant = Some(tenant.to_owned());
        match self {
            PoisonKind::NotJson => ("{\"call_id\": \"half a call".to_owned(), tenant),
            PoisonKind::NoAgent => {
                let mut doc = accepted.clone();
                doc["call_id"] = json!(format!("{}-noagent", id_of(accepted)));
                if let Some(doc) = doc.as_object_mut() {
                    doc.remove("agent_id");
                }
                (doc.to_string(), tenant)
            }
            PoisonKind::NoTenant => (accepted.to_string(), None),
            PoisonKind::BadTenant => (accepted.to_string(), Some("Not A Tenant!".to_owned())),
            PoisonKind::Conflict => {
                let mut doc = accepted.clone();
                doc["customer_id"] = json!("someone-else");
                (doc.to_string(), tenant)
            }
            PoisonKind::UnreadableProcessRequest => (
                json!({"tenant": tenant, "call": id_of(accepted)}).to_string(),
                tenant,
            ),
            PoisonKind::UnreadableEvent => (
                json!({"tenant": tenant, "call_id": id_of(accepted), "score": "high"}).to_string(),
                tenant,
            ),
        }
    }
}

fn id_of(document: &Value) -> &str {
    document["call_id"].as_str().unwrap_or("unknown")
}

/// One poison message sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poison {
    pub tag: String,
    pub kind: PoisonKind,
}

/// Whether a parked process-queue body names a call (the parked message of a FAILED call).
pub fn process_request(body: &str) -> Option<ProcessCall> {
    serde_json::from_str(body).ok()
}
