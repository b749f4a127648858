//! VADER's published lexicons, compiled into the binary from `shared/core/data/vader/` (MIT,
//! C.J. Hutto; see the README and LICENSE there), and the one table of everything the scorer asks
//! about a word, so that each token costs one lookup.
//!
//! The files are read as the `vader_sentiment` crate reads them: one entry a line, fields split
//! by tabs, the first two used; a later line for the same word replaces an earlier one.

use rustc_hash::FxHashMap;

use super::words::{BOOSTERS, NEGATIONS};

const LEXICON: &str = include_str!("../../../../data/vader/vader_lexicon.txt");
const EMOJI_LEXICON: &str = include_str!("../../../../data/vader/emoji_utf8_lexicon.txt");

/// Words the rules test for by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Special {
    #[default]
    None,
    But,
    Kind,
    Of,
    Least,
    Never,
    So,
    This,
    Without,
    Doubt,
}

const SPECIALS: [(&str, Special); 9] = [
    ("but", Special::But),
    ("kind", Special::Kind),
    ("of", Special::Of),
    ("least", Special::Least),
    ("never", Special::Never),
    ("so", Special::So),
    ("this", Special::This),
    ("without", Special::Without),
    ("doubt", Special::Doubt),
];

/// What VADER knows about one lowercase word; the default is a word it knows nothing about.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct WordInfo {
    /// Mean valence from the lexicon.
    pub valence: Option<f64>,
    /// Booster (or dampener) increment.
    pub booster: Option<f64>,
    /// One of VADER's negation words.
    pub negation: bool,
    pub special: Special,
}

/// What is known of a word in no list: nothing.
static UNKNOWN: WordInfo = WordInfo {
    valence: None,
    booster: None,
    negation: false,
    special: Special::None,
};

/// Whether `info` is that of a word in no list (as [`WordTable::info`] returns it).
pub(super) fn is_unknown(info: &WordInfo) -> bool {
    std::ptr::eq(info, &UNKNOWN)
}

/// `(field 1, field 2)` of each non-empty line.
fn entries(raw: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    raw.trim_end_matches('\n')
        .split('\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?))
        })
}

/// Every lexicon word, booster, negation and special word, keyed by its lowercase form.
pub(super) fn words() -> FxHashMap<Box<str>, WordInfo> {
    let mut words: FxHashMap<Box<str>, WordInfo> = FxHashMap::default();
    // A line whose valence is not a number would be a broken data file; the test below reads
    // every line, so skipping it here can only ever drop a word, never panic.
    for (word, valence) in entries(LEXICON) {
        if let Ok(valence) = valence.parse::<f64>() {
            words.entry(word.to_lowercase().into()).or_default().valence = Some(valence);
        }
    }
    for (word, booster) in BOOSTERS {
        words.entry(word.into()).or_default().booster = Some(booster);
    }
    for word in NEGATIONS {
        words.entry(word.into()).or_default().negation = true;
    }
    for (word, special) in SPECIALS {
        words.entry(word.into()).or_default().special = special;
    }
    words
}

/// [`words`] keyed for the scorer's lookups: a word of at most 7 bytes (nearly every spoken
/// word) by one integer, which hashes in a multiplication and compares in one instruction, where
/// a string key is hashed byte by byte and compared with `memcmp`.
#[derive(Debug)]
pub(super) struct WordTable {
    short: ShortWords,
    long: FxHashMap<Box<str>, WordInfo>,
}

impl WordTable {
    pub fn new(words: FxHashMap<Box<str>, WordInfo>) -> Self {
        let (mut short, mut long) = (Vec::new(), FxHashMap::default());
        for (word, info) in words {
            match short_key(word.as_bytes()) {
                Some(key) => short.push((key, info)),
                None => {
                    long.insert(word, info);
                }
            };
        }
        Self {
            short: ShortWords::new(short),
            long,
        }
    }

    pub fn get(&self, word: &str) -> Option<&WordInfo> {
        match short_key(word.as_bytes()) {
            Some(key) => self.short.get(key),
            None => self.long.get(word),
        }
    }

    /// What the lexicon and the rules know of `word` (lowercase); nothing for an unlisted word.
    #[inline]
    pub fn info(&self, word: &str) -> &WordInfo {
        self.get(word).unwrap_or(&UNKNOWN)
    }

    /// [`WordTable::info`] of the word that is the first `len` bytes of `text` (lowercase), where
    /// `text` runs on for at least 8 bytes: a short word's key is then one load and a mask.
    #[inline]
    pub fn info_at(&self, text: &[u8], len: usize) -> &WordInfo {
        match text.first_chunk::<8>() {
            Some(chunk) if len <= 7 => {
                let bytes = u64::from_le_bytes(*chunk) & ((1 << (8 * len)) - 1);
                let key = bytes | (len as u64) << 56;
                self.short.get(key).unwrap_or(&UNKNOWN)
            }
            _ => std::str::from_utf8(text.get(..len).unwrap_or_default())
                .map_or(&UNKNOWN, |word| self.info(word)),
        }
    }

    pub fn len(&self) -> usize {
        self.short.infos.len() + self.long.len()
    }
}

/// The words of at most 7 bytes by their [`short_key`]s, in a table at most half full, found
/// by Fibonacci hashing and linear probing: a lookup is a multiply, a shift and a compare or two,
/// about half of what a general hash map spends on these one-word keys.
#[derive(Debug)]
struct ShortWords {
    /// `(key, index in infos)`, or [`ShortWords::EMPTY`]; the length is a power of two.
    slots: Box<[(u64, u32)]>,
    /// 64 minus the bits of a slot index: a key's first slot is the top bits of its product.
    shift: u32,
    infos: Vec<WordInfo>,
}

impl ShortWords {
    /// No key: a short key's top byte is a length of at most 7.
    const EMPTY: u64 = u64::MAX;
    const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

    fn new(words: Vec<(u64, WordInfo)>) -> Self {
        let size = (2 * words.len()).next_power_of_two().max(2);
        let mut slots = vec![(Self::EMPTY, 0); size].into_boxed_slice();
        let shift = 64 - size.trailing_zeros();
        let mut infos = Vec::with_capacity(words.len());
        for (key, info) in words {
            let mut at = Self::first_slot(key, shift);
            while slots[at & (size - 1)].0 != Self::EMPTY {
                at += 1;
            }
            // Fewer words than u32 can count (the lexicons hold about 8,000).
            slots[at & (size - 1)] = (key, infos.len() as u32);
            infos.push(info);
        }
        Self {
            slots,
            shift,
            infos,
        }
    }

    fn first_slot(key: u64, shift: u32) -> usize {
        (key.wrapping_mul(Self::MULTIPLIER) >> shift) as usize
    }

    #[inline]
    fn get(&self, key: u64) -> Option<&WordInfo> {
        let mask = self.slots.len() - 1;
        let mut at = Self::first_slot(key, self.shift);
        // The table is at most half full, so an empty slot ends every search.
        loop {
            let (found, index) = self.slots[at & mask];
            if found == key {
                return self.infos.get(index as usize);
            }
            if found == Self::EMPTY {
                return None;
            }
            at += 1;
        }
    }
}

/// A word of at most 7 bytes as an integer: its bytes from the lowest up, its length in the top
/// byte, so no two words share one.
fn short_key(word: &[u8]) -> Option<u64> {
    if word.len() > 7 {
        return None;
    }
    let mut key = (word.len() as u64) << 56;
    for (i, &byte) in word.iter().enumerate() {
        key |= u64::from(byte) << (8 * i);
    }
    Some(key)
}

/// Single-character emoji → description (the scorer replaces emoji one character at a time, as
/// the crate does, so multi-character sequences in the file never match).
pub(super) fn emoji() -> FxHashMap<char, &'static str> {
    entries(EMOJI_LEXICON)
        .filter_map(|(symbol, description)| {
            let mut chars = symbol.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some((c, description)),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_lexicon_is_a_word_and_a_number() {
        let lines = LEXICON.lines().filter(|l| !l.is_empty()).count();
        assert_eq!(lines, 7_518);
        assert_eq!(entries(LEXICON).count(), lines);
        assert!(entries(LEXICON).all(|(_, v)| v.parse::<f64>().is_ok()));
        let words = words();
        assert_eq!(words["good"].valence, Some(1.9));
        assert_eq!(words["sux"].valence, Some(-1.5));
        assert_eq!(words["very"].booster, Some(0.293));
        assert!(words["never"].negation);
    }

    #[test]
    fn the_table_finds_every_word_short_or_long_and_nothing_else() {
        let words = words();
        let table = WordTable::new(words.clone());
        assert_eq!(table.len(), words.len());
        for (word, info) in &words {
            let found = table.get(word).expect("listed");
            assert_eq!((found.valence, found.booster), (info.valence, info.booster));
            assert_eq!(
                (found.negation, found.special),
                (info.negation, info.special)
            );
        }
        let mut padded = String::new();
        for word in words.keys() {
            padded.clear();
            padded.push_str(word);
            padded.push_str("x\0\0\0\0\0\0\0\0");
            let found = table.info_at(padded.as_bytes(), word.len());
            assert_eq!(found.valence, words[word].valence, "{word}");
            assert_eq!(found.special, words[word].special, "{word}");
        }
        for missing in [
            "",
            "goo",
            "goodd",
            "good\0",
            "\0good",
            "unbelievablyy",
            "zzzzzzzz",
            "😀",
        ] {
            assert!(table.get(missing).is_none(), "{missing:?}");
        }
    }

    #[test]
    fn the_emoji_lexicon_describes_single_characters() {
        let emoji = emoji();
        assert_eq!(emoji[&'😀'], "grinning face");
        assert!(emoji.len() > 1_000);
        assert!(emoji.keys().all(|c| !c.is_ascii()));
    }
}
