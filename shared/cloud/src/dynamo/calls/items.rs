//! The calls table's item layout: keys, the call item as a typed record (mapped by
//! serde_dynamo), the transcript item, and reading a stored call back.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use callscope_app::ports::{CallListing, CallStatus, ReceivedCall, StoredCall};
use callscope_core::domain::{
    AgentId, Call, CallId, CorrelationId, CustomerId, Language, Outcome, TeamId, TenantId,
    Timestamp, Transcript, Utterance,
};
use callscope_core::objects::SourceObject;
use callscope_core::redaction::RedactionCounts;
use callscope_core::roles::SpeakerRoles;
use callscope_core::similarity::Signature;
use serde::{Deserialize, Serialize};

pub const CALL_SK: &str = "CALL";
pub const TRANSCRIPT_SK: &str = "TRANSCRIPT";
pub const ANALYSIS_SK: &str = "ANALYSIS";

pub fn call_pk(tenant: &TenantId, call_id: &CallId) -> String {
    format!("TENANT#{tenant}#CALL#{call_id}")
}

/// The inverse of [`call_pk`]; ids never contain `#`, so the split is unambiguous.
pub fn parse_call_pk(pk: &str) -> Option<(TenantId, CallId)> {
    let (tenant, call_id) = pk.strip_prefix("TENANT#")?.split_once("#CALL#")?;
    Some((
        TenantId::parse("tenant", tenant).ok()?,
        CallId::parse("call_id", call_id).ok()?,
    ))
}

/// Shards of the sparse `Pending` index: pending calls spread over 16 partitions by the first
/// hex digit of their content hash, so a burst of ingests never concentrates on one.
pub const PENDING_SHARDS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

pub fn pending_pk(shard: char) -> String {
    format!("PENDING#{shard}")
}

/// `{received_at}#{correlation_id}`: sorted by age, and carrying the id the re-queued message
/// keeps (neither a timestamp nor an id contains `#`).
pub fn pending_sk(received_at: Timestamp, correlation_id: &CorrelationId) -> String {
    format!("{received_at}#{correlation_id}")
}

/// The inverse of [`pending_sk`].
pub fn parse_pending_sk(sort_key: &str) -> Option<(Timestamp, CorrelationId)> {
    let (received_at, correlation_id) = sort_key.split_once('#')?;
    Some((
        Timestamp::parse("received_at", received_at).ok()?,
        CorrelationId::parse("correlation_id", correlation_id).ok()?,
    ))
}

/// The call item: listing attributes, bookkeeping and index keys. Optional attributes are
/// left out when absent (an index key must never be present as NULL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallItem {
    pub pk: String,
    pub sk: String,
    pub tenant: TenantId,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub customer_id: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    pub language: Language,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    pub status: CallStatus,
    pub content_hash: String,
    pub correlation_id: CorrelationId,
    pub received_at: Timestamp,
    pub redactions: RedactionCounts,
    /// Present only while the call is RECEIVED and not FAILED: the PROCESSED mark removes it
    /// (sparse index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_sk: Option<String>,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
    /// Set when the call is processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_talk_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_sentiment_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// The first lines of the redacted transcript, for similar-call answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// The MinHash signature (Binary), set when the call is processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    /// Failed processing attempts (load or store) so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<Timestamp>,
    /// When the sweeper last queued it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_requeued_at: Option<Timestamp>,
    /// How speaker labels became roles (inferred or configured), when the document had labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<SpeakerRoles>,
    /// Its analysis revision: absent until it is re-analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    /// The drop-in object the call was read from (erasing the call deletes it); absent for
    /// calls sent as documents, and on items written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_object: Option<SourceObject>,
}

impl CallItem {
    pub fn received(received: &ReceivedCall) -> Self {
        let ReceivedCall {
            tenant,
            call,
            content_hash,
            redactions,
            correlation_id,
            received_at,
            source,
        } = received;
        let listing = CallListing::of(tenant, call, CallStatus::Received, *received_at);
        let sort_key = format!("{}#{}", listing.start_time, listing.call_id);
        let shard = pending_shard(content_hash);
        Self {
            pk: call_pk(tenant, &call.call_id),
            sk: CALL_SK.to_owned(),
            content_hash: content_hash.clone(),
            correlation_id: correlation_id.clone(),
            redactions: *redactions,
            pending_pk: Some(pending_pk(shard)),
            pending_sk: Some(pending_sk(*received_at, correlation_id)),
            gsi1pk: format!("TENANT#{tenant}#AGENT#{}", call.agent_id),
            gsi1sk: sort_key.clone(),
            gsi2pk: format!("TENANT#{tenant}"),
            gsi2sk: sort_key.clone(),
            gsi3pk: call
                .team_id
                .as_ref()
                .map(|team| format!("TENANT#{tenant}#TEAM#{team}")),
            gsi3sk: call.team_id.as_ref().map(|_| sort_key),
            attempts: None,
            failed_at: None,
            last_requeued_at: None,
            revision: None,
            source_object: source.clone(),
            tenant: listing.tenant,
            call_id: listing.call_id,
            agent_id: listing.agent_id,
            customer_id: listing.customer_id,
            team_id: listing.team_id,
            language: listing.language,
            start_time: listing.start_time,
            duration_seconds: listing.duration_seconds,
            outcome: listing.outcome,
            status: listing.status,
            received_at: listing.received_at,
            processed_at: listing.processed_at,
            agent_talk_ratio: listing.agent_talk_ratio,
            customer_sentiment_score: listing.customer_sentiment_score,
            score: listing.score,
            preview: listing.preview,
            signature: listing.signature,
            failure_reason: listing.failure_reason,
            roles: call.roles.clone(),
        }
    }

    /// The item of a call stored already FAILED (a recording whose transcription failed): as
    /// [`CallItem::received`] but with its reason, out of the `Pending` index, without preview.
    pub fn failed(received: &ReceivedCall, reason: &str, at: Timestamp) -> Self {
        Self {
            status: CallStatus::Failed,
            pending_pk: None,
            pending_sk: None,
            preview: None,
            failure_reason: Some(failure_reason(reason)),
            failed_at: Some(at),
            ..Self::received(received)
        }
    }

    /// The stored call rebuilt from this item and its transcript.
    pub fn into_stored(self, utterances: Transcript) -> StoredCall {
        // The parts were validated on the way in and keep their types in the item; the call is
        // reassembled, not re-validated, so what was accepted can always be read back (redaction
        // may have lengthened the text past the input limit).
        let call = Call {
            call_id: self.call_id,
            agent_id: self.agent_id,
            customer_id: self.customer_id,
            team_id: self.team_id,
            language: self.language,
            start_time: self.start_time.time(),
            duration_seconds: self.duration_seconds,
            utterances,
            outcome: self.outcome,
            roles: self.roles,
        };
        StoredCall {
            call,
            status: self.status,
            correlation_id: self.correlation_id,
            redactions: self.redactions,
            content_hash: self.content_hash,
            received_at: self.received_at,
            revision: self.revision.unwrap_or(0),
        }
    }
}

/// A failure reason as stored: its first 1,000 characters (a reason is for people; the item
/// stays small).
pub fn failure_reason(reason: &str) -> String {
    reason.chars().take(1_000).collect()
}

/// The listing attributes the `ByAgent`, `ByTenant` and `ByTeam` indexes project (INCLUDE):
/// what a list and the similar-calls candidates show, nothing they do not.
pub const LISTING_ATTRIBUTES: [&str; 17] = [
    "call_id",
    "agent_id",
    "customer_id",
    "team_id",
    "language",
    "start_time",
    "duration_seconds",
    "outcome",
    "status",
    "received_at",
    "processed_at",
    "agent_talk_ratio",
    "customer_sentiment_score",
    "score",
    "preview",
    "signature",
    "failure_reason",
];

/// A call as a listing index holds it (see [`LISTING_ATTRIBUTES`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListingItem {
    pub pk: String,
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub customer_id: CustomerId,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    pub language: Language,
    pub start_time: Timestamp,
    pub duration_seconds: f64,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    pub status: CallStatus,
    pub received_at: Timestamp,
    #[serde(default)]
    pub processed_at: Option<Timestamp>,
    #[serde(default)]
    pub agent_talk_ratio: Option<f64>,
    #[serde(default)]
    pub customer_sentiment_score: Option<f64>,
    #[serde(default)]
    pub score: Option<u8>,
    #[serde(default)]
    pub preview: Option<String>,
    #[serde(default)]
    pub signature: Option<Signature>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

impl ListingItem {
    pub fn listing(self) -> Option<CallListing> {
        let (tenant, _) = parse_call_pk(&self.pk)?;
        Some(CallListing {
            tenant,
            call_id: self.call_id,
            agent_id: self.agent_id,
            customer_id: self.customer_id,
            team_id: self.team_id,
            language: self.language,
            start_time: self.start_time,
            duration_seconds: self.duration_seconds,
            outcome: self.outcome,
            status: self.status,
            received_at: self.received_at,
            processed_at: self.processed_at,
            agent_talk_ratio: self.agent_talk_ratio,
            customer_sentiment_score: self.customer_sentiment_score,
            score: self.score,
            preview: self.preview,
            signature: self.signature,
            failure_reason: self.failure_reason,
        })
    }
}

pub fn transcript_item(
    tenant: &TenantId,
    call: &Call,
) -> Result<HashMap<String, AttributeValue>, serde_json::Error> {
    let transcript = compressed_json(&call.utterances)?;
    Ok(HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(call_pk(tenant, &call.call_id)),
        ),
        ("sk".to_owned(), AttributeValue::S(TRANSCRIPT_SK.to_owned())),
        (
            "transcript".to_owned(),
            AttributeValue::B(Blob::new(transcript)),
        ),
    ]))
}

/// zstd's default level: transcripts shrink ~6×, analyses ~4×, at ~100 MB/s per core.
const ZSTD_LEVEL: i32 = 3;
/// A stored document is never inflated past this (a corrupt or hostile item cannot exhaust
/// memory): 40 times the largest item.
const MAX_DECOMPRESSED_BYTES: u64 = 16 * 1024 * 1024;

/// `value` as zstd-compressed JSON: cost is bytes written, and text compresses well.
pub fn compressed_json(value: &impl serde::Serialize) -> Result<Vec<u8>, serde_json::Error> {
    let json = serde_json::to_vec(value)?;
    zstd::bulk::compress(&json, ZSTD_LEVEL).map_err(serde_json::Error::io)
}

/// The value of zstd-compressed JSON, inflated to at most `limit` bytes.
fn decompressed_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    limit: u64,
) -> Result<T, UnreadableCall> {
    use std::io::Read;
    let mut json = Vec::new();
    zstd::stream::read::Decoder::new(bytes)
        .map_err(UnreadableCall::Compression)?
        .take(limit + 1)
        .read_to_end(&mut json)
        .map_err(UnreadableCall::Compression)?;
    if json.len() as u64 > limit {
        return Err(UnreadableCall::Compression(std::io::Error::other(format!(
            "inflates past {limit} bytes"
        ))));
    }
    Ok(serde_json::from_slice(&json)?)
}

/// Size of an item as DynamoDB counts it (names + values; numbers and others as 16 bytes).
pub fn approximate_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::B(b) => b.as_ref().len(),
                    _ => 16,
                }
        })
        .sum()
}

pub fn string<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn status(item: &HashMap<String, AttributeValue>) -> CallStatus {
    match string(item, "status") {
        Some("PROCESSED") => CallStatus::Processed,
        Some("FAILED") => CallStatus::Failed,
        _ => CallStatus::Received,
    }
}

/// The shard of a call's pending entry: the first hex digit of its content hash.
pub fn pending_shard(content_hash: &str) -> char {
    content_hash.chars().next().unwrap_or('0')
}

/// Why stored items cannot be read back as a call.
#[derive(Debug, thiserror::Error)]
pub enum UnreadableCall {
    #[error("the call item: {0}")]
    CallItem(#[from] serde_dynamo::Error),
    #[error("a stored document: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a stored document is not zstd-compressed JSON of at most 16 MiB: {0}")]
    Compression(std::io::Error),
    #[error("the {0} attribute is missing")]
    Missing(&'static str),
}

/// Reads the call back from its two items.
pub fn stored_call(
    call_item: HashMap<String, AttributeValue>,
    transcript_item: &HashMap<String, AttributeValue>,
) -> Result<StoredCall, UnreadableCall> {
    let item: CallItem = serde_dynamo::from_item(call_item)?;
    Ok(item.into_stored(transcript(transcript_item)?))
}

/// The redacted transcript of a transcript item, as stored.
pub fn transcript(item: &HashMap<String, AttributeValue>) -> Result<Transcript, UnreadableCall> {
    let utterances: Vec<Utterance> = compressed_attribute(item, "transcript")?;
    Ok(Transcript::from_stored(utterances))
}

/// The analysis of an analysis item.
pub fn analysis(
    item: &HashMap<String, AttributeValue>,
) -> Result<callscope_core::analysis::CallAnalysis, UnreadableCall> {
    compressed_attribute(item, "analysis")
}

/// The value stored as zstd-compressed JSON in the Binary attribute `name`.
fn compressed_attribute<T: serde::de::DeserializeOwned>(
    item: &HashMap<String, AttributeValue>,
    name: &'static str,
) -> Result<T, UnreadableCall> {
    let bytes = item
        .get(name)
        .and_then(|v| v.as_b().ok())
        .ok_or(UnreadableCall::Missing(name))?;
    decompressed_json(bytes.as_ref(), MAX_DECOMPRESSED_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_key_parses_back_to_its_ids() {
        let tenant = TenantId::parse("tenant", "acme").expect("tenant");
        let call_id = CallId::parse("call_id", "call-2026:11.01_x").expect("id");
        assert_eq!(
            parse_call_pk(&call_pk(&tenant, &call_id)),
            Some((tenant, call_id))
        );
        assert_eq!(parse_call_pk("TENANT#acme#ROLLUP#TENANT"), None);
    }

    #[test]
    fn inferred_roles_are_kept_with_the_call_item() {
        let call = callscope_core::formats::parse_value(
            serde_json::json!({
                "call_id": "c-1", "agent_id": "a", "customer_id": "k",
                "start_time": "2026-11-02T09:00:00Z",
                "transcript": "Dana: I'm calling about my bill.\nSam: Thanks for calling, how can I help?"
            }),
            callscope_core::formats::Format::Auto,
        )
        .expect("valid");
        let roles = call.roles.clone().expect("names are labels");
        let received = ReceivedCall {
            tenant: TenantId::parse("tenant", "acme").expect("tenant"),
            content_hash: call.fingerprint(),
            call,
            redactions: RedactionCounts::default(),
            correlation_id: CorrelationId::parse("correlation_id", "r-1").expect("id"),
            received_at: Timestamp::parse("received_at", "2026-11-02T10:00:00Z").expect("time"),
            source: None,
        };
        let item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(CallItem::received(&received)).expect("item");
        let back: CallItem = serde_dynamo::from_item(item).expect("read back");
        let stored = back.into_stored(received.call.utterances.clone());
        assert_eq!(stored.call.roles, Some(roles));
        assert_eq!(stored.call, received.call);
    }

    #[test]
    fn the_source_object_is_kept_and_an_item_without_one_still_reads() {
        let call = callscope_core::formats::parse_value(
            serde_json::json!({
                "call_id": "c-2", "agent_id": "a", "customer_id": "k",
                "start_time": "2026-11-02T09:00:00Z",
                "transcript": "Agent: Hello.\nCustomer: Hi."
            }),
            callscope_core::formats::Format::Auto,
        )
        .expect("valid");
        let source = SourceObject {
            bucket: "drop".into(),
            key: "acme/x.json".into(),
            version_id: Some("v1".into()),
            sidecar_key: Some("acme/x.meta.json".into()),
            recording_key: None,
        };
        let received = ReceivedCall {
            tenant: TenantId::parse("tenant", "acme").expect("tenant"),
            content_hash: call.fingerprint(),
            call,
            redactions: RedactionCounts::default(),
            correlation_id: CorrelationId::parse("correlation_id", "r-2").expect("id"),
            received_at: Timestamp::parse("received_at", "2026-11-02T10:00:00Z").expect("time"),
            source: Some(source.clone()),
        };
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(CallItem::received(&received)).expect("item");
        let back: CallItem = serde_dynamo::from_item(item.clone()).expect("read back");
        assert_eq!(back.source_object, Some(source));
        // Items written before the attribute existed.
        item.remove("source_object");
        let old: CallItem = serde_dynamo::from_item(item).expect("read back");
        assert_eq!(old.source_object, None);
    }
}
