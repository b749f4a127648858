//! Transcript formats, auto-detected or named: callscope JSON (`utterances`), the plain
//! `Agent: …` text existing v1 clients send (`transcript`), and Amazon Transcribe / Transcribe
//! Call Analytics / Amazon Connect Contact Lens output (`transcribe`, or a bare output file).
//!
//! A call document is a JSON object with the call's metadata (`call_id, agent_id, customer_id,
//! team_id?, language?, start_time, duration_seconds?, outcome?`) and exactly one transcript
//! field. Every rejection names the field (a JSON path) and the rule.
//!
//! Transcripts that label speakers without roles (standard Transcribe `spk_0`, channels `ch_0`,
//! plain text with names) get their roles from `speaker_roles` (the document's field, over the
//! source's [`ParseOptions`]) or, for labels neither maps, inferred from what is said
//! ([`crate::roles`]); the call's `roles` says which and how sure.

mod fields;

pub use fields::MAX_NUMERIC_ID;

/// An id field of a JSON object read as a call document's ids are read (a string, or a whole
/// number up to [`MAX_NUMERIC_ID`] as its decimal text); `None` when absent or null. Other
/// requests that name a call's ids (a customer erasure's `customer_id`) read them the same way.
pub fn id_field(
    object: &serde_json::Map<String, serde_json::Value>,
    field: &str,
) -> Result<Option<String>, crate::error::InputError> {
    fields::optional_string(object, field)
}
mod plain;
mod transcribe;
mod utterances;

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::domain::{Call, CallDraft, Role, Transcript, Utterance, MAX_DOCUMENT_BYTES};
use crate::error::InputError;
use crate::roles::SpeakerRoles;

/// Which format a document is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Decide from the document's fields.
    Auto,
    /// `utterances: [{speaker, text, start?, end?}]`.
    Callscope,
    /// `transcript: "Agent: …\nCustomer: …"`.
    Plain,
    /// Transcribe (standard, Call Analytics) or Contact Lens output.
    Transcribe,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Format::Auto),
            "callscope" => Ok(Format::Callscope),
            "plain" => Ok(Format::Plain),
            "transcribe" => Ok(Format::Transcribe),
            other => Err(format!(
                "unknown format {other:?}: use auto, callscope, plain or transcribe"
            )),
        }
    }
}

const TRANSCRIPT_FIELDS: [(&str, Format); 3] = [
    ("utterances", Format::Callscope),
    ("transcript", Format::Plain),
    ("transcribe", Format::Transcribe),
];

/// A source's settings for reading its documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseOptions {
    /// Roles of speaker or channel labels this source always uses (`ch_0` → agent for a
    /// recorder that puts the agent on the left channel); a document's own `speaker_roles`
    /// overrides them label by label.
    pub speaker_roles: BTreeMap<String, Role>,
}

/// A transcript read from any accepted document, with the call when the document had one.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTranscript {
    pub transcript: Transcript,
    pub duration_seconds: Option<f64>,
    /// The format the document turned out to be in.
    pub format: Format,
    pub call: Option<Call>,
    /// How speaker labels became roles, when the document had labels.
    pub roles: Option<SpeakerRoles>,
}

/// Whether a JSON object is bare Amazon Transcribe / Call Analytics / Contact Lens output.
pub fn is_transcribe_output(object: &Map<String, Value>) -> bool {
    transcribe::looks_like(object)
}

/// Parses a whole call (metadata and transcript).
pub fn parse_call(bytes: &[u8], format: Format) -> Result<Call, InputError> {
    parse_call_with(bytes, format, &ParseOptions::default())
}

/// Parses a whole call with a source's settings.
pub fn parse_call_with(
    bytes: &[u8],
    format: Format,
    options: &ParseOptions,
) -> Result<Call, InputError> {
    call_of(read_document(bytes)?, format, options)
}

/// Parses a whole call from JSON already read (bulk items).
pub fn parse_value(value: Value, format: Format) -> Result<Call, InputError> {
    let Value::Object(object) = value else {
        return Err(not_an_object());
    };
    call_of(
        Document {
            object,
            raw_utterances: None,
        },
        format,
        &ParseOptions::default(),
    )
}

fn not_an_object() -> InputError {
    InputError::invalid("document", "must be a JSON object with the call's fields")
}

fn call_of(document: Document, format: Format, options: &ParseOptions) -> Result<Call, InputError> {
    let (_, utterances, roles) = read_transcript_field(&document, format, options)?;
    Call::from_draft(CallDraft {
        utterances,
        roles,
        ..draft_fields(&document.object)?
    })
}

/// A document's call fields (everything but its transcript and roles), typed as a document's.
pub(crate) fn draft_fields(object: &Map<String, Value>) -> Result<CallDraft, InputError> {
    Ok(CallDraft {
        call_id: fields::optional_string(object, "call_id")?,
        agent_id: fields::optional_string(object, "agent_id")?,
        customer_id: fields::optional_string(object, "customer_id")?,
        team_id: fields::optional_string(object, "team_id")?,
        language: fields::optional_string(object, "language")?,
        start_time: fields::optional_string(object, "start_time")?,
        duration_seconds: fields::optional_number(object, "duration_seconds")?,
        utterances: Vec::new(),
        outcome: fields::optional_string(object, "outcome")?,
        roles: None,
    })
}

/// The labels' configured roles: the source's, overridden by the document's `speaker_roles`.
fn configured_roles(
    object: &Map<String, Value>,
    options: &ParseOptions,
) -> Result<BTreeMap<String, Role>, InputError> {
    let mut roles = options.speaker_roles.clone();
    match object.get("speaker_roles") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (label, role) in map {
                let field = format!("speaker_roles.{label}");
                roles.insert(
                    label.clone(),
                    Role::parse(&field, fields::as_str(role, &field)?)?,
                );
            }
        }
        Some(_) => {
            return Err(InputError::invalid(
                "speaker_roles",
                "must map speaker labels to roles, e.g. {\"spk_0\": \"agent\"}",
            ))
        }
    }
    Ok(roles)
}

/// Reads a plain `Speaker: text` transcript on its own (no call document), with a source's
/// settings: its utterances, and how names became roles when it had names.
pub fn parse_plain(
    text: &str,
    options: &ParseOptions,
) -> Result<(Vec<Utterance>, Option<SpeakerRoles>), InputError> {
    plain::parse(text, &options.speaker_roles)
}

/// Parses any accepted document down to its transcript: a call document, or a bare Transcribe
/// / Call Analytics / Contact Lens output file (which has no call metadata).
pub fn parse_transcript(bytes: &[u8], format: Format) -> Result<ParsedTranscript, InputError> {
    parse_transcript_with(bytes, format, &ParseOptions::default())
}

/// [`parse_transcript`] with a source's settings.
pub fn parse_transcript_with(
    bytes: &[u8],
    format: Format,
    options: &ParseOptions,
) -> Result<ParsedTranscript, InputError> {
    let document = read_document(bytes)?;
    let is_call_document = TRANSCRIPT_FIELDS
        .iter()
        .any(|(field, _)| document.has(field));
    if !is_call_document
        && matches!(format, Format::Auto | Format::Transcribe)
        && transcribe::looks_like(&document.object)
    {
        let fixed = configured_roles(&document.object, options)?;
        let value = Value::Object(document.object);
        let (utterances, roles) = transcribe::parse(&value, &fixed)?;
        let transcript = Transcript::new(utterances)?;
        let duration_seconds = transcript.timed_length_seconds();
        return Ok(ParsedTranscript {
            transcript,
            duration_seconds,
            format: Format::Transcribe,
            call: None,
            roles,
        });
    }
    let (_, detected) = transcript_field(&document, format)?;
    let call = call_of(document, detected, options)?;
    Ok(ParsedTranscript {
        transcript: call.utterances.clone(),
        duration_seconds: Some(call.duration_seconds),
        format: detected,
        roles: call.roles.clone(),
        call: Some(call),
    })
}

/// A call document's fields. `utterances` is kept as its JSON text and read one utterance at a
/// time: a tree of JSON values costs ~25 times the text, and a document of tiny utterances
/// would otherwise be held whole in memory before the utterance limit is checked.
struct Document {
    object: Map<String, Value>,
    raw_utterances: Option<Box<RawValue>>,
}

impl Document {
    /// Whether the document gives `field`: absent and `null` are both "not given", as for every
    /// optional field.
    fn has(&self, field: &str) -> bool {
        self.object.get(field).is_some_and(|v| !v.is_null())
            || (field == "utterances"
                && self
                    .raw_utterances
                    .as_ref()
                    .is_some_and(|raw| raw.get().trim() != "null"))
    }
}

fn read_document(bytes: &[u8]) -> Result<Document, InputError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(InputError::too_large(
            "document",
            format!(
                "is {} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
                bytes.len()
            ),
        ));
    }
    let malformed =
        |e: serde_json::Error| InputError::malformed("document", format!("is not valid JSON: {e}"));
    let fields = match serde_json::from_slice::<RawFields>(bytes) {
        Ok(RawFields(fields)) => fields,
        // Not an object: valid JSON of another kind, or not JSON at all (checked without
        // building it).
        Err(_) => {
            return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
                Ok(_) => not_an_object(),
                Err(e) => malformed(e),
            })
        }
    };
    let mut document = Document {
        object: Map::new(),
        raw_utterances: None,
    };
    for (name, raw) in fields {
        if name == "utterances" {
            document.raw_utterances = Some(raw);
        } else {
            let value = serde_json::from_str(raw.get()).map_err(malformed)?;
            document.object.insert(name, value);
        }
    }
    Ok(document)
}

/// An object's fields as raw JSON (a later duplicate wins, as in a map).
struct RawFields(BTreeMap<String, Box<RawValue>>);

impl<'de> Deserialize<'de> for RawFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = RawFields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields, A::Error> {
                let mut fields = BTreeMap::new();
                while let Some((name, raw)) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.insert(name, raw);
                }
                Ok(RawFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// Finds the one transcript field and checks it against the named format.
fn transcript_field(
    document: &Document,
    format: Format,
) -> Result<(&'static str, Format), InputError> {
    let present: Vec<(&str, Format)> = TRANSCRIPT_FIELDS
        .iter()
        .copied()
        .filter(|(field, _)| document.has(field))
        .collect();
    let (field, detected) = match present.as_slice() {
        [] => {
            return Err(InputError::invalid(
                "transcript",
                "is required: send one of `transcript` (plain text), `utterances` (callscope JSON) or `transcribe` (Amazon Transcribe / Contact Lens output)",
            ))
        }
        [one] => *one,
        [(a, _), (b, _), ..] => {
            return Err(InputError::invalid(*b, format!("cannot be sent together with `{a}`: send one transcript field")))
        }
    };
    if format != Format::Auto && format != detected {
        return Err(InputError::unsupported(
            field,
            format!("is a {detected:?} transcript but the {format:?} format was asked for"),
        ));
    }
    Ok((field, detected))
}

/// Finds the one transcript field, checks it against the named format, and reads it.
fn read_transcript_field(
    document: &Document,
    format: Format,
    options: &ParseOptions,
) -> Result<(Format, Vec<Utterance>, Option<SpeakerRoles>), InputError> {
    let (field, detected) = transcript_field(document, format)?;
    let object = &document.object;
    let raw = object.get(field).unwrap_or(&Value::Null);
    let (utterances, roles) = match detected {
        Format::Plain => {
            let fixed = configured_roles(object, options)?;
            plain::parse(fields::as_str(raw, field)?, &fixed)?
        }
        Format::Callscope => (
            match &document.raw_utterances {
                Some(text) => utterances::parse_text(text.get()),
                None => utterances::parse(raw),
            }
            .map_err(|e| e.within(field))?,
            None,
        ),
        _ => {
            let fixed = configured_roles(object, options)?;
            transcribe::parse(raw, &fixed).map_err(|e| e.within(field))?
        }
    };
    Ok((detected, utterances, roles))
}

#[cfg(test)]
mod tests;
