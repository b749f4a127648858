//! Context cues: phrases ("my account number is", "the last four", "security code", "date of
//! birth", "my name is", "my address is") that make the span after them one kind of PII, and
//! the policy's keep phrases ("order number") after which a number is not PII. Found in one pass
//! over the token stream; a cue reaches [`WINDOW`] tokens ahead, across turns, so an agent's
//! question cues the customer's answer.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::tokens::Token;
use super::PiiType;

/// How many tokens after its end a cue still applies to.
pub const WINDOW: usize = 14;

/// What a cue announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Pii(PiiType),
    /// "the last four", "ending in": four digits of whatever noun is near (card, social,
    /// account or phone; an account when none is).
    LastFour,
    /// A name follows even in lower case ("my name is", "last name").
    StrongName,
    /// A capitalised name may follow ("this is", "I'm", "speaking with").
    WeakName,
    /// "zip code", "postcode": a postal code follows.
    Postal,
    /// A policy keep phrase: the number after it is not PII.
    Keep,
}

/// A cue found at `end` (the index of the first token after the phrase).
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub end: usize,
    /// The utterance the cue was said in: it reaches the answer after it, not further.
    pub utterance: usize,
    pub cue: Cue,
}

const PHRASES: &[(&str, Cue)] = {
    use PiiType::*;
    &[
        ("account number", Cue::Pii(BankAccountNumber)),
        ("account no", Cue::Pii(BankAccountNumber)),
        ("account", Cue::Pii(BankAccountNumber)),
        ("acct", Cue::Pii(BankAccountNumber)),
        ("checking account", Cue::Pii(BankAccountNumber)),
        ("savings account", Cue::Pii(BankAccountNumber)),
        ("member number", Cue::Pii(BankAccountNumber)),
        ("customer number", Cue::Pii(BankAccountNumber)),
        ("iban", Cue::Pii(BankAccountNumber)),
        ("last four", Cue::LastFour),
        ("last 4", Cue::LastFour),
        ("ending in", Cue::LastFour),
        ("ends in", Cue::LastFour),
        ("routing", Cue::Pii(BankRouting)),
        ("aba", Cue::Pii(BankRouting)),
        ("transit number", Cue::Pii(BankRouting)),
        ("sort code", Cue::Pii(BankRouting)),
        ("social security", Cue::Pii(Ssn)),
        ("social", Cue::Pii(Ssn)),
        ("ssn", Cue::Pii(Ssn)),
        ("s s n", Cue::Pii(Ssn)),
        ("social insurance", Cue::Pii(Ssn)),
        ("card number", Cue::Pii(CreditDebitNumber)),
        ("card", Cue::Pii(CreditDebitNumber)),
        ("visa", Cue::Pii(CreditDebitNumber)),
        ("mastercard", Cue::Pii(CreditDebitNumber)),
        ("amex", Cue::Pii(CreditDebitNumber)),
        ("long number", Cue::Pii(CreditDebitNumber)),
        ("security code", Cue::Pii(CreditDebitCvv)),
        ("cvv", Cue::Pii(CreditDebitCvv)),
        ("cvc", Cue::Pii(CreditDebitCvv)),
        ("cv2", Cue::Pii(CreditDebitCvv)),
        ("csc", Cue::Pii(CreditDebitCvv)),
        ("c v v", Cue::Pii(CreditDebitCvv)),
        ("three digits", Cue::Pii(CreditDebitCvv)),
        ("three digit code", Cue::Pii(CreditDebitCvv)),
        ("back of the card", Cue::Pii(CreditDebitCvv)),
        ("expiry", Cue::Pii(CreditDebitExpiry)),
        ("expiration", Cue::Pii(CreditDebitExpiry)),
        ("expires", Cue::Pii(CreditDebitExpiry)),
        ("expire", Cue::Pii(CreditDebitExpiry)),
        ("exp", Cue::Pii(CreditDebitExpiry)),
        ("valid thru", Cue::Pii(CreditDebitExpiry)),
        ("valid through", Cue::Pii(CreditDebitExpiry)),
        ("good thru", Cue::Pii(CreditDebitExpiry)),
        ("good through", Cue::Pii(CreditDebitExpiry)),
        ("pin", Cue::Pii(Pin)),
        ("passcode", Cue::Pii(Pin)),
        ("pass code", Cue::Pii(Pin)),
        ("phone", Cue::Pii(Phone)),
        ("telephone", Cue::Pii(Phone)),
        ("cell", Cue::Pii(Phone)),
        ("mobile", Cue::Pii(Phone)),
        ("landline", Cue::Pii(Phone)),
        ("callback", Cue::Pii(Phone)),
        ("call back", Cue::Pii(Phone)),
        ("call me at", Cue::Pii(Phone)),
        ("reach you", Cue::Pii(Phone)),
        ("reach me", Cue::Pii(Phone)),
        ("best number", Cue::Pii(Phone)),
        ("contact number", Cue::Pii(Phone)),
        ("area code", Cue::Pii(Phone)),
        ("my number", Cue::Pii(Phone)),
        ("your number", Cue::Pii(Phone)),
        ("cell number", Cue::Pii(Phone)),
        ("number to call", Cue::Pii(Phone)),
        ("extension", Cue::Pii(Phone)),
        ("date of birth", Cue::Pii(DateOfBirth)),
        ("birth date", Cue::Pii(DateOfBirth)),
        ("birthdate", Cue::Pii(DateOfBirth)),
        ("birthday", Cue::Pii(DateOfBirth)),
        ("born on", Cue::Pii(DateOfBirth)),
        ("born", Cue::Pii(DateOfBirth)),
        ("dob", Cue::Pii(DateOfBirth)),
        ("d o b", Cue::Pii(DateOfBirth)),
        ("my name is", Cue::StrongName),
        ("name is", Cue::StrongName),
        ("name's", Cue::StrongName),
        ("first name", Cue::StrongName),
        ("last name", Cue::StrongName),
        ("surname", Cue::StrongName),
        ("full name", Cue::StrongName),
        ("spelled", Cue::StrongName),
        ("spell that", Cue::StrongName),
        ("spell it", Cue::StrongName),
        ("this is", Cue::WeakName),
        ("i'm", Cue::WeakName),
        ("i am", Cue::WeakName),
        ("speaking with", Cue::WeakName),
        ("speak with", Cue::WeakName),
        ("speak to", Cue::WeakName),
        ("talking to", Cue::WeakName),
        ("talking with", Cue::WeakName),
        ("thank you", Cue::WeakName),
        ("thanks", Cue::WeakName),
        ("hi", Cue::WeakName),
        ("hello", Cue::WeakName),
        ("address", Cue::Pii(Address)),
        ("i live at", Cue::Pii(Address)),
        ("live at", Cue::Pii(Address)),
        ("i live on", Cue::Pii(Address)),
        ("ship it to", Cue::Pii(Address)),
        ("ship to", Cue::Pii(Address)),
        ("deliver to", Cue::Pii(Address)),
        ("mail it to", Cue::Pii(Address)),
        ("town", Cue::Pii(Address)),
        ("city", Cue::Pii(Address)),
        ("street", Cue::Pii(Address)),
        ("zip", Cue::Postal),
        ("zip code", Cue::Postal),
        ("zipcode", Cue::Postal),
        ("postal code", Cue::Postal),
        ("postcode", Cue::Postal),
        ("post code", Cue::Postal),
        ("email", Cue::Pii(Email)),
        ("e-mail", Cue::Pii(Email)),
    ]
};

type Table = FxHashMap<String, Vec<(Vec<String>, Cue)>>;

fn table(extra: &[(String, Cue)]) -> Table {
    let mut table: Table = FxHashMap::default();
    let all = PHRASES
        .iter()
        .map(|(p, c)| ((*p).to_owned(), *c))
        .chain(extra.iter().cloned());
    for (phrase, cue) in all {
        let mut words = phrase.split_whitespace().map(str::to_lowercase);
        let Some(first) = words.next() else { continue };
        table.entry(first).or_default().push((words.collect(), cue));
    }
    // Longest phrase first: "account number" before "account".
    for list in table.values_mut() {
        list.sort_by_key(|(rest, _)| std::cmp::Reverse(rest.len()));
    }
    table
}

/// The cue phrases, with the policy's keep phrases when it has any.
#[derive(Debug)]
pub struct Cues(Table);

impl Cues {
    pub fn new(keep: &[String]) -> Self {
        if keep.is_empty() {
            static DEFAULT: OnceLock<Table> = OnceLock::new();
            return Cues(DEFAULT.get_or_init(|| table(&[])).clone());
        }
        let extra: Vec<(String, Cue)> = keep.iter().map(|k| (k.clone(), Cue::Keep)).collect();
        Cues(table(&extra))
    }

    /// Every cue in the stream, in order; phrases never overlap (the longest wins).
    pub fn find(&self, tokens: &[Token]) -> Vec<Found> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let hit = self.0.get(tokens[i].lower.as_str()).and_then(|list| {
                list.iter().find(|(rest, _)| {
                    rest.iter().enumerate().all(|(k, w)| {
                        tokens
                            .get(i + 1 + k)
                            .is_some_and(|t| t.utterance == tokens[i].utterance && t.lower == *w)
                    })
                })
            });
            match hit {
                Some((rest, cue)) => {
                    let end = i + 1 + rest.len();
                    let cue = match cue {
                        Cue::LastFour => last_four_of(tokens, i, end),
                        other => *other,
                    };
                    found.push(Found {
                        end,
                        utterance: tokens[i].utterance,
                        cue,
                    });
                    i = end;
                }
                None => i += 1,
            }
        }
        found
    }
}

/// The type of "the last four" from the noun near it.
fn last_four_of(tokens: &[Token], start: usize, end: usize) -> Cue {
    let near = tokens[start.saturating_sub(4)..(end + 5).min(tokens.len())].iter();
    for t in near {
        let pii = match t.lower.as_str() {
            "card" | "visa" | "mastercard" | "amex" => PiiType::CreditDebitNumber,
            "social" | "ssn" => PiiType::Ssn,
            "phone" | "cell" | "mobile" => PiiType::Phone,
            _ => continue,
        };
        return Cue::Pii(pii);
    }
    Cue::LastFour
}

/// The most recent cues before a position, newest first: a forward-only cursor over
/// [`Cues::find`]'s output, so a pass over the stream stays linear.
#[derive(Debug)]
pub struct Recent<'a> {
    found: &'a [Found],
    next: usize,
}

impl<'a> Recent<'a> {
    pub fn new(found: &'a [Found]) -> Self {
        Self { found, next: 0 }
    }

    /// Cues that end at or before `at` and within [`WINDOW`] tokens of it, said in the
    /// utterance of `at` or at most two before it, newest first.
    pub fn before(&mut self, at: usize, utterance: usize) -> impl Iterator<Item = &'a Found> {
        while self.next < self.found.len() && self.found[self.next].end <= at {
            self.next += 1;
        }
        let found = self.found;
        found[..self.next]
            .iter()
            .rev()
            .take(6)
            .take_while(move |f| f.end + WINDOW >= at)
            .filter(move |f| f.utterance + 2 >= utterance)
    }
}
