//! The small word lists redaction reads (number words, months, stop words, first names, street
//! types, US states and Canadian provinces): shipped in `data/pii/` (see its README for where
//! each comes from and its licence), compiled into the binary and parsed once per process.

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use super::tokens::Kind;

pub struct Lists {
    pub stop: FxHashSet<&'static str>,
    pub first_names: FxHashSet<&'static str>,
    pub street_types: FxHashSet<&'static str>,
    /// State and province names (lower case, one word or joined by a space) and their
    /// two-letter codes (upper case).
    pub regions: FxHashSet<&'static str>,
    pub tlds: FxHashSet<&'static str>,
    numbers: FxHashMap<&'static str, (Kind, &'static str)>,
}

fn set(text: &'static str) -> FxHashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

pub fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut numbers = FxHashMap::default();
        for (i, w) in [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ]
        .into_iter()
        .enumerate()
        {
            numbers.insert(w, (Kind::Spoken, DIGITS[i]));
        }
        numbers.insert("oh", (Kind::Spoken, "0"));
        numbers.insert("o", (Kind::Spoken, "0"));
        numbers.insert("nought", (Kind::Spoken, "0"));
        numbers.insert("double", (Kind::Repeat(2), ""));
        numbers.insert("triple", (Kind::Repeat(3), ""));
        numbers.insert("hundred", (Kind::Hundred, ""));
        for (w, v) in [
            ("ten", "10"),
            ("eleven", "11"),
            ("twelve", "12"),
            ("thirteen", "13"),
            ("fourteen", "14"),
            ("fifteen", "15"),
            ("sixteen", "16"),
            ("seventeen", "17"),
            ("eighteen", "18"),
            ("nineteen", "19"),
        ] {
            numbers.insert(w, (Kind::Teen, v));
        }
        for (w, v) in [
            ("twenty", "2"),
            ("thirty", "3"),
            ("forty", "4"),
            ("fifty", "5"),
            ("sixty", "6"),
            ("seventy", "7"),
            ("eighty", "8"),
            ("ninety", "9"),
        ] {
            numbers.insert(w, (Kind::Tens, v));
        }
        for (i, w) in MONTHS.iter().enumerate() {
            numbers.insert(w, (Kind::Month(i as u8 + 1), ""));
        }
        for (w, m) in [("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("jun", 6)] {
            numbers.insert(w, (Kind::Month(m), ""));
        }
        for (w, m) in [
            ("aug", 8),
            ("sep", 9),
            ("sept", 9),
            ("oct", 10),
            ("nov", 11),
        ] {
            numbers.insert(w, (Kind::Month(m), ""));
        }
        numbers.insert("dec", (Kind::Month(12), ""));
        for (i, w) in ORDINALS.iter().enumerate() {
            numbers.insert(w, (Kind::Ordinal(i as u8 + 1), DAYS[i]));
        }
        Lists {
            stop: set(include_str!("../../data/pii/stop_words.txt")),
            first_names: set(include_str!("../../data/pii/first_names.txt")),
            street_types: set(include_str!("../../data/pii/street_types.txt")),
            regions: set(include_str!("../../data/pii/regions.txt")),
            tlds: set(include_str!("../../data/pii/tlds.txt")),
            numbers,
        }
    })
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const ORDINALS: [&str; 31] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty-first",
    "twenty-second",
    "twenty-third",
    "twenty-fourth",
    "twenty-fifth",
    "twenty-sixth",
    "twenty-seventh",
    "twenty-eighth",
    "twenty-ninth",
    "thirtieth",
    "thirty-first",
];
const DAYS: [&str; 31] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17",
    "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
];

/// A number word's kind and digit value (`four` → `4`, `twenty` → tens `2`).
pub fn number_word(lower: &str) -> Option<(Kind, String)> {
    lists()
        .numbers
        .get(lower)
        .map(|(kind, value)| (*kind, (*value).to_owned()))
}
