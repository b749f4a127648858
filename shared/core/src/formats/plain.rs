//! The plain transcript existing v1 clients send: lines of `Role: text`, no timestamps.
//!
//! Blank lines are skipped; a line without a known `Role:` prefix continues the previous
//! utterance (long turns wrap), except on the first line, which must name its speaker.

use crate::domain::{Role, Utterance};
use crate::error::InputError;

pub fn parse(text: &str) -> Result<Vec<Utterance>, InputError> {
    let mut utterances: Vec<Utterance> = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        match split_speaker(line) {
            Some((label, said)) => {
                let speaker = Role::parse("transcript", label).map_err(|e| {
                    InputError::invalid("transcript", format!("line {number}: {}", e.rule))
                })?;
                if said.is_empty() {
                    return Err(InputError::invalid(
                        "transcript",
                        format!("line {number}: {label} says nothing"),
                    ));
                }
                utterances.push(Utterance {
                    speaker,
                    text: said.to_owned(),
                    start: None,
                    end: None,
                    word_times: Vec::new(),
                });
            }
            None => match utterances.last_mut() {
                Some(previous) => {
                    previous.text.push(' ');
                    previous.text.push_str(line);
                }
                None => {
                    return Err(InputError::invalid(
                        "transcript",
                        format!("line {number}: must start with a speaker, as in `Agent: Hello`"),
                    ))
                }
            },
        }
    }
    if utterances.is_empty() {
        return Err(InputError::invalid(
            "transcript",
            "must contain at least one `Role: text` line",
        ));
    }
    Ok(utterances)
}

/// `Agent: hi` → (`Agent`, `hi`), when the label is one word (a role, known or not); a colon
/// later in a sentence ("we need: speed") is text, not a speaker.
fn split_speaker(line: &str) -> Option<(&str, &str)> {
    let (label, rest) = line.split_once(':')?;
    let label = label.trim();
    let is_label = !label.is_empty()
        && label.len() <= 32
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    is_label.then(|| (label, rest.trim()))
}
