//! callscope JSON utterances: `[{speaker (or role), text, start?, end?, word_times?}]`, times in
//! seconds; `word_times` is `[[start, end], …]`, one pair per spoken word.

use serde::de::{Deserializer as _, IgnoredAny, SeqAccess, Visitor};
use serde_json::Value;

use crate::domain::{Role, Utterance, WordTime, MAX_UTTERANCES};
use crate::error::InputError;
use crate::formats::fields;

pub fn parse(raw: &Value) -> Result<Vec<Utterance>, InputError> {
    let Value::Array(items) = raw else {
        return Err(InputError::invalid("", "must be an array of utterances"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_one(item).map_err(|e| e.within(&format!("[{i}]"))))
        .collect()
}

/// Reads utterances from their JSON text one at a time, so memory holds the utterances, not a
/// tree of JSON values; past [`MAX_UTTERANCES`] the rest are only counted, for the error.
pub fn parse_text(text: &str) -> Result<Vec<Utterance>, InputError> {
    if !text.trim_start().starts_with('[') {
        return Err(InputError::invalid("", "must be an array of utterances"));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = deserializer
        .deserialize_seq(StreamReader)
        .map_err(|e| InputError::malformed("", format!("is not valid JSON: {e}")))?;
    match read {
        Streamed::Read(utterances) => Ok(utterances),
        Streamed::Invalid(error) => Err(error),
        Streamed::TooMany(count) => Err(InputError::too_large(
            "",
            format!("has {count} utterances; at most {MAX_UTTERANCES} are accepted"),
        )),
    }
}

/// What reading a stream of utterances found: all of them, the first invalid one, or too many.
enum Streamed {
    Read(Vec<Utterance>),
    Invalid(InputError),
    TooMany(usize),
}

/// Reads a JSON array into [`Streamed`].
struct StreamReader;

impl<'de> Visitor<'de> for StreamReader {
    type Value = Streamed;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of utterances")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Streamed, A::Error> {
        let mut utterances = Vec::new();
        let mut invalid = None;
        while let Some(item) = seq.next_element::<Value>()? {
            let index = utterances.len();
            match parse_one(&item) {
                Ok(utterance) => utterances.push(utterance),
                Err(error) => {
                    invalid = Some(error.within(&format!("[{index}]")));
                    break;
                }
            }
            if utterances.len() > MAX_UTTERANCES {
                let mut count = utterances.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                return Ok(Streamed::TooMany(count));
            }
        }
        if let Some(error) = invalid {
            // The rest must still be valid JSON; its utterances are not read.
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Streamed::Invalid(error));
        }
        Ok(Streamed::Read(utterances))
    }
}

fn parse_one(item: &Value) -> Result<Utterance, InputError> {
    let Value::Object(object) = item else {
        return Err(InputError::invalid(
            "",
            "must be an object with speaker and text",
        ));
    };
    let (field, speaker) = match (object.get("speaker"), object.get("role")) {
        (Some(s), _) => ("speaker", s),
        (None, Some(r)) => ("role", r),
        (None, None) => {
            return Err(InputError::invalid(
                "speaker",
                "is required (agent, customer or other)",
            ))
        }
    };
    let speaker = Role::parse(field, fields::as_str(speaker, field)?)?;
    let text = fields::as_str(object.get("text").unwrap_or(&Value::Null), "text")?.to_owned();
    Ok(Utterance {
        speaker,
        text,
        start: fields::optional_number(object, "start")?,
        end: fields::optional_number(object, "end")?,
        word_times: word_times(object.get("word_times"))?,
    })
}

/// `word_times: [[start, end], …]`; absent or `null` is none.
fn word_times(raw: Option<&Value>) -> Result<Vec<WordTime>, InputError> {
    let pairs = match raw {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(pairs)) => pairs,
        Some(_) => {
            return Err(InputError::invalid(
                "word_times",
                "must be an array of [start, end] pairs",
            ))
        }
    };
    pairs
        .iter()
        .enumerate()
        .map(|(j, pair)| {
            let field = format!("word_times[{j}]");
            match pair.as_array().map(Vec::as_slice) {
                Some([start, end]) => Ok(WordTime {
                    start: fields::as_number(start, &field)?,
                    end: fields::as_number(end, &field)?,
                }),
                _ => Err(InputError::invalid(field, "must be a [start, end] pair")),
            }
        })
        .collect()
}
