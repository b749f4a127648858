//! The shapes ingest reads and answers, for the OpenAPI document: the call document in its three
//! transcript forms (the parsers in `callscope_core::formats` are what read it), the bulk forms,
//! and the 202 answers the handlers serialise.
//!
//! What JSON Schema can say is said here (types, ranges, patterns, required fields); the rules
//! between fields (times in order, `end` ≥ `start`, the transcript within `duration_seconds`,
//! the 300,000 bytes of text) are in the descriptions, and break with a 422 naming the field.

use callscope_core::formats::MAX_NUMERIC_ID;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A call document: the call's fields and exactly one transcript field (`utterances`,
/// `transcript` or `transcribe`). Unknown fields are ignored.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // read by `callscope_core::formats`; this type only describes it
pub enum CallDocument {
    Utterances(UtterancesCall),
    Plain(PlainCall),
    Transcribe(TranscribeCall),
}

const ID_PATTERN: &str = r"^[A-Za-z0-9._:-]{1,128}$";

/// An id: a string of its characters, or a whole number taken as its decimal text (clients'
/// data sometimes holds ids as numbers; the parser in `callscope_core::formats` takes them so).
fn id_one_of(description: &str) -> OneOfBuilder {
    OneOfBuilder::new()
        .description(Some(description))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(ID_PATTERN)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(MAX_NUMERIC_ID)),
        )
}

fn call_id_schema() -> Schema {
    id_one_of(
        "1–128 of `A-Z a-z 0-9 . _ : -` (or a whole number). The client's id of the call, unique \
         per tenant: the same id with the same content is a retry (202 again), with other \
         content a conflict (409).",
    )
    .build()
    .into()
}

fn id_schema() -> Schema {
    id_one_of("1–128 of `A-Z a-z 0-9 . _ : -`, or a whole number up to 2^53 − 1")
        .build()
        .into()
}

/// A customer id as a call document and an erasure request take it.
pub(crate) fn customer_id_schema() -> Schema {
    id_schema()
}

fn optional_id_schema() -> Schema {
    id_one_of("1–128 of `A-Z a-z 0-9 . _ : -`, or a whole number up to 2^53 − 1; optional")
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

/// The fields of a call beside its transcript.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CallFields {
    /// 1–128 of `A-Z a-z 0-9 . _ : -`. The client's id of the call, unique per tenant: the same id with the same content is a
    /// retry (202 again), with other content a conflict (409).
    #[schema(schema_with = call_id_schema)]
    call_id: String,
    #[schema(schema_with = id_schema)]
    agent_id: String,
    #[schema(schema_with = id_schema)]
    customer_id: String,
    #[schema(schema_with = optional_id_schema)]
    team_id: Option<String>,
    /// A language tag (`en`, `en-US`); `en` when absent.
    #[schema(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    language: Option<String>,
    /// When the call started: RFC 3339 (no offset = UTC).
    #[schema(format = DateTime)]
    start_time: String,
    /// The call's length in seconds (kept to milliseconds), at most 24 hours; from the
    /// transcript's times when absent. Timed utterances may end at most 1 s after it.
    #[schema(minimum = 0, maximum = 86400)]
    duration_seconds: Option<f64>,
    outcome: Option<Outcome>,
}

/// How the call ended (case-insensitive; `-` reads as `_`).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Outcome {
    Won,
    Lost,
    FollowUp,
    NoDecision,
}

/// callscope JSON: the transcript as utterances.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UtterancesCall {
    #[serde(flatten)]
    call: CallFields,
    utterances: Utterances,
    #[schema(schema_with = untimed_or_absent)]
    transcript: Option<()>,
    #[schema(schema_with = untimed_or_absent)]
    transcribe: Option<()>,
}

/// 1–10,000 utterances (more is a 413) holding at most 300,000 bytes of text: every one with
/// `start` and `end`, or none. (`anyOf`, not `oneOf`: a timed utterance also has what an untimed one needs.)
#[allow(dead_code)]
pub struct Utterances;

impl utoipa::PartialSchema for Utterances {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(UntimedUtterances::name()))
            .item(Ref::from_schema_name(TimedUtterances::name()))
            .description(Some(
                "1–10,000 utterances (more is a 413) holding at most 300,000 bytes of text: \
                 every one with `start` and `end`, or none.",
            ))
            .into()
    }
}

impl ToSchema for Utterances {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (UntimedUtterances::name(), UntimedUtterances::schema()),
            (TimedUtterances::name(), TimedUtterances::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
        UntimedUtterances::schemas(schemas);
        TimedUtterances::schemas(schemas);
    }
}

/// Utterances without times (talk measured in words).
#[derive(ToSchema)]
#[schema(value_type = Vec<Utterance>, min_items = 1)]
#[allow(dead_code)]
pub struct UntimedUtterances(Vec<Utterance>);

/// Utterances with times, in order of `start`, each ending at or after its start.
#[derive(ToSchema)]
#[schema(value_type = Vec<TimedUtterance>, min_items = 1)]
#[allow(dead_code)]
pub struct TimedUtterances(Vec<TimedUtterance>);

/// One utterance without times. `role` is read as `speaker` when `speaker` is absent.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Utterance {
    speaker: Speaker,
    /// What was said: not blank (a character outside Unicode's White_Space, listed in full:
    /// Python's `\s` also takes U+001C–U+001F, which Rust's `trim` keeps).
    #[schema(
        pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    text: String,
    #[schema(schema_with = untimed)]
    start: Option<()>,
    #[schema(schema_with = untimed)]
    end: Option<()>,
    /// `[start, end]` of each spoken word, kept as sent.
    word_times: Option<Vec<WordTime>>,
}

/// `start` and `end` of an untimed utterance: absent, or null.
fn untimed() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Null)
        .description(Some("Absent or null: untimed"))
        .build()
}

/// The other transcript fields of a call document: absent, or null (one transcript per call).
fn untimed_or_absent() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Null)
        .description(Some("Absent or null: a call has one transcript field"))
        .build()
}

/// One utterance with its times. `role` is read as `speaker` when `speaker` is absent.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TimedUtterance {
    speaker: Speaker,
    /// What was said: not blank (a character outside Unicode's White_Space, listed in full:
    /// Python's `\s` also takes U+001C–U+001F, which Rust's `trim` keeps).
    #[schema(
        pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    text: String,
    /// Seconds from the call's start, not before the previous utterance's start.
    #[schema(minimum = 0, maximum = 86400)]
    start: f64,
    /// Seconds from the call's start, at or after `start`.
    #[schema(minimum = 0, maximum = 86400)]
    end: f64,
    /// `[start, end]` of each spoken word, in order; at most 50,000 in a call.
    word_times: Option<Vec<WordTime>>,
}

/// `[start, end]` in seconds, each within 24 hours of the call's start, `end` ≥ `start`.
#[allow(dead_code)]
pub struct WordTime;

impl PartialSchema for WordTime {
    fn schema() -> RefOr<Schema> {
        let second = ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(0))
            .maximum(Some(86_400));
        ArrayBuilder::new()
            .items(second)
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some(
                "`[start, end]` in seconds, each within 24 hours of the call's start, `end` ≥ `start`.",
            ))
            .into()
    }
}

impl ToSchema for WordTime {}

/// Who spoke (case-insensitive; `rep`/`salesperson` read as agent, `prospect`/`client` as
/// customer).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Speaker {
    Agent,
    Customer,
    Other,
}

/// The v1 plain-text transcript.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PlainCall {
    #[serde(flatten)]
    call: CallFields,
    /// `Role: text` lines (`Agent: Hello`); a line without a `Word:` label continues the previous
    /// utterance, blank lines are skipped. Roles as in `speaker`. Names instead of roles
    /// (`Sam: Hello`, no role word on any line) are accepted too: their roles come from
    /// `speaker_roles` or are inferred from what they say. At most 300,000 bytes of text.
    #[schema(
        pattern = r"^\s*(Agent|Customer|Other): *[A-Za-z0-9][^:\n]*(\n+(Agent|Customer|Other): *[A-Za-z0-9][^:\n]*)*\s*$"
    )]
    transcript: String,
    #[schema(schema_with = untimed_or_absent)]
    utterances: Option<()>,
    #[schema(schema_with = untimed_or_absent)]
    transcribe: Option<()>,
    /// Name to role, `{"Sam": "agent"}`, when the lines name people; names it leaves out are
    /// inferred from what they say.
    #[schema(value_type = Option<HashMap<String, Speaker>>)]
    speaker_roles: Option<Value>,
}

/// Amazon Transcribe output in the call document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TranscribeCall {
    #[serde(flatten)]
    call: CallFields,
    transcribe: TranscribeOutput,
    #[schema(schema_with = untimed_or_absent)]
    utterances: Option<()>,
    #[schema(schema_with = untimed_or_absent)]
    transcript: Option<()>,
    /// For standard jobs: speaker or channel label to role, `{"spk_0": "agent"}`,
    /// `{"ch_0": "agent", "ch_1": "customer"}`; labels it leaves out are inferred from what
    /// they say, and the analysis's `roles` says how sure that is.
    #[schema(value_type = Option<HashMap<String, Speaker>>)]
    speaker_roles: Option<Value>,
}

/// The output file's JSON as Transcribe Call Analytics or Contact Lens writes it: its
/// `Transcript` turns (word `Items`, `Participants` and the other fields are read when present).
/// A standard job's output (`results` with `items` and `speaker_labels`) is accepted here too.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TranscribeOutput {
    /// The turns (at most 10,000: more is a 413); read in order of `BeginOffsetMillis`.
    #[schema(min_items = 1)]
    #[serde(rename = "Transcript")]
    transcript: Vec<TranscribeTurn>,
}

/// One turn of a Call Analytics / Contact Lens transcript.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TranscribeTurn {
    /// `AGENT`, `CUSTOMER`; the others are `other`. (Contact Lens turns may name a
    /// `ParticipantId` listed in `Participants` instead.)
    #[serde(rename = "ParticipantRole")]
    participant_role: ParticipantRole,
    /// What was said: not blank (a character outside Unicode's White_Space, listed in full:
    /// Python's `\s` also takes U+001C–U+001F, which Rust's `trim` keeps).
    #[schema(
        pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    #[serde(rename = "Content")]
    content: String,
    /// Milliseconds from the call's start.
    #[schema(minimum = 0, maximum = 86400000)]
    #[serde(rename = "BeginOffsetMillis")]
    begin_offset_millis: f64,
    /// Milliseconds from the call's start, at or after `BeginOffsetMillis`.
    #[schema(minimum = 0, maximum = 86400000)]
    #[serde(rename = "EndOffsetMillis")]
    end_offset_millis: f64,
}

#[derive(ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(dead_code)]
pub enum ParticipantRole {
    Agent,
    Customer,
    Supervisor,
    System,
    Ivr,
    Other,
}

/// `POST /api/v1/calls/bulk`: an array of call documents, or `{"calls": [...]}`; 1–1,000.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BulkDocument {
    List(BulkList),
    Wrapped(BulkCalls),
}

/// `[...]`: 1–1,000 call documents (`CallDocument`). Each item is read on its own: one that is not a
/// valid call document (or not an object at all) is answered `rejected` in `results`, with the
/// rule it broke, and does not refuse the others.
#[derive(ToSchema)]
#[schema(value_type = Vec<Value>, min_items = 1, max_items = 1000)]
#[allow(dead_code)]
pub struct BulkList(Vec<Value>);

/// `{"calls": [...]}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkCalls {
    calls: BulkList,
}

/// 202 to `POST /api/v1/calls`: the call is stored and queued for analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub call_id: String,
    pub status: AcceptedStatus,
    /// Follows the call through the pipeline's logs (a retry keeps the first one).
    pub correlation_id: String,
    /// Where to read the call (also the `Location` header).
    pub location: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AcceptedStatus {
    Accepted,
}

/// 202 to `POST /api/v1/calls/bulk`: each call's own answer, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAnswer {
    pub accepted: usize,
    /// Rejected and conflicting calls.
    pub rejected: usize,
    /// Calls not stored or queued now: send them again.
    pub retry: usize,
    pub results: Vec<BulkResult>,
}

/// One call of a bulk request.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// Its position in the request.
    pub index: usize,
    pub status: BulkStatus,
    /// Absent when the item is too broken to have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Why, for `conflict` and `retry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The broken rule, for `rejected` (`loc` starts `["body", "calls", index]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<callscope_http::schema::Violation>>)]
    pub errors: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkStatus {
    Accepted,
    Rejected,
    Conflict,
    Retry,
}

impl BulkResult {
    pub fn new(index: usize, status: BulkStatus, call_id: Option<String>) -> Self {
        Self {
            index,
            status,
            call_id,
            correlation_id: None,
            location: None,
            detail: None,
            errors: None,
        }
    }
}
