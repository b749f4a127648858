//! Amazon Transcribe output: standard jobs with speaker labels, Call Analytics jobs, and Amazon
//! Connect Contact Lens post-call files.
//!
//! - Call Analytics: `Transcript[]` of `{ParticipantRole: AGENT|CUSTOMER, BeginOffsetMillis,
//!   EndOffsetMillis, Content}`.
//! - Contact Lens: the same turns with `ParticipantId`, whose role is given in `Participants[]`.
//! - Standard: `results.items[]` (words with string times, punctuation without) grouped into
//!   turns by speaker label (`items[].speaker_label`, or the `results.speaker_labels.segments`
//!   containing the word). Standard jobs have labels, not roles: `speaker_roles` in the call
//!   document maps them (`{"spk_0": "agent"}`); without it the first label to speak is the agent,
//!   the second the customer and any other `other`, as agents open most sales calls.
//!
//! Word times are kept when the file has them: Call Analytics / Contact Lens `Items[]` of a turn
//! and every standard-job word. Turns are sorted by start time (stable): channel-split
//! transcripts list each channel's turns in blocks, and the timeline needs them in order.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::domain::{Role, Utterance, WordTime};
use crate::error::InputError;
use crate::formats::fields;

/// Whether a bare JSON object is Transcribe or Contact Lens output.
pub fn looks_like(object: &Map<String, Value>) -> bool {
    object.get("Transcript").is_some_and(Value::is_array)
        || object.get("results").is_some_and(Value::is_object)
}

pub fn parse(raw: &Value, speaker_roles: Option<&Value>) -> Result<Vec<Utterance>, InputError> {
    let Value::Object(object) = raw else {
        return Err(InputError::invalid(
            "",
            "must be an Amazon Transcribe or Contact Lens output object",
        ));
    };
    let mut utterances = if let Some(turns) = object.get("Transcript") {
        parse_turns(object, turns)?
    } else if let Some(results) = object.get("results") {
        parse_standard(results, speaker_roles).map_err(|e| e.within("results"))?
    } else {
        return Err(InputError::unsupported(
            "",
            "is neither Transcribe Call Analytics / Contact Lens output (`Transcript`) nor standard Transcribe output (`results`)",
        ));
    };
    utterances.sort_by(|a, b| a.start.unwrap_or(0.0).total_cmp(&b.start.unwrap_or(0.0)));
    Ok(utterances)
}

/// Call Analytics and Contact Lens turns.
fn parse_turns(object: &Map<String, Value>, turns: &Value) -> Result<Vec<Utterance>, InputError> {
    let participants = participant_roles(object)?;
    let Value::Array(turns) = turns else {
        return Err(InputError::invalid("Transcript", "must be an array"));
    };
    turns
        .iter()
        .enumerate()
        .map(|(i, turn)| {
            let at = |field: &str| format!("Transcript[{i}].{field}");
            let Value::Object(turn) = turn else {
                return Err(InputError::invalid(
                    format!("Transcript[{i}]"),
                    "must be an object",
                ));
            };
            let role = match (turn.get("ParticipantRole"), turn.get("ParticipantId")) {
                (Some(role), _) => role_of(
                    fields::as_str(role, &at("ParticipantRole"))?,
                    &at("ParticipantRole"),
                )?,
                (None, Some(id)) => {
                    let id = fields::as_str(id, &at("ParticipantId"))?;
                    *participants.get(id).ok_or_else(|| {
                        InputError::invalid(
                            at("ParticipantId"),
                            format!("{id:?} is not listed in Participants"),
                        )
                    })?
                }
                (None, None) => {
                    return Err(InputError::invalid(at("ParticipantRole"), "is required"))
                }
            };
            let millis = |field: &str| -> Result<f64, InputError> {
                fields::as_number(turn.get(field).unwrap_or(&Value::Null), &at(field))
                    .map(|ms| ms / 1000.0)
            };
            Ok(Utterance {
                speaker: role,
                text: fields::as_str(turn.get("Content").unwrap_or(&Value::Null), &at("Content"))?
                    .to_owned(),
                start: Some(millis("BeginOffsetMillis")?),
                end: Some(millis("EndOffsetMillis")?),
                word_times: word_items(turn.get("Items"), &at("Items"))?,
            })
        })
        .collect()
}

/// A turn's word `Items[]` (`{Type: pronunciation|punctuation, BeginOffsetMillis,
/// EndOffsetMillis, Content}`): the times of its pronounced words. Punctuation takes no time
/// and is skipped, as are items without times; absent or empty `Items` give no word times.
fn word_items(items: Option<&Value>, field: &str) -> Result<Vec<WordTime>, InputError> {
    let items = match items {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(InputError::invalid(field, "must be an array of word items")),
    };
    let mut words = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let at = |name: &str| format!("{field}[{j}].{name}");
        let Value::Object(item) = item else {
            return Err(InputError::invalid(
                format!("{field}[{j}]"),
                "must be an object",
            ));
        };
        let kind = item
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("pronunciation");
        let (Some(begin), Some(end)) = (item.get("BeginOffsetMillis"), item.get("EndOffsetMillis"))
        else {
            continue;
        };
        if !kind.eq_ignore_ascii_case("pronunciation") {
            continue;
        }
        words.push(WordTime {
            start: fields::as_number(begin, &at("BeginOffsetMillis"))? / 1000.0,
            end: fields::as_number(end, &at("EndOffsetMillis"))? / 1000.0,
        });
    }
    Ok(words)
}

/// Contact Lens `Participants[]`: ParticipantId → role.
fn participant_roles(object: &Map<String, Value>) -> Result<HashMap<String, Role>, InputError> {
    let Some(Value::Array(participants)) = object.get("Participants") else {
        return Ok(HashMap::new());
    };
    participants
        .iter()
        .enumerate()
        // Call Analytics lists participants by role only; ids matter for Contact Lens turns.
        .filter(|(_, p)| p.get("ParticipantId").is_some())
        .map(|(i, p)| {
            let field = |name: &str| format!("Participants[{i}].{name}");
            let id = fields::as_str(
                p.get("ParticipantId").unwrap_or(&Value::Null),
                &field("ParticipantId"),
            )?;
            let role = fields::as_str(
                p.get("ParticipantRole").unwrap_or(&Value::Null),
                &field("ParticipantRole"),
            )?;
            Ok((id.to_owned(), role_of(role, &field("ParticipantRole"))?))
        })
        .collect()
}

/// AWS roles: AGENT, CUSTOMER; SUPERVISOR, SYSTEM and others are `other`.
fn role_of(raw: &str, field: &str) -> Result<Role, InputError> {
    match raw.to_ascii_uppercase().as_str() {
        "AGENT" => Ok(Role::Agent),
        "CUSTOMER" => Ok(Role::Customer),
        "SUPERVISOR" | "SYSTEM" | "IVR" | "OTHER" => Ok(Role::Other),
        _ => Err(InputError::invalid(
            field,
            format!("unknown participant role {raw:?}: expected AGENT or CUSTOMER"),
        )),
    }
}

/// Standard job output: words grouped into turns by speaker label.
fn parse_standard(
    results: &Value,
    speaker_roles: Option<&Value>,
) -> Result<Vec<Utterance>, InputError> {
    let segments = label_segments(results)?;
    let Some(Value::Array(items)) = results.get("items") else {
        return Err(InputError::invalid("items", "is required: the job's words"));
    };
    let mut roles = RoleAssigner::new(speaker_roles)?;
    let mut utterances: Vec<Utterance> = Vec::new();
    let mut current_label: Option<String> = None;
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("items[{i}].{field}");
        let content = item
            .get("alternatives")
            .and_then(|a| a.get(0))
            .and_then(|a| a.get("content"))
            .ok_or_else(|| {
                InputError::invalid(
                    at("alternatives"),
                    "must hold at least one alternative with content",
                )
            })?;
        let content = fields::as_str(content, &at("alternatives[0].content"))?;
        if item.get("type").and_then(Value::as_str) == Some("punctuation") {
            if let Some(last) = utterances.last_mut() {
                last.text.push_str(content);
            }
            continue;
        }
        let start = fields::as_number(
            item.get("start_time").unwrap_or(&Value::Null),
            &at("start_time"),
        )?;
        let end = fields::as_number(
            item.get("end_time").unwrap_or(&Value::Null),
            &at("end_time"),
        )?;
        let label = match item.get("speaker_label") {
            Some(label) => fields::as_str(label, &at("speaker_label"))?.to_owned(),
            None => segments
                .iter()
                .find(|(from, to, _)| start >= *from && start <= *to)
                .map(|(_, _, label)| label.clone())
                .ok_or_else(|| {
                    InputError::invalid(at("start_time"), "falls in no speaker_labels segment")
                })?,
        };
        match utterances.last_mut() {
            Some(last) if current_label.as_deref() == Some(label.as_str()) => {
                last.text.push(' ');
                last.text.push_str(content);
                last.end = Some(end);
                last.word_times.push(WordTime { start, end });
            }
            _ => {
                utterances.push(Utterance {
                    speaker: roles.role(&label)?,
                    text: content.to_owned(),
                    start: Some(start),
                    end: Some(end),
                    word_times: vec![WordTime { start, end }],
                });
                current_label = Some(label);
            }
        }
    }
    Ok(utterances)
}

/// `speaker_labels.segments` as (start, end, label).
fn label_segments(results: &Value) -> Result<Vec<(f64, f64, String)>, InputError> {
    let Some(Value::Array(segments)) = results
        .get("speaker_labels")
        .and_then(|l| l.get("segments"))
    else {
        return Err(InputError::invalid(
            "speaker_labels",
            "is required: run the Transcribe job with ShowSpeakerLabels so turns can be told apart",
        ));
    };
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |field: &str| format!("speaker_labels.segments[{i}].{field}");
            Ok((
                fields::as_number(
                    s.get("start_time").unwrap_or(&Value::Null),
                    &at("start_time"),
                )?,
                fields::as_number(s.get("end_time").unwrap_or(&Value::Null), &at("end_time"))?,
                fields::as_str(
                    s.get("speaker_label").unwrap_or(&Value::Null),
                    &at("speaker_label"),
                )?
                .to_owned(),
            ))
        })
        .collect()
}

/// Maps standard-job speaker labels to roles: as configured, else in order of first speech.
struct RoleAssigner {
    configured: HashMap<String, Role>,
    seen: Vec<String>,
}

impl RoleAssigner {
    fn new(speaker_roles: Option<&Value>) -> Result<Self, InputError> {
        let mut configured = HashMap::new();
        if let Some(value) = speaker_roles {
            let Value::Object(map) = value else {
                return Err(InputError::invalid(
                    "speaker_roles",
                    "must map speaker labels to roles, e.g. {\"spk_0\": \"agent\"}",
                ));
            };
            for (label, role) in map {
                let field = format!("speaker_roles.{label}");
                configured.insert(
                    label.clone(),
                    Role::parse(&field, fields::as_str(role, &field)?)?,
                );
            }
        }
        Ok(Self {
            configured,
            seen: Vec::new(),
        })
    }

    fn role(&mut self, label: &str) -> Result<Role, InputError> {
        if !self.configured.is_empty() {
            return self.configured.get(label).copied().ok_or_else(|| {
                InputError::invalid(
                    format!("speaker_roles.{label}"),
                    "is missing: every speaker label needs a role",
                )
            });
        }
        if !self.seen.iter().any(|s| s == label) {
            self.seen.push(label.to_owned());
        }
        Ok(match self.seen.iter().position(|s| s == label) {
            Some(0) => Role::Agent,
            Some(1) => Role::Customer,
            _ => Role::Other,
        })
    }
}
