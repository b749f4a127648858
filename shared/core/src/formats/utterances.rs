//! callscope JSON utterances: `[{speaker (or role), text, start?, end?}]`, times in seconds.

use serde_json::Value;

use crate::domain::{Role, Utterance};
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
    })
}
