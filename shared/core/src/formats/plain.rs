//! The plain transcript existing v1 clients send: lines of `Role: text`, no timestamps.
//!
//! Blank lines are skipped; a line without a known `Role:` prefix continues the previous
//! utterance (long turns wrap), except on the first line, which must name its speaker.
//!
//! Speakers are roles (`Agent`, `Customer`, `Rep`, …) or, when no line names a role, names
//! (`Sam:`, `Dana:`) whose roles come from `speaker_roles` or are inferred from what they say
//! ([`crate::roles`]). A role and an unknown name together is a typo, and rejected.

use std::collections::BTreeMap;

use crate::domain::{Role, Utterance};
use crate::error::InputError;
use crate::roles::{self, SpeakerRoles};

pub fn parse(
    text: &str,
    fixed: &BTreeMap<String, Role>,
) -> Result<(Vec<Utterance>, Option<SpeakerRoles>), InputError> {
    let mut utterances: Vec<Utterance> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    // The first line naming a speaker that is neither a role nor configured, and the error.
    let mut unknown: Option<InputError> = None;
    let mut any_role = false;
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        match split_speaker(line) {
            Some((label, said)) => {
                let speaker = match fixed.get(label) {
                    Some(role) => *role,
                    None => match Role::parse("transcript", label) {
                        Ok(role) => {
                            any_role = true;
                            role
                        }
                        Err(e) => {
                            unknown.get_or_insert_with(|| {
                                InputError::invalid(
                                    "transcript",
                                    format!("line {number}: {}", e.rule),
                                )
                            });
                            Role::Other
                        }
                    },
                };
                if said.is_empty() {
                    return Err(InputError::invalid(
                        "transcript",
                        format!("line {number}: {label} says nothing"),
                    ));
                }
                labels.push(label.to_owned());
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
    let configured = labels.iter().any(|l| fixed.contains_key(l));
    let roles = match unknown {
        Some(error) if any_role => return Err(error),
        None if !configured => None,
        // Names (or configured labels): each label's role configured or inferred.
        _ => {
            roles::check_labels(&labels, "transcript")?;
            let fixed = known_labels(&labels, fixed);
            roles::apply(&labels, &mut utterances, &fixed)
        }
    };
    Ok((utterances, roles))
}

/// The configured roles, plus role words used as labels (`Agent:` next to configured names).
fn known_labels(labels: &[String], fixed: &BTreeMap<String, Role>) -> BTreeMap<String, Role> {
    let mut known = fixed.clone();
    for label in labels {
        if let Ok(role) = Role::parse("transcript", label) {
            known.entry(label.clone()).or_insert(role);
        }
    }
    known
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
