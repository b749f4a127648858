//! PII redaction of the transcript that will be stored: every type Amazon Transcribe and
//! Contact Lens redact (name, address, phone, e-mail, SSN, card number, CVV and expiry, PIN,
//! bank account and routing numbers) plus dates of birth, in the forms speech engines write
//! them — digits, digits grouped by spaces or dashes, numbers spoken as words ("four one one
//! one", "double five", "oh"), spelled letters, "at gmail dot com" — found by rules, validators
//! (Luhn, ABA, SSN ranges, expiry months) and context cues, across turns. No model, no network;
//! linear in the text. What it cannot catch is listed in docs/analysis.md, "PII redaction".
//!
//! Concerns: [`tokens`] (the stream over the whole call), [`lists`] (shipped word lists),
//! [`cues`], [`numbers`] (digit runs), [`dates`], [`validators`], [`email`], [`people`] (names),
//! [`places`] (addresses), [`spans`] (claiming tokens, joining fragments across turns,
//! rewriting text and word times).

mod counts;
mod cues;
mod dates;
mod document;
mod email;
mod lists;
mod numbers;
mod people;
mod places;
mod spans;
mod tokens;
pub mod validators;

use std::borrow::Cow;

use crate::domain::{Role, Transcript, Utterance};

pub use counts::{RedactionCounts, TypeCounts};
pub use document::{redact_document, RedactedDocument};
pub use spans::Finding;

/// A kind of PII: Amazon Transcribe's entity types, plus dates of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiType {
    Name,
    Address,
    Phone,
    Email,
    Ssn,
    CreditDebitNumber,
    CreditDebitCvv,
    CreditDebitExpiry,
    Pin,
    BankAccountNumber,
    BankRouting,
    DateOfBirth,
}

impl PiiType {
    pub const ALL: [PiiType; 12] = [
        PiiType::Name,
        PiiType::Address,
        PiiType::Phone,
        PiiType::Email,
        PiiType::Ssn,
        PiiType::CreditDebitNumber,
        PiiType::CreditDebitCvv,
        PiiType::CreditDebitExpiry,
        PiiType::Pin,
        PiiType::BankAccountNumber,
        PiiType::BankRouting,
        PiiType::DateOfBirth,
    ];

    /// The name in JSON (`redactions.by_type`) and in policies: Transcribe's entity name in
    /// lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiType::Name => "name",
            PiiType::Address => "address",
            PiiType::Phone => "phone",
            PiiType::Email => "email",
            PiiType::Ssn => "ssn",
            PiiType::CreditDebitNumber => "credit_debit_number",
            PiiType::CreditDebitCvv => "credit_debit_cvv",
            PiiType::CreditDebitExpiry => "credit_debit_expiry",
            PiiType::Pin => "pin",
            PiiType::BankAccountNumber => "bank_account_number",
            PiiType::BankRouting => "bank_routing",
            PiiType::DateOfBirth => "date_of_birth",
        }
    }

    /// Reads [`as_str`](Self::as_str) or Transcribe's upper-case name.
    pub fn parse(raw: &str) -> Option<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|t| t.as_str() == lower)
    }

    /// What replaces it in the stored text.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiType::Name => "[NAME]",
            PiiType::Address => "[ADDRESS]",
            PiiType::Phone => PHONE_PLACEHOLDER,
            PiiType::Email => EMAIL_PLACEHOLDER,
            PiiType::Ssn => "[SSN]",
            PiiType::CreditDebitNumber => CARD_PLACEHOLDER,
            PiiType::CreditDebitCvv => "[CVV]",
            PiiType::CreditDebitExpiry => "[EXPIRY]",
            PiiType::Pin => "[PIN]",
            PiiType::BankAccountNumber => "[ACCOUNT_NUMBER]",
            PiiType::BankRouting => "[ROUTING]",
            PiiType::DateOfBirth => "[DATE_OF_BIRTH]",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

pub const EMAIL_PLACEHOLDER: &str = "[EMAIL]";
pub const CARD_PLACEHOLDER: &str = "[CARD]";
pub const PHONE_PLACEHOLDER: &str = "[PHONE]";

/// Which types are redacted, and after which phrases a number is not PII. The default redacts
/// every type and keeps nothing. Per-tenant policies come with tenant settings (not wired yet:
/// every call uses the default today).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionPolicy {
    types: u16,
    /// Phrases ("order number", "ticket") after which a number is kept: a non-PII kind.
    pub keep_after: Vec<String>,
}

impl Default for RedactionPolicy {
    fn default() -> Self {
        Self::only(&PiiType::ALL)
    }
}

impl RedactionPolicy {
    /// A policy redacting only these types.
    pub fn only(types: &[PiiType]) -> Self {
        Self {
            types: types.iter().fold(0, |bits, t| bits | t.bit()),
            keep_after: Vec::new(),
        }
    }

    /// The same policy without `pii` (a tenant that must keep names).
    pub fn without(mut self, pii: PiiType) -> Self {
        self.types &= !pii.bit();
        self
    }

    pub fn keeping_numbers_after(mut self, phrase: &str) -> Self {
        self.keep_after.push(phrase.to_owned());
        self
    }

    pub fn redacts(&self, pii: PiiType) -> bool {
        self.types & pii.bit() != 0
    }
}

/// What the call itself says about the people on it, when the source gives it: their names are
/// redacted wherever they are said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallPeople {
    pub names: Vec<String>,
}

/// A policy prepared once (its cue table built), for many calls.
#[derive(Debug)]
pub struct Redactor {
    policy: RedactionPolicy,
    cues: cues::Cues,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new(RedactionPolicy::default())
    }
}

impl Redactor {
    pub fn new(policy: RedactionPolicy) -> Self {
        let cues = cues::Cues::new(&policy.keep_after);
        Self { policy, cues }
    }

    pub fn policy(&self) -> &RedactionPolicy {
        &self.policy
    }

    /// Every PII span in these turns (one per utterance a span touches), in order.
    pub fn find(&self, turns: &[(Role, &str)], people: &CallPeople) -> Vec<Finding> {
        let turns: Vec<tokens::Turn<'_>> = turns
            .iter()
            .map(|(speaker, text)| tokens::Turn {
                speaker: *speaker,
                text,
            })
            .collect();
        spans::find(self, &turns, people)
    }

    /// The transcript with PII replaced in every utterance (word times of replaced words merged
    /// into one per placeholder), and what was replaced.
    pub fn redact(
        &self,
        transcript: &Transcript,
        people: &CallPeople,
    ) -> (Transcript, RedactionCounts) {
        let pieces: Vec<(Role, &str)> = transcript
            .utterances()
            .iter()
            .map(|u| (u.speaker, u.text.as_str()))
            .collect();
        let findings = self.find(&pieces, people);
        if findings.is_empty() {
            return (transcript.clone(), RedactionCounts::default());
        }
        let counts = counts::count(&findings);
        let utterances: Vec<Utterance> = spans::rewrite(transcript.utterances(), &findings);
        // Never fall back to the original: unredacted text must not be stored. Placeholders keep
        // every rule but may lengthen the text a little (`a@b.co` → `[EMAIL]`); the store's
        // item-size check still bounds what is written.
        (Transcript::with_placeholders(utterances), counts)
    }

    /// One text (a message body, a line) redacted as a single turn.
    pub fn redact_text<'a>(&self, text: &'a str) -> (Cow<'a, str>, RedactionCounts) {
        let findings = self.find(&[(Role::Other, text)], &CallPeople::default());
        if findings.is_empty() {
            return (Cow::Borrowed(text), RedactionCounts::default());
        }
        let counts = counts::count(&findings);
        (Cow::Owned(spans::replace(text, &findings)), counts)
    }
}

pub(crate) fn default_redactor() -> &'static Redactor {
    static DEFAULT: std::sync::OnceLock<Redactor> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Redactor::default)
}

/// Replaces PII in one text with the default policy; borrows the text when there is nothing to
/// replace.
pub fn redact_text(text: &str) -> (Cow<'_, str>, RedactionCounts) {
    default_redactor().redact_text(text)
}

/// The transcript with PII replaced in every utterance (default policy, no call metadata), and
/// what was replaced.
pub fn redact_transcript(transcript: &Transcript) -> (Transcript, RedactionCounts) {
    default_redactor().redact(transcript, &CallPeople::default())
}

#[cfg(test)]
mod tests;
