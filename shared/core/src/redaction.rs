//! PII redaction of the transcript that will be stored: e-mail addresses, card numbers (only
//! digit runs that pass the Luhn check) and phone numbers, replaced by `[EMAIL]`, `[CARD]` and
//! `[PHONE]`, with a count of each.
//!
//! Cards are replaced before phones, so a 16-digit card is never half-read as a phone number;
//! digit runs that fail Luhn stay candidates for phones. Spoken numbers ("four one five…") are
//! not recognised: transcription services render numbers as digits.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use crate::domain::{Transcript, Utterance};

mod document;

pub use document::{redact_document, RedactedDocument};

pub const EMAIL_PLACEHOLDER: &str = "[EMAIL]";
pub const CARD_PLACEHOLDER: &str = "[CARD]";
pub const PHONE_PLACEHOLDER: &str = "[PHONE]";

/// How many of each kind of PII were replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionCounts {
    pub emails: u32,
    pub phone_numbers: u32,
    pub card_numbers: u32,
}

impl RedactionCounts {
    pub fn total(&self) -> u32 {
        self.emails + self.phone_numbers + self.card_numbers
    }

    pub fn add(&mut self, other: RedactionCounts) {
        self.emails += other.emails;
        self.phone_numbers += other.phone_numbers;
        self.card_numbers += other.card_numbers;
    }
}

struct Patterns {
    email: Regex,
    card: Regex,
    phone: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        email: Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b")
            .expect("valid email pattern"),
        // 13–19 digits, optionally grouped by single spaces or dashes.
        card: Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").expect("valid card pattern"),
        // An optional +country code, then groups of digits separated by spaces, dots, dashes or
        // parentheses; the digit count (7–15, E.164's maximum) is checked on each match.
        phone: Regex::new(
            r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}\b",
        )
        .expect("valid phone pattern"),
    })
}

/// Replaces PII in one text; borrows the text when there is nothing to replace.
pub fn redact_text(text: &str) -> (Cow<'_, str>, RedactionCounts) {
    let mut counts = RedactionCounts::default();
    let has_at = text.contains('@');
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    // Most utterances hold neither an '@' nor seven digits: skip every regex for them.
    if !has_at && digits < 7 {
        return (Cow::Borrowed(text), counts);
    }
    let p = patterns();
    let mut out = Cow::Borrowed(text);
    if has_at {
        out = replace(
            out,
            &p.email,
            |_| Some(EMAIL_PLACEHOLDER),
            &mut counts.emails,
        );
    }
    if digits >= 13 {
        out = replace(
            out,
            &p.card,
            |m| luhn_valid(m).then_some(CARD_PLACEHOLDER),
            &mut counts.card_numbers,
        );
    }
    if digits >= 7 {
        out = replace(
            out,
            &p.phone,
            |m| is_phone(m).then_some(PHONE_PLACEHOLDER),
            &mut counts.phone_numbers,
        );
    }
    (out, counts)
}

/// Where [`redact_text`] would replace PII in `text`, found in the text as given (byte ranges,
/// in order, not overlapping) with the placeholder of each: e-mails first, then cards, then
/// phones outside them. For text split into pieces (a transcript's word items) whose matches
/// must be mapped back to the pieces.
pub(crate) fn pii_spans(text: &str) -> Vec<(Range<usize>, &'static str)> {
    let p = patterns();
    let mut spans: Vec<(Range<usize>, &'static str)> = Vec::new();
    let free = |spans: &[(Range<usize>, &'static str)], r: &Range<usize>| {
        spans
            .iter()
            .all(|(s, _)| s.end <= r.start || r.end <= s.start)
    };
    for m in p.email.find_iter(text) {
        spans.push((m.range(), EMAIL_PLACEHOLDER));
    }
    for m in p.card.find_iter(text) {
        if luhn_valid(m.as_str()) && free(&spans, &m.range()) {
            spans.push((m.range(), CARD_PLACEHOLDER));
        }
    }
    for m in p.phone.find_iter(text) {
        if is_phone(m.as_str()) && free(&spans, &m.range()) {
            spans.push((m.range(), PHONE_PLACEHOLDER));
        }
    }
    spans.sort_by_key(|(range, _)| range.start);
    spans
}

fn replace<'a>(
    text: Cow<'a, str>,
    pattern: &Regex,
    decide: impl Fn(&str) -> Option<&'static str>,
    count: &mut u32,
) -> Cow<'a, str> {
    let mut replaced = 0;
    let result = pattern.replace_all(&text, |c: &Captures<'_>| {
        let matched = &c[0];
        match decide(matched) {
            Some(placeholder) => {
                replaced += 1;
                placeholder.to_owned()
            }
            None => matched.to_owned(),
        }
    });
    if replaced == 0 {
        return text;
    }
    *count += replaced;
    Cow::Owned(result.into_owned())
}

/// The Luhn checksum that every payment card number satisfies.
fn luhn_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// A phone number has 7–15 digits (E.164); plain numbers without separators need 10 or more so
/// order numbers or amounts like 1250000 are left alone.
fn is_phone(candidate: &str) -> bool {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    let separated = candidate.contains(['+', '(', ' ', '-', '.']);
    (7..=15).contains(&digits) && (separated || digits >= 10)
}

/// The transcript with PII replaced in every utterance, and what was replaced.
pub fn redact_transcript(transcript: &Transcript) -> (Transcript, RedactionCounts) {
    let mut counts = RedactionCounts::default();
    let mut changed = false;
    let utterances: Vec<Utterance> = transcript
        .utterances()
        .iter()
        .map(|u| {
            let (text, found) = redact_text(&u.text);
            counts.add(found);
            match text {
                Cow::Borrowed(_) => u.clone(),
                Cow::Owned(text) => {
                    changed = true;
                    Utterance { text, ..u.clone() }
                }
            }
        })
        .collect();
    if !changed {
        return (transcript.clone(), counts);
    }
    // Never fall back to the original: unredacted text must not be stored. Placeholders keep
    // every rule but may lengthen the text a little (`a@b.co` → `[EMAIL]`); the store's
    // item-size check still bounds what is written.
    (Transcript::with_placeholders(utterances), counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(text: &str) -> (String, RedactionCounts) {
        let (out, counts) = redact_text(text);
        (out.into_owned(), counts)
    }

    #[test]
    fn emails_are_replaced() {
        let (text, counts) = redacted("Send it to jane.doe+sales@example.co.uk please");
        assert_eq!(text, "Send it to [EMAIL] please");
        assert_eq!(counts.emails, 1);
    }

    #[test]
    fn luhn_valid_card_numbers_are_replaced_in_any_grouping() {
        for card in [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111111111111111",
            "378282246310005",
        ] {
            let (text, counts) = redacted(&format!("my card is {card} thanks"));
            assert_eq!(text, "my card is [CARD] thanks", "{card}");
            assert_eq!(counts.card_numbers, 1, "{card}");
        }
    }

    #[test]
    fn digit_runs_that_fail_luhn_are_not_cards() {
        let (text, counts) = redacted("reference 4111 1111 1111 1112 ok");
        assert_eq!(counts.card_numbers, 0);
        assert!(!text.contains("[CARD]"));
    }

    #[test]
    fn phone_numbers_in_common_forms_are_replaced() {
        for phone in [
            "(415) 555-0134",
            "415-555-0134",
            "415.555.0134",
            "4155550134",
            "+44 20 7946 0958",
            "+1 415 555 0134",
        ] {
            let (text, counts) = redacted(&format!("call me at {phone} tomorrow"));
            assert_eq!(text, "call me at [PHONE] tomorrow", "{phone}");
            assert_eq!(counts.phone_numbers, 1, "{phone}");
        }
    }

    #[test]
    fn prices_years_times_and_small_numbers_are_left_alone() {
        for text in [
            "It costs $1,200 per year",
            "In 2025 we grew",
            "We need 15 seats",
            "Let's meet at 10:30",
            "order 1250000",
        ] {
            let (out, counts) = redacted(text);
            assert_eq!(out, text);
            assert_eq!(counts.total(), 0, "{text}");
        }
    }

    #[test]
    fn several_kinds_in_one_utterance_are_all_counted() {
        let (text, counts) =
            redacted("Email a@b.io or b@c.io, call 415-555-0134, card 4111 1111 1111 1111.");
        assert_eq!(text, "Email [EMAIL] or [EMAIL], call [PHONE], card [CARD].");
        assert_eq!(
            counts,
            RedactionCounts {
                emails: 2,
                phone_numbers: 1,
                card_numbers: 1
            }
        );
    }

    #[test]
    fn a_transcript_keeps_speakers_and_times_when_redacted() {
        let t = Transcript::new(vec![Utterance {
            speaker: crate::domain::Role::Customer,
            text: "it's 415-555-0134".into(),
            start: Some(1.0),
            end: Some(2.0),
            word_times: Vec::new(),
        }])
        .expect("valid");
        let (r, counts) = redact_transcript(&t);
        assert_eq!(r.utterances()[0].text, "it's [PHONE]");
        assert_eq!(r.utterances()[0].start, Some(1.0));
        assert_eq!(counts.phone_numbers, 1);
    }

    #[test]
    fn a_transcript_at_the_size_limit_is_still_redacted_when_placeholders_lengthen_it() {
        use crate::domain::MAX_TRANSCRIPT_BYTES;
        // "a@b.co " is 7 bytes and becomes "[EMAIL] " (8): the text grows past the limit.
        let text = "a@b.co ".repeat(MAX_TRANSCRIPT_BYTES / 7);
        let t = Transcript::new(vec![Utterance {
            speaker: crate::domain::Role::Customer,
            text,
            start: None,
            end: None,
            word_times: Vec::new(),
        }])
        .expect("within the limit");
        let (r, counts) = redact_transcript(&t);
        assert!(!r.utterances()[0].text.contains('@'), "no address survives");
        assert_eq!(counts.emails as usize, MAX_TRANSCRIPT_BYTES / 7);
        assert!(r.utterances()[0].text.len() > MAX_TRANSCRIPT_BYTES);
    }
}
