//! Whitespace-separated tokens, the one split every text measure starts from: the tokens of
//! `str::split_whitespace`, found byte by byte when the text is ASCII (nearly every transcript),
//! where `split_whitespace` decodes and classifies each character.

use std::ops::Range;
use std::str::SplitWhitespace;

/// The tokens of `text`, exactly as `text.split_whitespace()` yields them.
pub fn tokens(text: &str) -> Tokens<'_> {
    if text.is_ascii() {
        Tokens::Ascii {
            text,
            spans: ascii_spans(text.as_bytes()),
        }
    } else {
        Tokens::Unicode(text.split_whitespace())
    }
}

/// The tokens of `text` last first, exactly as `text.split_whitespace().rev()` yields them: byte
/// by byte while the text read from the end is ASCII, by characters from its first non-ASCII
/// byte on. Reading the few tokens before a mention costs a few bytes, where a test of the whole
/// text for ASCII before each mention would make a long utterance quadratic.
pub fn tokens_from_the_end(text: &str) -> TokensFromTheEnd<'_> {
    TokensFromTheEnd::Ascii {
        text,
        end: text.len(),
    }
}

#[derive(Debug, Clone)]
pub enum TokensFromTheEnd<'a> {
    /// Everything after `end` has been read, and was ASCII.
    Ascii {
        text: &'a str,
        end: usize,
    },
    Unicode(std::iter::Rev<SplitWhitespace<'a>>),
}

impl<'a> Iterator for TokensFromTheEnd<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (text, end) = match self {
            TokensFromTheEnd::Ascii { text, end } => (*text, end),
            TokensFromTheEnd::Unicode(split) => return split.next(),
        };
        let bytes = text.as_bytes();
        while *end > 0 && is_ascii_space(bytes[*end - 1]) {
            *end -= 1;
        }
        let token_end = *end;
        while *end > 0 && !is_ascii_space(bytes[*end - 1]) {
            if !bytes[*end - 1].is_ascii() {
                // What is left ends after ASCII white space or at the text's end: a token
                // boundary for `split_whitespace` too.
                let rest = text.get(..token_end).unwrap_or_default();
                *self = TokensFromTheEnd::Unicode(rest.split_whitespace().rev());
                return self.next();
            }
            *end -= 1;
        }
        // Both ends are next to ASCII bytes or at the text's ends: character boundaries.
        (*end < token_end)
            .then(|| text.get(*end..token_end))
            .flatten()
    }
}

/// A whitespace-separated token of an ASCII text: where it is, and the union of its bytes'
/// [`class`]es. A text is split into these once, when the timeline is built, and every measure
/// that walks an ASCII text's words reads them instead of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsciiToken {
    pub start: u32,
    pub end: u32,
    pub classes: u8,
}

impl AsciiToken {
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn has(self, classes: u8) -> bool {
        self.classes & classes != 0
    }
}

/// What the measures ask of an ASCII byte, one bit each.
pub mod class {
    /// White space ([`super::is_ascii_space`]).
    pub const SPACE: u8 = 1;
    /// A letter or digit: a token with one is a word.
    pub const ALPHANUMERIC: u8 = 2;
    pub const APOSTROPHE: u8 = 4;
    /// Neither a letter, a digit, the apostrophe nor white space: what a word's ends are trimmed of.
    pub const TRIMMED: u8 = 8;
    /// One of the 32 ASCII punctuation characters (VADER strips them from a token's ends).
    pub const PUNCTUATION: u8 = 16;
    /// A lowercase letter, a digit or the underscore: a word character that is not a capital.
    pub const NOT_A_CAPITAL: u8 = 32;
}

/// Each byte's [`class`]es (a non-ASCII byte's are those of no ASCII class but `TRIMMED`; the
/// tokens are only made of ASCII text).
pub const ASCII_CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let mut classes = 0;
        if is_ascii_space(byte) {
            classes |= class::SPACE;
        } else if byte.is_ascii_alphanumeric() {
            classes |= class::ALPHANUMERIC;
        } else if byte == b'\'' {
            classes |= class::APOSTROPHE;
        } else {
            classes |= class::TRIMMED;
        }
        if byte.is_ascii_punctuation() {
            classes |= class::PUNCTUATION;
        }
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' {
            classes |= class::NOT_A_CAPITAL;
        }
        table[b] = classes;
        b += 1;
    }
    table
};

/// The union of the classes of `bytes`.
pub fn classes_of(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0, |classes, &b| classes | ASCII_CLASSES[usize::from(b)])
}

/// Appends the tokens of the ASCII text `bytes` to `tokens`, in one pass over its bytes.
// Out of line, so its loop keeps its values in registers whatever it is called from.
#[inline(never)]
pub fn push_ascii_tokens(bytes: &[u8], tokens: &mut Vec<AsciiToken>) {
    debug_assert!(bytes.is_ascii() && u32::try_from(bytes.len()).is_ok());
    let mut at = 0;
    loop {
        while at < bytes.len() && ASCII_CLASSES[usize::from(bytes[at])] & class::SPACE != 0 {
            at += 1;
        }
        if at == bytes.len() {
            return;
        }
        let start = at;
        let mut classes = 0;
        while at < bytes.len() {
            let byte_classes = ASCII_CLASSES[usize::from(bytes[at])];
            if byte_classes & class::SPACE != 0 {
                break;
            }
            classes |= byte_classes;
            at += 1;
        }
        // Transcripts are far below 4 GiB (`MAX_TRANSCRIPT_BYTES`).
        tokens.push(AsciiToken {
            start: start as u32,
            end: at as u32,
            classes,
        });
    }
}

/// Whether an ASCII byte is Unicode white space. These six are all the ASCII characters with the
/// `White_Space` property (`u8::is_ascii_whitespace` leaves out vertical tab, `split_whitespace`
/// does not), so on ASCII text the byte test and `split_whitespace` agree.
pub const fn is_ascii_space(byte: u8) -> bool {
    // One comparison for the usual case, a letter or punctuation.
    byte <= b' ' && matches!(byte, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

#[derive(Debug, Clone)]
pub enum Tokens<'a> {
    Ascii {
        text: &'a str,
        spans: AsciiSpans<'a>,
    },
    Unicode(SplitWhitespace<'a>),
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            // Every index of an ASCII text is a character boundary.
            Tokens::Ascii { text, spans } => spans.next().and_then(|span| text.get(span)),
            Tokens::Unicode(split) => split.next(),
        }
    }
}

/// Where the tokens of an ASCII text are, as byte ranges.
pub fn ascii_spans(bytes: &[u8]) -> AsciiSpans<'_> {
    AsciiSpans { bytes, at: 0 }
}

#[derive(Debug, Clone)]
pub struct AsciiSpans<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Iterator for AsciiSpans<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let bytes = self.bytes;
        let start = self.at + bytes[self.at..].iter().position(|&b| !is_ascii_space(b))?;
        let end = bytes[start..]
            .iter()
            .position(|&b| is_ascii_space(b))
            .map_or(bytes.len(), |n| start + n);
        self.at = end;
        Some(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_ascii_white_space_character_splits() {
        for c in (0_u8..128).map(char::from) {
            assert_eq!(is_ascii_space(c as u8), c.is_whitespace(), "{c:?}");
        }
    }

    #[test]
    fn a_token_knows_its_classes() {
        let mut found = Vec::new();
        push_ascii_tokens(b" Don't \t stop-NOW_ x", &mut found);
        let texts: Vec<(&str, u8)> = found
            .iter()
            .map(|t| (&" Don't \t stop-NOW_ x"[t.range()], t.classes))
            .collect();
        use class::*;
        assert_eq!(
            texts,
            [
                (
                    "Don't",
                    ALPHANUMERIC | APOSTROPHE | PUNCTUATION | NOT_A_CAPITAL
                ),
                (
                    "stop-NOW_",
                    ALPHANUMERIC | TRIMMED | PUNCTUATION | NOT_A_CAPITAL
                ),
                ("x", ALPHANUMERIC | NOT_A_CAPITAL),
            ]
        );
    }

    proptest! {
        #[test]
        fn tokens_are_those_of_split_whitespace(
            ascii in "[a-c \\t\\n\\x0b\\x0c\\r\\x1f.,']{0,40}",
            unicode in "[a-c \\t\\n\\x0b\\r.,'é\u{85}\u{a0}\u{2003}]{0,40}",
        ) {
            for text in [ascii, unicode] {
                let ours: Vec<&str> = tokens(&text).collect();
                let std: Vec<&str> = text.split_whitespace().collect();
                prop_assert_eq!(&ours, &std);
                if text.is_ascii() {
                    let mut found = Vec::new();
                    push_ascii_tokens(text.as_bytes(), &mut found);
                    let ours: Vec<&str> = found.iter().map(|t| &text[t.range()]).collect();
                    prop_assert_eq!(&ours, &std);
                    for (token, found) in std.iter().zip(&found) {
                        prop_assert_eq!(classes_of(token.as_bytes()), found.classes);
                    }
                }
                let ours: Vec<&str> = tokens_from_the_end(&text).collect();
                let std: Vec<&str> = text.split_whitespace().rev().collect();
                prop_assert_eq!(ours, std);
            }
        }
    }
}
