//! The token stream redaction reads: every utterance's whitespace-separated words as one
//! sequence over the whole call (so a number read over two turns is one run), each word's core
//! (punctuation trimmed) classified once as digits, a spoken number word, a spelled letter, a
//! month, an ordinal or a plain word.

use crate::domain::Role;

/// What a token is, as far as the detectors care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Written digits, maybe grouped inside the word (`555-0134`, `(415)`, `+44`, `04/27`).
    Digits {
        slash: bool,
        plus: bool,
    },
    /// A digit spoken as a word: `four`, `zero`, `oh`.
    Spoken,
    /// `double`, `triple`: the next digit said that many times.
    Repeat(u8),
    /// `ten`…`nineteen`.
    Teen,
    /// `twenty`…`ninety`.
    Tens,
    /// `hundred`.
    Hundred,
    /// One letter said alone (`L`, `O`), or letters joined by dashes (`L-O-C-K`).
    Letters,
    /// A month name.
    Month(u8),
    /// A day as an ordinal (`14th`, `fourteenth`).
    Ordinal(u8),
    Word,
}

impl Kind {
    /// Part of a number read out: digits or number words.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Kind::Digits { .. }
                | Kind::Spoken
                | Kind::Repeat(_)
                | Kind::Teen
                | Kind::Tens
                | Kind::Hundred
        )
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub utterance: usize,
    /// The core's bytes in the utterance's text.
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    /// The digit value of a number token (`4`, `25`, `5550134`), or the letters of `Letters`.
    pub value: String,
    pub lower: String,
    /// The core starts with an upper-case letter.
    pub capital: bool,
    /// Every letter of the core is upper case (`IL`, `SW1A`).
    pub upper: bool,
    /// Only spaces, commas, dashes, dots or parentheses lie between the previous token of the
    /// same utterance and this one (never quotes, brackets or colons: JSON stays intact).
    pub joined: bool,
    /// A sentence ends right after this token (`.`, `?`, `!`) or its utterance ends.
    pub stop_after: bool,
}

/// One utterance as the detectors see it.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    pub speaker: Role,
    pub text: &'a str,
}

pub fn tokenize(turns: &[Turn<'_>]) -> Vec<Token> {
    let bytes: usize = turns.iter().map(|t| t.text.len()).sum();
    let mut tokens = Vec::with_capacity(bytes / 5 + 1);
    for (u, turn) in turns.iter().enumerate() {
        let text = turn.text;
        let mut previous_end: Option<usize> = None;
        let first = tokens.len();
        for (word_start, word) in pieces(text) {
            let Some((s, e)) = core(word) else { continue };
            let (start, end) = (word_start + s, word_start + e);
            let joined = previous_end.is_some_and(|p| {
                text[p..start]
                    .bytes()
                    .all(|b| b.is_ascii_whitespace() || b"-,.()".contains(&b))
            });
            let core = &text[start..end];
            let lower = if core.is_ascii() {
                core.to_ascii_lowercase()
            } else {
                core.to_lowercase()
            };
            let (kind, value) = classify(core, &lower);
            let after = &word[e..];
            tokens.push(Token {
                utterance: u,
                start,
                end,
                kind,
                value,
                lower,
                capital: core.chars().next().is_some_and(char::is_uppercase),
                upper: core.chars().any(char::is_alphabetic)
                    && !core.chars().any(char::is_lowercase),
                joined,
                stop_after: after.contains(['.', '?', '!']),
            });
            previous_end = Some(end);
        }
        if tokens.len() > first {
            if let Some(last) = tokens.last_mut() {
                last.stop_after = true;
            }
        }
    }
    tokens
}

/// The pieces tokens are cut from: words split at whitespace and at the characters that never
/// sit inside a spoken word (`"`, `:`, brackets, `=`, `;`, `|`), so `{"phone":"4155550134"}`
/// still yields `4155550134`.
fn pieces(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| c.is_ascii_whitespace() || "\"{}[]<>=:;|\\".contains(c))
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Whitespace-separated words with their byte offsets.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_ascii_whitespace()
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// The word without the punctuation around it; `(` `)` and `+` stay around digits.
fn core(word: &str) -> Option<(usize, usize)> {
    let trim = |c: char| !c.is_alphanumeric() && c != '@' && c != '$';
    let inner = word.trim_start_matches(trim);
    let mut start = word.len() - inner.len();
    let inner = inner.trim_end_matches(trim);
    let mut end = start + inner.len();
    if inner.is_empty() {
        return None;
    }
    if inner
        .bytes()
        .all(|b| b.is_ascii_digit() || b"-./()".contains(&b))
    {
        let before = &word.as_bytes()[..start];
        if matches!(before.last(), Some(b'(' | b'+')) {
            start -= 1;
        }
        if word[end..].starts_with(')') && word[start..end].contains('(') {
            end += 1;
        }
    }
    Some((start, end))
}

fn classify(core: &str, lower: &str) -> (Kind, String) {
    let b = core.as_bytes();
    if b.iter().any(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_digit() || b"-./()+".contains(c))
    {
        let digits: String = core.chars().filter(char::is_ascii_digit).collect();
        let kind = Kind::Digits {
            slash: core.contains('/'),
            plus: core.starts_with('+'),
        };
        return (kind, digits);
    }
    if let Some(day) = written_ordinal(core) {
        return (Kind::Ordinal(day), day.to_string());
    }
    if core.len() == 1 && b[0].is_ascii_uppercase() {
        return (Kind::Letters, core.to_owned());
    }
    if core.len() >= 3
        && b.iter().step_by(2).all(u8::is_ascii_uppercase)
        && b.iter()
            .skip(1)
            .step_by(2)
            .all(|c| *c == b'-' || *c == b'.')
    {
        let letters: String = core.chars().filter(char::is_ascii_uppercase).collect();
        return (Kind::Letters, letters);
    }
    if core.len() > 12 || !core.is_ascii() {
        return (Kind::Word, String::new());
    }
    super::lists::number_word(lower).unwrap_or((Kind::Word, String::new()))
}

/// `1st`…`31st`.
fn written_ordinal(core: &str) -> Option<u8> {
    if core.len() < 3 || core.len() > 4 || !core.is_ascii() {
        return None;
    }
    let (digits, suffix) = core.split_at(core.len() - 2);
    if !["st", "nd", "rd", "th"].contains(&suffix.to_ascii_lowercase().as_str()) {
        return None;
    }
    let day: u8 = digits.parse().ok()?;
    (1..=31).contains(&day).then_some(day)
}
