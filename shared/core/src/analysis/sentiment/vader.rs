//! VADER's compound score, computed the way the `vader_sentiment` crate computes it, over
//! VADER's published lexicons (`lexicon`), without the crate's allocations.
//!
//! The crate allocates a `String` for every character (its emoji lookup), joins and lowercases
//! token windows for every sentiment word, and matches a regex per token; on a 30-minute call
//! that was three quarters of the whole analysis. This module follows the crate's algorithm
//! step for step — including its quirks, which keep the scores identical: boosters found by
//! substring in the three preceding words, a `least_check` whose first branch can never hold,
//! and the operator precedence of its negation checks. The property test in `tests` holds it to
//! the crate's scores on generated text.
//!
//! Where the time goes, and why it is cheap: each token is looked up once in one table that says
//! all the rules need (valence, booster, negation, the words tested by name); the lowercase
//! text is lowercased once, and only the windows around sentiment words are joined, where one
//! Aho-Corasick pass finds their boosters and idioms; the buffers live in a [`Scratch`] reused
//! for every utterance of a call.
//!
//! One known difference: where the crate matches case-insensitively by Unicode case folding,
//! this matches by lowercasing, which agrees on every ASCII word and differs only on rare
//! non-ASCII case pairs; when two special idioms meet in one window the crate picks by its
//! hash map's random order, this by the order of `SPECIAL_IDIOMS`; and boosters of both signs in
//! one window are summed in a fixed order here, in a random one there (a last-bit difference).

mod lexicon;
mod words;

use std::borrow::Cow;
use std::ops::{ControlFlow, Range};

use regex::Regex;
use rustc_hash::FxHashMap;

use crate::analysis::dense_dfa::DenseDfa;
use crate::analysis::tokens::{class, classes_of, push_ascii_tokens, AsciiToken};
use lexicon::{Special, WordInfo, WordTable};
use words::{
    BOOSTERS, C_INCR, EMARK_INCR, MAX_EMARK, MAX_QMARK, MAX_QMARK_INCR, NEGATION_SCALAR,
    NORMALIZATION_ALPHA, QMARK_INCR, SPECIAL_IDIOMS,
};

// Found patterns are kept as bits, boosters in a u128 and idioms in a u8.
const _: () = assert!(BOOSTERS.len() <= 128 && SPECIAL_IDIOMS.len() <= 8);

/// The lexicons and word lists, prepared once.
pub struct Vader {
    /// Lowercase word → what the rules need to know about it. Fx hashing: the keys are our own
    /// constant word lists, and SipHash's flood resistance buys nothing here while costing most
    /// of a lookup.
    words: WordTable,
    /// Single-character emoji → description (the crate looks emoji up one character at a time).
    emoji: FxHashMap<char, &'static str>,
    /// The crate's all-caps test, used as is for non-ASCII words.
    all_caps: Regex,
    /// Every booster, then every special idiom, as a substring pattern (the crate tests each
    /// with `contains`): one pass over a window finds them all. The search ignores ASCII case;
    /// the patterns and the windows are lowercase, so it finds what `contains` finds.
    window_patterns: DenseDfa,
}

impl std::fmt::Debug for Vader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vader")
            .field("words", &self.words.len())
            .finish_non_exhaustive()
    }
}

impl Default for Vader {
    fn default() -> Self {
        Self::new()
    }
}

/// Buffers reused across the texts of a call, so scoring an utterance allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch<'v> {
    /// The current text lowercased (ASCII), or its lowercase tokens joined by spaces.
    lower: String,
    tokens: Vec<Token<'v>>,
    /// The words around a sentiment word, joined as the crate joins them.
    window: String,
    /// The whitespace tokens of an ASCII text scored without them.
    ascii_tokens: Vec<AsciiToken>,
}

/// One token: where its lowercase form is in [`Scratch::lower`] and what the rules ask of it.
/// Small (24 bytes), since every token of a call is written and read several times.
#[derive(Debug, Clone, Copy)]
struct Token<'v> {
    start: u32,
    end: u32,
    info: &'v WordInfo,
    /// The token as written is in capitals (the crate's `is_all_caps`).
    all_caps: bool,
    /// A negation word, or the written token contains "n't" (the crate's `is_negated`).
    negated: bool,
}

impl Vader {
    pub fn new() -> Self {
        let patterns: Vec<&str> = BOOSTERS
            .iter()
            .map(|(word, _)| *word)
            .chain(SPECIAL_IDIOMS.iter().map(|(idiom, _)| *idiom))
            .collect();
        Self {
            words: WordTable::new(lexicon::words()),
            emoji: lexicon::emoji(),
            all_caps: Regex::new(r"^[A-Z\W]+$").expect("a constant pattern"),
            window_patterns: DenseDfa::new(&patterns).expect("constant patterns"),
        }
    }

    /// VADER's normalised compound score of `text`, in [-1, 1].
    #[cfg(test)]
    pub fn compound(&self, text: &str) -> f64 {
        self.compound_with(text, None, &mut Scratch::default())
    }

    /// [`Vader::compound`] with buffers reused from earlier texts, and the text's whitespace
    /// tokens when it is ASCII and they are at hand.
    pub fn compound_with<'v>(
        &'v self,
        text: &str,
        ascii_tokens: Option<&[AsciiToken]>,
        scratch: &mut Scratch<'v>,
    ) -> f64 {
        let text = self.with_emoji_described(text);
        self.tokenize(&text, ascii_tokens, scratch);
        let Scratch {
            lower,
            tokens,
            window,
            ..
        } = scratch;
        if tokens.is_empty() {
            return 0.0;
        }
        let caps = tokens.iter().filter(|t| t.all_caps).count();
        let mixed_caps = caps > 0 && caps < tokens.len();
        let but = tokens.iter().position(|t| t.info.special == Special::But);
        // Each word's sentiment, scaled around the first "but", summed in order as the crate
        // sums its list of them.
        let mut total: f64 = tokens
            .iter()
            .enumerate()
            .map(|(i, token)| {
                // Most words are in no list: no rule gives them a sentiment.
                if lexicon::is_unknown(token.info) {
                    return 0.0;
                }
                let kind_of = token.info.special == Special::Kind
                    && tokens
                        .get(i + 1)
                        .is_some_and(|next| next.info.special == Special::Of);
                let sentiment = if token.info.booster.is_some() || kind_of {
                    0.0
                } else {
                    self.valence(tokens, lower, i, mixed_caps, window)
                };
                match but {
                    Some(but) if i < but => sentiment * 0.5,
                    Some(but) if i > but => sentiment * 1.5,
                    _ => sentiment,
                }
            })
            .sum();
        let emphasis = punctuation_emphasis(&text);
        if total > 0.0 {
            total += emphasis;
        } else {
            total -= emphasis;
        }
        (total / (total * total + NORMALIZATION_ALPHA).sqrt()).clamp(-1.0, 1.0)
    }

    /// Emoji replaced by their descriptions, as the crate does; ASCII text has none to replace.
    fn with_emoji_described<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if text.is_ascii() {
            return Cow::Borrowed(text);
        }
        let mut result = String::with_capacity(text.len() + 32);
        let mut previous_was_space = true;
        for c in text.chars() {
            // No emoji is ASCII (a lexicon test holds that), so ASCII skips the lookup.
            if let Some(description) = self.emoji_of(c) {
                if !previous_was_space {
                    result.push(' ');
                }
                result.push_str(description);
                previous_was_space = false;
            } else {
                previous_was_space = c == ' ';
                result.push(c);
            }
        }
        Cow::Owned(result)
    }

    fn emoji_of(&self, c: char) -> Option<&'static str> {
        if c.is_ascii() {
            None
        } else {
            self.emoji.get(&c).copied()
        }
    }

    /// The crate's words: whitespace-separated tokens longer than one byte, with the 32 ASCII
    /// punctuation characters stripped from their ends unless that leaves at most one byte (its
    /// `PUNCTUATION` set is exactly `u8::is_ascii_punctuation`, and an ASCII byte is always a
    /// whole character, so stripping bytes strips the same characters). ASCII text is lowercased
    /// once, whole, and its tokens keep their places in it; other text is lowercased token by
    /// token, as `str::to_lowercase` of the crate's joined windows would (final sigma included).
    fn tokenize<'v>(
        &'v self,
        text: &str,
        ascii_tokens: Option<&[AsciiToken]>,
        scratch: &mut Scratch<'v>,
    ) {
        let Scratch {
            lower,
            tokens,
            ascii_tokens: own_tokens,
            ..
        } = scratch;
        lower.clear();
        tokens.clear();
        if text.is_ascii() {
            lower.push_str(text);
            lower.make_ascii_lowercase();
            // Eight bytes after the last word, for `WordTable::info_at`; no token reaches them.
            lower.push_str(WORD_KEY_PADDING);
            let bytes = text.as_bytes();
            let ascii_tokens = ascii_tokens.unwrap_or_else(|| {
                own_tokens.clear();
                push_ascii_tokens(bytes, own_tokens);
                own_tokens
            });
            for token in ascii_tokens {
                let (at, mut classes) = (token.range(), token.classes);
                // Only a token with punctuation can lose some to `word_span`.
                let word = if classes & class::PUNCTUATION == 0 {
                    (at.len() > 1).then_some(at.clone())
                } else {
                    text.get(at.clone())
                        .and_then(word_span)
                        .map(|w| at.start + w.start..at.start + w.end)
                };
                let Some(word) = word else {
                    continue;
                };
                if word != at {
                    classes = bytes.get(word.clone()).map_or(0, classes_of);
                }
                tokens.push(self.ascii_token(bytes, lower, word, classes));
            }
        } else {
            for raw in text.split_whitespace() {
                if let Some(word) = word_span(raw) {
                    if !lower.is_empty() {
                        lower.push(' ');
                    }
                    let start = lower.len();
                    let word = &raw[word];
                    lower.push_str(&word.to_lowercase());
                    let ascii = word.is_ascii();
                    tokens.push(self.token(word, ascii, lower, start..lower.len()));
                }
            }
        }
    }

    /// The token `word` (as written; `ascii` if it is) whose lowercase form is `lower[at]`.
    fn token(&self, word: &str, ascii: bool, lower: &str, at: Range<usize>) -> Token<'_> {
        let info = self.words.info(&lower[at.clone()]);
        Token {
            // A transcript is far below 4 GiB (`MAX_TRANSCRIPT_BYTES`).
            start: at.start as u32,
            end: at.end as u32,
            info,
            all_caps: self.is_all_caps(word, ascii),
            // The crate's substring test looks at the word as written: case-sensitive.
            negated: info.negation || contains_nt(word.as_bytes()),
        }
    }

    /// [`Vader::token`] for the word `text[at]` of an ASCII text, given the classes of its bytes
    /// ([`classes_of`]).
    #[inline]
    fn ascii_token(&self, text: &[u8], lower: &str, at: Range<usize>, classes: u8) -> Token<'_> {
        let word = &text[at.clone()];
        let info = self.words.info_at(
            lower.as_bytes().get(at.start..).unwrap_or_default(),
            at.len(),
        );
        Token {
            // A transcript is far below 4 GiB (`MAX_TRANSCRIPT_BYTES`).
            start: at.start as u32,
            end: at.end as u32,
            info,
            // `is_all_caps` on ASCII: more than one byte, none lowercase or a word character
            // that is not a capital.
            all_caps: word.len() > 1 && classes & class::NOT_A_CAPITAL == 0,
            negated: info.negation || (classes & class::APOSTROPHE != 0 && contains_nt(word)),
        }
    }

    fn is_all_caps(&self, token: &str, ascii: bool) -> bool {
        if token.len() <= 1 {
            return false;
        }
        if ascii {
            token
                .bytes()
                .all(|b| b.is_ascii_uppercase() || !(b.is_ascii_alphanumeric() || b == b'_'))
        } else {
            self.all_caps.is_match(token)
        }
    }

    fn valence(
        &self,
        tokens: &[Token],
        lower: &str,
        i: usize,
        mixed_caps: bool,
        window: &mut String,
    ) -> f64 {
        let Some(base) = tokens[i].info.valence else {
            return 0.0;
        };
        let mut valence = base;
        if mixed_caps && tokens[i].all_caps {
            valence += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        for start in 0..3 {
            if i > start && tokens[i - start - 1].info.valence.is_none() {
                let mut scalar = booster_scalar(&tokens[i - start - 1], valence, mixed_caps);
                if start == 1 {
                    scalar *= 0.95;
                } else if start == 2 {
                    scalar *= 0.9;
                }
                valence += scalar;
                valence = negation_check(valence, tokens, start, i);
                if start == 2 {
                    valence = self.special_idioms_check(valence, tokens, lower, i, window);
                }
            }
        }
        // The crate's first "at least" branch also asks for "very" at the same place, so it
        // never applies; only a directly preceding "least" negates.
        if i > 0 && tokens[i - 1].info.special == Special::Least {
            valence *= NEGATION_SCALAR;
        }
        valence
    }

    /// The crate's idiom and booster checks on the words around `i` (`i` ≥ 3): the first special
    /// idiom found in the words `i - 3 .. i + 3` sets the valence, then every booster found in
    /// the three words before `i` adds to it. "Found" is the crate's `contains` on the words
    /// joined by single spaces, which `window` is built into.
    fn special_idioms_check(
        &self,
        valence: f64,
        tokens: &[Token],
        lower: &str,
        i: usize,
        window: &mut String,
    ) -> f64 {
        let mut valence = valence;
        let end = if tokens.len() - 1 > i {
            (i + 3).min(tokens.len())
        } else {
            i + 1
        };
        window.clear();
        let mut boosters_end = 0;
        for (k, token) in tokens.iter().enumerate().take(end).skip(i - 3) {
            if k > i - 3 {
                window.push(' ');
            }
            window.push_str(
                lower
                    .get(token.start as usize..token.end as usize)
                    .unwrap_or_default(),
            );
            if k == i - 1 {
                boosters_end = window.len();
            }
        }
        let mut idioms = 0_u8;
        let mut boosters = 0_u128;
        self.window_patterns
            .search(window.as_bytes(), |end, matches| {
                for (pattern, _) in matches {
                    let pattern = pattern.as_usize();
                    if pattern >= BOOSTERS.len() {
                        idioms |= 1 << (pattern - BOOSTERS.len());
                    } else if end <= boosters_end {
                        boosters |= 1 << pattern;
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        if idioms != 0 {
            valence = SPECIAL_IDIOMS[idioms.trailing_zeros() as usize].1;
        }
        // In the order of BOOSTERS, as the crate's loop over its list adds them.
        while boosters != 0 {
            valence += BOOSTERS[boosters.trailing_zeros() as usize].1;
            boosters &= boosters - 1;
        }
        valence
    }
}

const WORD_KEY_PADDING: &str = "\0\0\0\0\0\0\0\0";

/// The crate's word in a whitespace token, as a range of it; `None` for a one-byte token.
fn word_span(raw: &str) -> Option<Range<usize>> {
    if raw.len() <= 1 {
        return None;
    }
    let bytes = raw.as_bytes();
    let whole = Some(0..raw.len());
    let Some(first) = bytes.iter().position(|b| !b.is_ascii_punctuation()) else {
        return whole;
    };
    let last = bytes
        .iter()
        .rposition(|b| !b.is_ascii_punctuation())
        .unwrap_or(first);
    if last - first < 1 {
        whole
    } else {
        Some(first..last + 1)
    }
}

/// `token.contains("n't")`, looking for the apostrophe first (most words have none).
fn contains_nt(token: &[u8]) -> bool {
    token.contains(&b'\'') && token.windows(3).any(|w| w == b"n't")
}

fn booster_scalar(token: &Token, valence: f64, mixed_caps: bool) -> f64 {
    let Some(booster) = token.info.booster else {
        return 0.0;
    };
    let mut scalar = if valence < 0.0 { -booster } else { booster };
    if mixed_caps && token.all_caps {
        scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    scalar
}

fn negation_check(valence: f64, tokens: &[Token], start: usize, i: usize) -> f64 {
    let is = |offset: usize, word: Special| tokens[i - offset].info.special == word;
    let negated = || tokens[i - start - 1].negated;
    match start {
        0 if negated() => valence * NEGATION_SCALAR,
        1 if is(2, Special::Never) && (is(1, Special::So) || is(1, Special::This)) => {
            valence * 1.25
        }
        1 if is(2, Special::Without) && is(1, Special::Doubt) => valence,
        1 if negated() => valence * NEGATION_SCALAR,
        // The crate's precedence: (never && so) || this || so || this, and the like below.
        2 if (is(3, Special::Never) && is(2, Special::So))
            || is(2, Special::This)
            || is(1, Special::So)
            || is(1, Special::This) =>
        {
            valence * 1.25
        }
        2 if (is(3, Special::Without) && is(2, Special::Doubt)) || is(1, Special::Doubt) => valence,
        2 if negated() => valence * NEGATION_SCALAR,
        _ => valence,
    }
}

fn punctuation_emphasis(text: &str) -> f64 {
    // memchr skips the stretches without either mark (most of a text) many bytes at a time.
    let marks = memchr::memchr2_iter(b'!', b'?', text.as_bytes());
    let exclamations = marks.filter(|&at| text.as_bytes()[at] == b'!').count();
    let questions = memchr::memchr_iter(b'?', text.as_bytes()).count();
    let question_emphasis = if questions > MAX_QMARK {
        MAX_QMARK_INCR
    } else {
        questions as f64 * QMARK_INCR
    };
    question_emphasis + exclamations.min(MAX_EMARK) as f64 * EMARK_INCR
}

#[cfg(test)]
mod tests;
