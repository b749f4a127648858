//! An object's call: its document read by the one set of format parsers, with the metadata it
//! lacks taken, field by field, from the first of S3 object metadata, a sidecar and a file-name
//! pattern that gives it (the caller passes them in that order).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ObjectKind;
use crate::domain::{Call, CallId};
use crate::error::InputError;
use crate::formats::{self, Format};

/// `NAME.meta.json` holds the metadata of `NAME.json` / `NAME.txt`.
pub const SIDECAR_SUFFIX: &str = ".meta.json";

/// Label → role for labelled transcripts (a sidecar's; see `crate::roles`).
const SPEAKER_ROLES: &str = "speaker_roles";
/// The sidecar field naming the recording a transcript was made from (written by the
/// recordings stage); not a call field.
pub const RECORDING_KEY: &str = "recording_key";

/// The call fields metadata may give.
const FIELDS: [&str; 8] = [
    "call_id",
    "agent_id",
    "customer_id",
    "team_id",
    "language",
    "start_time",
    "duration_seconds",
    "outcome",
];

/// Metadata for a call, field → value, from one source.
pub type Metadata = Map<String, Value>;

/// S3 user metadata (`x-amz-meta-agent-id: sam`, read back as `agent-id`) as call fields.
pub fn from_object_metadata(metadata: &BTreeMap<String, String>) -> Metadata {
    metadata
        .iter()
        .filter_map(|(name, value)| {
            let field = name.to_ascii_lowercase().replace('-', "_");
            FIELDS
                .contains(&field.as_str())
                .then(|| (field, Value::String(value.clone())))
        })
        .collect()
}

/// A sidecar's call fields (other fields are ignored, as in a call document).
pub fn from_sidecar(bytes: &[u8]) -> Result<Metadata, InputError> {
    match serde_json::from_slice::<Value>(bytes) {
        // `speaker_roles` too: the transcribe stage fixes a recording's channels this way.
        Ok(Value::Object(object)) => Ok(object
            .into_iter()
            .filter(|(field, _)| FIELDS.contains(&field.as_str()) || field == SPEAKER_ROLES)
            .collect()),
        Ok(_) => Err(InputError::invalid(
            "sidecar",
            "must be a JSON object of call fields",
        )),
        Err(e) => Err(InputError::malformed(
            "sidecar",
            format!("is not valid JSON: {e}"),
        )),
    }
}

/// The recording a sidecar names ([`RECORDING_KEY`]), if any; `None` for anything else.
pub fn recording_key_of_sidecar(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut object)) => match object.remove(RECORDING_KEY) {
            Some(Value::String(key)) => Some(key),
            _ => None,
        },
        _ => None,
    }
}

/// The call of an object: its document (`kind` Json or Text), completed from `layers` in order,
/// and `default_call_id` when nothing names the call.
pub fn call_of_object(
    bytes: &[u8],
    kind: ObjectKind,
    layers: &[Metadata],
    default_call_id: &CallId,
) -> Result<Call, InputError> {
    let mut document = match kind {
        ObjectKind::Text => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| InputError::malformed("document", "is not UTF-8 text"))?;
            Map::from_iter([("transcript".to_owned(), Value::String(text.to_owned()))])
        }
        ObjectKind::Json => json_document(bytes)?,
        _ => {
            return Err(InputError::unsupported(
                "key",
                "is not a transcript document (.json or .txt)",
            ))
        }
    };
    complete(&mut document, layers, default_call_id)?;
    formats::parse_value(Value::Object(document), Format::Auto)
}

/// The call an object would have been when it has no document, known by its metadata alone
/// (a recording whose transcription failed): the fields from `layers` in order, typed and
/// checked as a document's, `default_call_id` when nothing names it, and no transcript
/// ([`Call::untranscribed`]).
pub fn untranscribed_call(
    layers: &[Metadata],
    default_call_id: &CallId,
) -> Result<Call, InputError> {
    let mut fields = Map::new();
    complete(&mut fields, layers, default_call_id)?;
    Call::untranscribed(formats::draft_fields(&fields)?)
}

/// Fills the call fields (and `speaker_roles`) a document lacks from the first layer that gives
/// each, and the call id from `default_call_id` when none does.
fn complete(
    document: &mut Map<String, Value>,
    layers: &[Metadata],
    default_call_id: &CallId,
) -> Result<(), InputError> {
    for field in FIELDS {
        if document.get(field).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let given = layers.iter().find_map(|layer| layer.get(field));
        if let Some(value) = given {
            document.insert(field.to_owned(), typed(field, value)?);
        }
    }
    if document.get(SPEAKER_ROLES).is_none_or(Value::is_null) {
        if let Some(roles) = layers.iter().find_map(|layer| layer.get(SPEAKER_ROLES)) {
            document.insert(SPEAKER_ROLES.to_owned(), roles.clone());
        }
    }
    if document.get("call_id").is_none_or(Value::is_null) {
        document.insert(
            "call_id".to_owned(),
            Value::String(default_call_id.as_str().to_owned()),
        );
    }
    Ok(())
}

/// A JSON object: a call document as it is, or bare Transcribe / Call Analytics / Contact Lens
/// output wrapped as one, with what the output itself says of the call.
fn json_document(bytes: &[u8]) -> Result<Map<String, Value>, InputError> {
    let object = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            return Err(InputError::invalid(
                "document",
                "must be a JSON object (a call document or Transcribe / Contact Lens output)",
            ))
        }
        Err(e) => {
            return Err(InputError::malformed(
                "document",
                format!("is not valid JSON: {e}"),
            ))
        }
    };
    let is_call_document = ["utterances", "transcript", "transcribe"]
        .iter()
        .any(|f| object.get(*f).is_some_and(|v| !v.is_null()));
    if is_call_document || !formats::is_transcribe_output(&object) {
        return Ok(object);
    }
    let mut document = Map::new();
    // Contact Lens names the contact; Transcribe and Contact Lens name the language.
    let contact = object
        .get("CustomerMetadata")
        .and_then(|m| m.get("ContactId"))
        .and_then(Value::as_str)
        .filter(|id| CallId::parse("call_id", *id).is_ok());
    if let Some(contact) = contact {
        document.insert("call_id".into(), Value::String(contact.to_owned()));
    }
    let language = object
        .get("LanguageCode")
        .or_else(|| object.get("results").and_then(|r| r.get("language_code")))
        .and_then(Value::as_str);
    if let Some(language) = language {
        document.insert("language".into(), Value::String(language.to_owned()));
    }
    document.insert("transcribe".into(), Value::Object(object));
    Ok(document)
}

/// A metadata value as the call document types it: strings, but `duration_seconds` a number.
fn typed(field: &str, value: &Value) -> Result<Value, InputError> {
    match (field, value) {
        ("duration_seconds", Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| InputError::invalid(field, format!("{text:?} is not a number"))),
        _ => Ok(value.clone()),
    }
}
