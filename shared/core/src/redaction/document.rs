//! Redaction of a whole call document as a producer sent it (a parked queue message): the JSON
//! is parsed and every string value redacted, so escapes (`\u0040`) are read as the characters
//! they stand for; transcription word items are redacted as the words they spell together.
//!
//! Amazon Transcribe splits a transcript into word items (`Items[].Content` in Call Analytics
//! and Contact Lens turns, `results.items[].alternatives[0].content` in standard jobs), so a
//! card number is four items that each look harmless. The items of an array are joined as the
//! parser joins them (words with a space, punctuation attached), redacted as one text, and the
//! items a match covers are merged into one item holding the placeholder, spanning their times:
//! the items then spell what the redacted transcript text says.

use serde_json::Value;

use super::{pii_spans, redact_text, RedactionCounts, CARD_PLACEHOLDER, EMAIL_PLACEHOLDER};

/// A document with its PII replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactedDocument {
    pub text: String,
    /// True when the body was JSON and its strings were redacted one by one; false when it was
    /// not JSON and the text rules ran over the raw text (escapes are then not decoded).
    pub parsed: bool,
    pub counts: RedactionCounts,
}

/// `body` with e-mails, card and phone numbers replaced wherever they are in its values.
pub fn redact_document(body: &str) -> RedactedDocument {
    let mut counts = RedactionCounts::default();
    match serde_json::from_str::<Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value, &mut counts);
            // Serialising a `Value` that was just parsed cannot fail; if it ever did, the raw
            // text redacted by the text rules is the safe fallback.
            match serde_json::to_string(&value) {
                Ok(text) => RedactedDocument {
                    text,
                    parsed: true,
                    counts,
                },
                Err(_) => as_text(body),
            }
        }
        Err(_) => as_text(body),
    }
}

fn as_text(body: &str) -> RedactedDocument {
    let (text, counts) = redact_text(body);
    RedactedDocument {
        text: text.into_owned(),
        parsed: false,
        counts,
    }
}

fn redact_value(value: &mut Value, counts: &mut RedactionCounts) {
    match value {
        Value::String(text) => {
            let (redacted, found) = redact_text(text);
            if found.total() > 0 {
                *text = redacted.into_owned();
                counts.add(found);
            }
        }
        Value::Array(values) => {
            if is_word_items(values) {
                redact_word_items(values, counts);
            }
            for value in values {
                redact_value(value, counts);
            }
        }
        Value::Object(map) => {
            for value in map.values_mut() {
                redact_value(value, counts);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A non-empty array whose every element is a word item: an object with its word's text and
/// its `Type` (a turn has text too but no type, and turns are never merged).
fn is_word_items(values: &[Value]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .all(|v| content(v).is_some() && v.get("Type").or_else(|| v.get("type")).is_some())
}

/// A word item's text: `Content` (Call Analytics, Contact Lens) or `alternatives[0].content`
/// (standard jobs).
fn content(item: &Value) -> Option<&str> {
    item.get("Content")
        .or_else(|| item.get("alternatives")?.get(0)?.get("content"))?
        .as_str()
}

fn set_content(item: &mut Value, text: String) {
    if let Some(slot) = item.get_mut("Content") {
        *slot = Value::String(text);
    } else if let Some(slot) = item
        .get_mut("alternatives")
        .and_then(|a| a.get_mut(0))
        .and_then(|a| a.get_mut("content"))
    {
        *slot = Value::String(text);
    }
}

fn is_punctuation(item: &Value) -> bool {
    item.get("Type")
        .or_else(|| item.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.eq_ignore_ascii_case("punctuation"))
}

/// Redacts the words of `items` as the text they spell; each run of items a match touches
/// becomes its first item, holding the redacted text and ending when the run's last item ends.
fn redact_word_items(items: &mut Vec<Value>, counts: &mut RedactionCounts) {
    let mut text = String::new();
    let mut ranges = Vec::with_capacity(items.len());
    for item in items.iter() {
        if !text.is_empty() && !is_punctuation(item) {
            text.push(' ');
        }
        let start = text.len();
        text.push_str(content(item).unwrap_or_default());
        ranges.push(start..text.len());
    }
    let spans = pii_spans(&text);
    if spans.is_empty() {
        return;
    }
    // Runs of items (first, last) with the spans inside them; runs that share an item merge.
    let mut runs: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    for (index, (span, _)) in spans.iter().enumerate() {
        let first = ranges.iter().position(|r| r.end > span.start).unwrap_or(0);
        let last = ranges
            .iter()
            .rposition(|r| r.start < span.end)
            .unwrap_or(first)
            .max(first);
        match runs.last_mut() {
            Some(run) if first <= run.1 => {
                run.1 = run.1.max(last);
                run.2.push(index);
            }
            _ => runs.push((first, last, vec![index])),
        }
    }
    let mut keep = vec![true; items.len()];
    for (first, last, inside) in &runs {
        let (from, to) = (ranges[*first].start, ranges[*last].end);
        let mut redacted = String::new();
        let mut at = from;
        for &index in inside {
            let (span, placeholder) = &spans[index];
            redacted.push_str(&text[at..span.start.max(at)]);
            redacted.push_str(placeholder);
            at = span.end.max(at);
            count(counts, placeholder);
        }
        redacted.push_str(&text[at.min(to)..to]);
        let end_times = end_time(&items[*last]);
        set_content(&mut items[*first], redacted);
        for (name, value) in end_times {
            if let Some(object) = items[*first].as_object_mut() {
                object.insert(name.to_owned(), value);
            }
        }
        keep[first + 1..=*last].iter_mut().for_each(|k| *k = false);
    }
    let mut keep = keep.into_iter();
    items.retain(|_| keep.next().unwrap_or(true));
}

/// The fields that say when an item ends, to carry over to the item a run is merged into.
fn end_time(item: &Value) -> Vec<(&'static str, Value)> {
    ["EndOffsetMillis", "end_time"]
        .into_iter()
        .filter_map(|name| Some((name, item.get(name)?.clone())))
        .collect()
}

fn count(counts: &mut RedactionCounts, placeholder: &str) {
    match placeholder {
        EMAIL_PLACEHOLDER => counts.emails += 1,
        CARD_PLACEHOLDER => counts.card_numbers += 1,
        _ => counts.phone_numbers += 1,
    }
}

#[cfg(test)]
mod tests;
