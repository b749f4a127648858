//! VADER's compound score, computed the way the `vader_sentiment` crate computes it, over the
//! crate's own lexicons, without its per-character and per-token allocations.
//!
//! The crate allocates a `String` for every character (its emoji lookup), joins and lowercases
//! token windows for every sentiment word, and matches a regex per token; on a 30-minute call
//! that was three quarters of the whole analysis. This module follows the crate's algorithm
//! step for step — including its quirks, which keep the scores identical: boosters found by
//! substring in the three preceding words, a `least_check` whose first branch can never hold,
//! and the operator precedence of its negation checks. The property test in `tests` holds it to
//! the crate's scores on generated text. Constants and word lists are VADER's (Hutto & Gilbert,
//! 2014; MIT), as the crate ships them; the lexicons come from the crate itself.
//!
//! One known difference: where the crate matches case-insensitively by Unicode case folding,
//! this matches by lowercasing, which agrees on every ASCII word and differs only on rare
//! non-ASCII case pairs; when two special idioms meet in one window the crate picks by its
//! hash map's random order, this by the order below; and boosters of both signs in one window
//! are summed in a fixed order here, in a random one there (a last-bit difference).

use std::borrow::Cow;
use std::ops::Range;

use aho_corasick::AhoCorasick;
use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const NEGATION_SCALAR: f64 = -0.740;
const QMARK_INCR: f64 = 0.180;
const EMARK_INCR: f64 = 0.292;
const MAX_EMARK: usize = 4;
const MAX_QMARK: usize = 3;
const MAX_QMARK_INCR: f64 = 0.96;
const NORMALIZATION_ALPHA: f64 = 15.0;

const NEGATIONS: [&str; 59] = [
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS: [(&str, f64); 84] = [
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("just enough", B_DECR),
    ("kind of", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sort of", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

const SPECIAL_IDIOMS: [(&str, f64); 7] = [
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
];

/// The lexicons and word lists, prepared once.
pub struct Vader {
    /// Lowercased words → valence. Fx hashing: the keys are our own constant word lists, and
    /// SipHash's flood resistance buys nothing here while costing most of a lookup.
    lexicon: FxHashMap<String, f64>,
    boosters: FxHashMap<&'static str, f64>,
    negations: FxHashSet<&'static str>,
    /// Single-character emoji → description (the crate looks emoji up one character at a time).
    emoji: FxHashMap<char, &'static str>,
    /// The crate's all-caps test, used as is for non-ASCII words.
    all_caps: Regex,
    /// Every booster and every special idiom as a substring pattern (the crate tests each with
    /// `contains`); one pass finds them all.
    booster_patterns: AhoCorasick,
    idiom_patterns: AhoCorasick,
}

impl std::fmt::Debug for Vader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vader")
            .field("lexicon_words", &self.lexicon.len())
            .finish_non_exhaustive()
    }
}

impl Default for Vader {
    fn default() -> Self {
        Self::new()
    }
}

/// One text's words: the originals and their lowercase forms in one buffer.
struct Tokens<'t> {
    originals: Vec<&'t str>,
    lower: String,
    spans: Vec<Range<usize>>,
}

impl Tokens<'_> {
    fn len(&self) -> usize {
        self.originals.len()
    }

    fn lower(&self, i: usize) -> &str {
        &self.lower[self.spans[i].clone()]
    }

    fn is(&self, i: usize, word: &str) -> bool {
        self.lower(i) == word
    }

    /// Lowercase words `range` joined by single spaces, into `out`.
    fn join_lower(&self, range: Range<usize>, out: &mut String) {
        out.clear();
        for i in range {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(self.lower(i));
        }
    }
}

impl Vader {
    pub fn new() -> Self {
        let lexicon = vader_sentiment::LEXICON
            .iter()
            .map(|(word, valence)| (word.to_lowercase(), *valence))
            .collect();
        let emoji = vader_sentiment::EMOJI_LEXICON
            .iter()
            .filter_map(|(symbol, description)| {
                let mut chars = symbol.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some((c, *description)),
                    _ => None,
                }
            })
            .collect();
        Self {
            lexicon,
            boosters: BOOSTERS.into_iter().collect(),
            negations: NEGATIONS.into_iter().collect(),
            emoji,
            all_caps: Regex::new(r"^[A-Z\W]+$").expect("a constant pattern"),
            booster_patterns: AhoCorasick::new(BOOSTERS.map(|(word, _)| word))
                .expect("constant patterns"),
            idiom_patterns: AhoCorasick::new(SPECIAL_IDIOMS.map(|(idiom, _)| idiom))
                .expect("constant patterns"),
        }
    }

    /// VADER's normalised compound score of `text`, in [-1, 1].
    pub fn compound(&self, text: &str) -> f64 {
        let text = self.with_emoji_described(text);
        let tokens = tokenize(&text);
        let mixed_caps = {
            let caps = tokens
                .originals
                .iter()
                .filter(|t| self.is_all_caps(t))
                .count();
            caps > 0 && caps < tokens.len()
        };
        let mut sentiments = Vec::with_capacity(tokens.len());
        let mut scratch = String::new();
        for i in 0..tokens.len() {
            let valence = if self.boosters.contains_key(tokens.lower(i))
                || (i + 1 < tokens.len() && tokens.is(i, "kind") && tokens.is(i + 1, "of"))
            {
                0.0
            } else {
                self.valence(&tokens, i, mixed_caps, &mut scratch)
            };
            sentiments.push(valence);
        }
        if let Some(but) = (0..tokens.len()).find(|&i| tokens.is(i, "but")) {
            for (i, s) in sentiments.iter_mut().enumerate() {
                if i < but {
                    *s *= 0.5;
                } else if i > but {
                    *s *= 1.5;
                }
            }
        }
        if sentiments.is_empty() {
            return 0.0;
        }
        let mut total: f64 = sentiments.iter().sum();
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
            if let Some(description) = self.emoji.get(&c) {
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

    fn is_all_caps(&self, token: &str) -> bool {
        if token.len() <= 1 {
            return false;
        }
        if token.is_ascii() {
            token
                .bytes()
                .all(|b| b.is_ascii_uppercase() || !(b.is_ascii_alphanumeric() || b == b'_'))
        } else {
            self.all_caps.is_match(token)
        }
    }

    fn is_negated(&self, tokens: &Tokens<'_>, i: usize) -> bool {
        // The crate's substring test looks at the word as written, so it is case-sensitive.
        self.negations.contains(tokens.lower(i)) || tokens.originals[i].contains("n't")
    }

    fn valence(
        &self,
        tokens: &Tokens<'_>,
        i: usize,
        mixed_caps: bool,
        scratch: &mut String,
    ) -> f64 {
        let Some(&base) = self.lexicon.get(tokens.lower(i)) else {
            return 0.0;
        };
        let mut valence = base;
        if mixed_caps && self.is_all_caps(tokens.originals[i]) {
            valence += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        for start in 0..3 {
            if i > start && !self.lexicon.contains_key(tokens.lower(i - start - 1)) {
                let mut scalar = self.booster_scalar(tokens, i - start - 1, valence, mixed_caps);
                if start == 1 {
                    scalar *= 0.95;
                } else if start == 2 {
                    scalar *= 0.9;
                }
                valence += scalar;
                valence = self.negation_check(valence, tokens, start, i);
                if start == 2 {
                    valence = self.special_idioms_check(valence, tokens, i, scratch);
                }
            }
        }
        // The crate's first "at least" branch also asks for "very" at the same place, so it
        // never applies; only a directly preceding "least" negates.
        if i > 0 && tokens.is(i - 1, "least") {
            valence *= NEGATION_SCALAR;
        }
        valence
    }

    fn booster_scalar(&self, tokens: &Tokens<'_>, j: usize, valence: f64, mixed_caps: bool) -> f64 {
        let Some(&booster) = self.boosters.get(tokens.lower(j)) else {
            return 0.0;
        };
        let mut scalar = if valence < 0.0 { -booster } else { booster };
        if mixed_caps && self.is_all_caps(tokens.originals[j]) {
            scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        scalar
    }

    fn negation_check(&self, valence: f64, tokens: &Tokens<'_>, start: usize, i: usize) -> f64 {
        let is = |offset: usize, word: &str| tokens.is(i - offset, word);
        let negated = || self.is_negated(tokens, i - start - 1);
        match start {
            0 if negated() => valence * NEGATION_SCALAR,
            1 if is(2, "never") && (is(1, "so") || is(1, "this")) => valence * 1.25,
            1 if is(2, "without") && is(1, "doubt") => valence,
            1 if negated() => valence * NEGATION_SCALAR,
            // The crate's precedence: (never && so) || this || so || this, and the like below.
            2 if (is(3, "never") && is(2, "so"))
                || is(2, "this")
                || is(1, "so")
                || is(1, "this") =>
            {
                valence * 1.25
            }
            2 if (is(3, "without") && is(2, "doubt")) || is(1, "doubt") => valence,
            2 if negated() => valence * NEGATION_SCALAR,
            _ => valence,
        }
    }

    fn special_idioms_check(
        &self,
        valence: f64,
        tokens: &Tokens<'_>,
        i: usize,
        scratch: &mut String,
    ) -> f64 {
        let mut valence = valence;
        let end = if tokens.len() - 1 > i {
            (i + 3).min(tokens.len())
        } else {
            i + 1
        };
        tokens.join_lower(i - 3..end, scratch);
        let idioms = contained(&self.idiom_patterns, scratch, SPECIAL_IDIOMS.len());
        if let Some(first) = idioms.iter().position(|&found| found) {
            valence = SPECIAL_IDIOMS[first].1;
        }
        tokens.join_lower(i - 3..i, scratch);
        let boosters = contained(&self.booster_patterns, scratch, BOOSTERS.len());
        for ((_, value), found) in BOOSTERS.iter().zip(boosters) {
            if found {
                valence += value;
            }
        }
        valence
    }
}

/// Which of the patterns occur in `haystack`, by pattern index (each counted once, as
/// `haystack.contains(pattern)` would).
fn contained(patterns: &AhoCorasick, haystack: &str, count: usize) -> Vec<bool> {
    let mut found = vec![false; count];
    for m in patterns.find_overlapping_iter(haystack) {
        found[m.pattern().as_usize()] = true;
    }
    found
}

/// Words as the crate splits them; it strips the 32 ASCII punctuation characters from their
/// ends (its `PUNCTUATION` set is exactly `char::is_ascii_punctuation`).
fn tokenize(text: &str) -> Tokens<'_> {
    let mut tokens = Tokens {
        originals: Vec::new(),
        lower: String::with_capacity(text.len()),
        spans: Vec::new(),
    };
    for raw in text.split_whitespace().filter(|t| t.len() > 1) {
        let stripped = raw.trim_matches(|c: char| c.is_ascii_punctuation());
        let token = if stripped.len() <= 1 { raw } else { stripped };
        let start = tokens.lower.len();
        if token.is_ascii() {
            tokens
                .lower
                .extend(token.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            tokens.lower.push_str(&token.to_lowercase());
        }
        tokens.originals.push(token);
        tokens.spans.push(start..tokens.lower.len());
    }
    tokens
}

fn punctuation_emphasis(text: &str) -> f64 {
    let exclamations = text.bytes().filter(|&b| b == b'!').count();
    let questions = text.bytes().filter(|&b| b == b'?').count();
    let question_emphasis = if questions > MAX_QMARK {
        MAX_QMARK_INCR
    } else {
        questions as f64 * QMARK_INCR
    };
    question_emphasis + exclamations.min(MAX_EMARK) as f64 * EMARK_INCR
}

#[cfg(test)]
mod tests;
