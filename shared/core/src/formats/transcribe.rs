//! Amazon Transcribe output: standard jobs with speaker labels, Call Analytics jobs, and Amazon
//! Connect Contact Lens post-call files.
//!
//! - Call Analytics: `Transcript[]` of `{ParticipantRole: AGENT|CUSTOMER, BeginOffsetMillis,
//!   EndOffsetMillis, Content}`.
//! - Contact Lens: the same turns with `ParticipantId`, whose role is given in `Participants[]`.
//! - Standard: `results.items[]` (words with string times, punctuation without) grouped into
//!   turns by speaker label (`items[].speaker_label`, or the `results.speaker_labels.segments`
//!   containing the word), or by channel (`results.channel_labels.channels[]`, channel
//!   identification). Standard jobs have labels, not roles: `speaker_roles` (in the call
//!   document, or the source's setting) maps them (`{"spk_0": "agent"}`, `{"ch_0": "agent"}`);
//!   labels it does not map are inferred from what they say ([`crate::roles`]).
//!
//! Word times are kept when the file has them: Call Analytics / Contact Lens `Items[]` of a turn
//! and every standard-job word. Turns are sorted by start time (stable): channel-split
//! transcripts list each channel's turns in blocks, and the timeline needs them in order.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::domain::{Role, Utterance, WordTime};
use crate::error::InputError;
use crate::formats::fields;
use crate::roles::{self, SpeakerRoles};

/// Whether a bare JSON object is Transcribe or Contact Lens output.
pub fn looks_like(object: &Map<String, Value>) -> bool {
    object.get("Transcript").is_some_and(Value::is_array)
        || object.get("results").is_some_and(Value::is_object)
}

/// The transcript, and how labels became roles when the file had labels (standard jobs).
pub fn parse(
    raw: &Value,
    fixed: &BTreeMap<String, Role>,
) -> Result<(Vec<Utterance>, Option<SpeakerRoles>), InputError> {
    let Value::Object(object) = raw else {
        return Err(InputError::invalid(
            "",
            "must be an Amazon Transcribe or Contact Lens output object",
        ));
    };
    let (mut utterances, roles) = if let Some(turns) = object.get("Transcript") {
        (parse_turns(object, turns)?, None)
    } else if let Some(results) = object.get("results") {
        parse_standard(results, fixed).map_err(|e| e.within("results"))?
    } else {
        return Err(InputError::unsupported(
            "",
            "is neither Transcribe Call Analytics / Contact Lens output (`Transcript`) nor standard Transcribe output (`results`)",
        ));
    };
    utterances.sort_by(|a, b| a.start.unwrap_or(0.0).total_cmp(&b.start.unwrap_or(0.0)));
    Ok((utterances, roles))
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

/// A standard job's word (its punctuation appended) and who said it.
struct Word {
    label: String,
    text: String,
    start: f64,
    end: f64,
}

/// Standard job output: words grouped into turns by speaker label (`speaker_labels`) or by
/// channel (`channel_labels`, channel identification); labels become roles as configured in
/// `fixed`, the rest inferred from what each label says.
fn parse_standard(
    results: &Value,
    fixed: &BTreeMap<String, Role>,
) -> Result<(Vec<Utterance>, Option<SpeakerRoles>), InputError> {
    let has_speakers = results.get("speaker_labels").is_some_and(|l| !l.is_null());
    let words = match results.get("channel_labels") {
        Some(channels) if !has_speakers && !channels.is_null() => {
            channel_words(channels).map_err(|e| e.within("channel_labels"))?
        }
        _ => speaker_words(results)?,
    };
    let mut utterances: Vec<Utterance> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for word in words {
        match utterances.last_mut() {
            Some(last) if labels.last() == Some(&word.label) => {
                last.text.push(' ');
                last.text.push_str(&word.text);
                last.end = Some(last.end.unwrap_or(word.end).max(word.end));
                last.word_times.push(WordTime {
                    start: word.start,
                    end: word.end,
                });
            }
            _ => {
                utterances.push(Utterance {
                    speaker: Role::Other,
                    text: word.text,
                    start: Some(word.start),
                    end: Some(word.end),
                    word_times: vec![WordTime {
                        start: word.start,
                        end: word.end,
                    }],
                });
                labels.push(word.label);
            }
        }
    }
    roles::check_labels(&labels, "items")?;
    let roles = roles::apply(&labels, &mut utterances, fixed);
    Ok((utterances, roles))
}

/// One `items[]` entry.
enum Item {
    Word {
        text: String,
        start: f64,
        end: f64,
    },
    /// Punctuation has no times: it belongs to the word before it.
    Punctuation(String),
}

fn read_item(item: &Value, at: &dyn Fn(&str) -> String) -> Result<Item, InputError> {
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
    let content = fields::as_str(content, &at("alternatives[0].content"))?.to_owned();
    if item.get("type").and_then(Value::as_str) == Some("punctuation") {
        return Ok(Item::Punctuation(content));
    }
    let start = fields::as_number(
        item.get("start_time").unwrap_or(&Value::Null),
        &at("start_time"),
    )?;
    let end = fields::as_number(
        item.get("end_time").unwrap_or(&Value::Null),
        &at("end_time"),
    )?;
    Ok(Item::Word {
        text: content,
        start,
        end,
    })
}

/// Words of a speaker-labelled job: `results.items[]`, each labelled by its `speaker_label` or
/// the `speaker_labels` segment its start falls in.
fn speaker_words(results: &Value) -> Result<Vec<Word>, InputError> {
    let segments = label_segments(results)?;
    let Some(Value::Array(items)) = results.get("items") else {
        return Err(InputError::invalid("items", "is required: the job's words"));
    };
    let mut words: Vec<Word> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("items[{i}].{field}");
        let (content, start, end) = match read_item(item, &at)? {
            Item::Word { text, start, end } => (text, start, end),
            Item::Punctuation(mark) => {
                if let Some(last) = words.last_mut() {
                    last.text.push_str(&mark);
                }
                continue;
            }
        };
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
        words.push(Word {
            label,
            text: content,
            start,
            end,
        });
    }
    Ok(words)
}

/// Words of a channel-identification job: `channel_labels.channels[].items[]`, each channel's
/// words labelled by its `channel_label`, merged in time order (stable: a word that starts
/// when another channel's does follows it in channel order).
fn channel_words(channel_labels: &Value) -> Result<Vec<Word>, InputError> {
    let Some(Value::Array(channels)) = channel_labels.get("channels") else {
        return Err(InputError::invalid(
            "channels",
            "is required: each channel's label and words",
        ));
    };
    let mut words: Vec<Word> = Vec::new();
    for (c, channel) in channels.iter().enumerate() {
        let label = fields::as_str(
            channel.get("channel_label").unwrap_or(&Value::Null),
            &format!("channels[{c}].channel_label"),
        )?;
        let Some(Value::Array(items)) = channel.get("items") else {
            return Err(InputError::invalid(
                format!("channels[{c}].items"),
                "must be an array of the channel's words",
            ));
        };
        let first = words.len();
        for (i, item) in items.iter().enumerate() {
            let at = |field: &str| format!("channels[{c}].items[{i}].{field}");
            let (content, start, end) = match read_item(item, &at)? {
                Item::Word { text, start, end } => (text, start, end),
                Item::Punctuation(mark) => {
                    if let Some(last) = words[first..].last_mut() {
                        last.text.push_str(&mark);
                    }
                    continue;
                }
            };
            words.push(Word {
                label: label.to_owned(),
                text: content,
                start,
                end,
            });
        }
    }
    words.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(words)
}

/// `speaker_labels.segments` as (start, end, label).
fn label_segments(results: &Value) -> Result<Vec<(f64, f64, String)>, InputError> {
    let Some(Value::Array(segments)) = results
        .get("speaker_labels")
        .and_then(|l| l.get("segments"))
    else {
        return Err(InputError::invalid(
            "speaker_labels",
            "is required: run the Transcribe job with ShowSpeakerLabels or ChannelIdentification so turns can be told apart",
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
