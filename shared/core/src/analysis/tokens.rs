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

    proptest! {
        #[test]
        fn tokens_are_those_of_split_whitespace(
            ascii in "[a-c \\t\\n\\x0b\\x0c\\r\\x1f.,']{0,40}",
            unicode in "[a-c \\t\\n\\x0b\\r.,'é\u{85}\u{a0}\u{2003}]{0,40}",
        ) {
            for text in [ascii, unicode] {
                let ours: Vec<&str> = tokens(&text).collect();
                let std: Vec<&str> = text.split_whitespace().collect();
                prop_assert_eq!(ours, std);
                let ours: Vec<&str> = tokens_from_the_end(&text).collect();
                let std: Vec<&str> = text.split_whitespace().rev().collect();
                prop_assert_eq!(ours, std);
            }
        }
    }
}
