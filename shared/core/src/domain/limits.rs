//! Size and range limits on calls, and the transcript checks that enforce them.
//!
//! The limits keep one call's stored transcript inside one DynamoDB item (400 KB, with room for
//! keys and attributes) and keep a document, as API Gateway delivers it, inside a synchronous
//! Lambda payload (6 MB).

use crate::domain::Utterance;
use crate::error::InputError;

/// Largest document (any format) the parsers read: 3,000,000 bytes. A synchronous Lambda
/// invocation carries at most 6 MB (6,291,456 bytes) of *event*, and API Gateway puts the body
/// into the event as a JSON string, where every `"`, `\\` and newline is escaped to two bytes;
/// so a document of this size always arrives (at worst twice its size, with ~290 KB left for
/// the headers and claims) and gets the documented 413 when larger, instead of Lambda refusing
/// the invocation and API Gateway answering 500. A standard Transcribe output with its per-word
/// items takes ~2.2 MB per hour of talk (the samples: ~245 bytes a word); longer calls are sent
/// as `utterances` (segments), which take ~20 times less.
pub const MAX_DOCUMENT_BYTES: usize = 3_000_000;

/// Largest transcript callscope stores: the sum of the utterances' text bytes. 300,000 bytes is
/// roughly 50,000 words (five hours of speech) and leaves the transcript item, with per-utterance
/// overhead and keys, under DynamoDB's 400 KB item limit.
pub const MAX_TRANSCRIPT_BYTES: usize = 300_000;

/// Most utterances in one call; bounds per-utterance overhead in the stored item.
pub const MAX_UTTERANCES: usize = 10_000;

/// Most word times in one call: as many words as [`MAX_TRANSCRIPT_BYTES`] of text holds. They
/// are stored beside the text (two numbers a word, ~4 bytes a word once compressed), so even a
/// document of nothing but word items stays well inside the transcript item.
pub const MAX_WORD_TIMES: usize = 50_000;

/// Longest call accepted: 24 hours.
pub const MAX_CALL_DURATION_SECONDS: f64 = 86_400.0;

/// How far the last utterance may end past `duration_seconds` (rounding of either value).
pub(crate) const DURATION_TOLERANCE_SECONDS: f64 = 1.0;

pub(crate) fn check_duration(seconds: f64) -> Result<f64, InputError> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(InputError::invalid(
            "duration_seconds",
            "must be a number of seconds >= 0",
        ));
    }
    if seconds > MAX_CALL_DURATION_SECONDS {
        return Err(InputError::invalid(
            "duration_seconds",
            format!("must be at most {MAX_CALL_DURATION_SECONDS} (24 hours)"),
        ));
    }
    // Kept to milliseconds: more is noise, and DynamoDB numbers cannot be smaller than 1e-130
    // (a duration of 1e-200 would be accepted and then refused by every write).
    Ok((seconds * 1_000.0).round() / 1_000.0)
}

pub(crate) fn check_transcript(utterances: &[Utterance]) -> Result<(), InputError> {
    if utterances.is_empty() {
        return Err(InputError::invalid(
            "utterances",
            "must contain at least one utterance",
        ));
    }
    if utterances.len() > MAX_UTTERANCES {
        return Err(InputError::too_large(
            "utterances",
            format!(
                "has {} utterances; at most {MAX_UTTERANCES} are accepted",
                utterances.len()
            ),
        ));
    }
    let text_bytes: usize = utterances.iter().map(|u| u.text.len()).sum();
    if text_bytes > MAX_TRANSCRIPT_BYTES {
        return Err(InputError::too_large(
            "utterances",
            format!(
                "holds {text_bytes} bytes of text; at most {MAX_TRANSCRIPT_BYTES} are accepted"
            ),
        ));
    }
    let word_times: usize = utterances.iter().map(|u| u.word_times.len()).sum();
    if word_times > MAX_WORD_TIMES {
        return Err(InputError::too_large(
            "utterances",
            format!("holds {word_times} word times; at most {MAX_WORD_TIMES} are accepted"),
        ));
    }
    let timed = utterances[0].start.is_some() || utterances[0].end.is_some();
    let mut previous_start = 0.0_f64;
    for (i, u) in utterances.iter().enumerate() {
        let at = |field: &str| format!("utterances[{i}].{field}");
        if u.text.trim().is_empty() {
            return Err(InputError::invalid(at("text"), "must not be empty"));
        }
        match (timed, u.start, u.end) {
            (false, None, None) => continue,
            (true, Some(start), Some(end)) => {
                for (name, value) in [("start", start), ("end", end)] {
                    if !value.is_finite() || value < 0.0 {
                        return Err(InputError::invalid(
                            at(name),
                            "must be a number of seconds >= 0",
                        ));
                    }
                    if value > MAX_CALL_DURATION_SECONDS {
                        return Err(InputError::invalid(
                            at(name),
                            "must be within 24 hours of the call start",
                        ));
                    }
                }
                if end < start {
                    return Err(InputError::invalid(
                        at("end"),
                        format!("{end} is before start {start}: times must not run backwards"),
                    ));
                }
                if start < previous_start {
                    return Err(InputError::invalid(
                        at("start"),
                        format!(
                            "{start} is before the previous utterance's start {previous_start}: utterances must be in order of start time"
                        ),
                    ));
                }
                previous_start = start;
                check_word_times(u, &at)?;
            }
            _ => {
                let missing = if u.start.is_none() { "start" } else { "end" };
                return Err(InputError::invalid(
                    at(missing),
                    "is missing: either every utterance has start and end times or none does",
                ));
            }
        }
    }
    Ok(())
}

/// An utterance's word times: finite, within the call, each ending at or after its start and
/// none starting before the previous one.
fn check_word_times(u: &Utterance, at: &dyn Fn(&str) -> String) -> Result<(), InputError> {
    let mut previous_start = 0.0_f64;
    for (j, w) in u.word_times.iter().enumerate() {
        let field = || at(&format!("word_times[{j}]"));
        let in_range = |v: f64| v.is_finite() && (0.0..=MAX_CALL_DURATION_SECONDS).contains(&v);
        if !in_range(w.start) || !in_range(w.end) {
            return Err(InputError::invalid(
                field(),
                "must be seconds >= 0 within 24 hours of the call start",
            ));
        }
        if w.end < w.start {
            return Err(InputError::invalid(
                field(),
                format!("ends at {} before it starts at {}", w.end, w.start),
            ));
        }
        if w.start < previous_start {
            return Err(InputError::invalid(
                field(),
                format!(
                    "starts at {} before the previous word ({previous_start}): words must be in order",
                    w.start
                ),
            ));
        }
        previous_start = w.start;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_kept_to_milliseconds_so_every_store_can_hold_them() {
        assert_eq!(check_duration(1e-200), Ok(0.0));
        assert_eq!(check_duration(12.345_67), Ok(12.346));
        assert_eq!(check_duration(95.0), Ok(95.0));
        assert!(check_duration(-1.0).is_err());
        assert!(check_duration(f64::NAN).is_err());
    }
}
