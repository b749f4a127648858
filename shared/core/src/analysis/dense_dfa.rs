//! An Aho-Corasick DFA copied into one flat table, for the byte-at-a-time loops of the tracker,
//! next-step and VADER window searches: a step is a class lookup, a mask and a load.
//!
//! The `aho-corasick` crate's DFA costs about 17 instructions a byte when stepped through its
//! `Automaton` methods (each bounds-checks, converts ids and tests for special states); this is
//! the same automaton, read out of it once: every state reachable from the unanchored start,
//! every byte, with the bytes no state tells apart merged into one class. Its transitions, and
//! the patterns each state matches, are the crate's by construction.

use std::collections::hash_map::Entry;
use std::ops::ControlFlow;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, PatternID, StartKind};
use rustc_hash::FxHashMap;

/// A state as the table holds it: the offset of its row, plus 1 when it is a match state.
pub type State = u32;

/// A table of more entries than this (16 MiB) is not made: the caller searches another way.
const MAX_ENTRIES: usize = 1 << 22;

#[derive(Debug, Clone)]
pub struct DenseDfa {
    /// Each byte's class: the column of its transitions.
    classes: [u8; 256],
    /// Rows of `1 << stride_bits` transitions, one row a state, padded to a power of two.
    table: Vec<State>,
    stride_bits: u32,
    start: State,
    /// For the state in row `r`, its matches are `matched[match_at[r]..match_at[r + 1]]`.
    match_at: Vec<usize>,
    /// A pattern matched and its length in bytes.
    matched: Vec<(PatternID, usize)>,
}

impl DenseDfa {
    /// An ASCII-case-insensitive search for `patterns` (the crate's DFA, unanchored, copied);
    /// `None` when the crate cannot build it or it has too many states to copy ([`MAX_ENTRIES`]).
    pub fn new<P: AsRef<[u8]>>(patterns: &[P]) -> Option<Self> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .start_kind(StartKind::Unanchored)
            // The crate's prefilter would make the start state special; this table has none.
            .prefilter(false)
            .build(patterns)
            .ok()?;
        // A byte's transitions depend only on the trie edges it labels: bytes in no pattern (in
        // either ASCII case) label none and share one class; the others have one class per
        // letter ignoring ASCII case. (The property test below holds the table to the crate's.)
        let mut in_patterns = [false; 256];
        for &byte in patterns.iter().flat_map(|p| p.as_ref()) {
            in_patterns[usize::from(byte.to_ascii_lowercase())] = true;
            in_patterns[usize::from(byte.to_ascii_uppercase())] = true;
        }
        // Class 0 is every byte in no pattern, read through one of them (if there is one).
        let other = (0..=255_u8).find(|&b| !in_patterns[usize::from(b)]);
        let mut class_bytes: Vec<u8> = other.into_iter().collect();
        let mut classes = [0_u8; 256];
        for byte in (0..=255_u8).filter(|&b| in_patterns[usize::from(b)]) {
            if !byte.is_ascii_uppercase() {
                classes[usize::from(byte)] = u8::try_from(class_bytes.len()).ok()?;
                class_bytes.push(byte);
            }
        }
        for upper in b'A'..=b'Z' {
            classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
        }
        // At least two columns a row, so a row's offset is even and its low bit free.
        let stride_bits = class_bytes
            .len()
            .next_power_of_two()
            .max(2)
            .trailing_zeros();
        let state_of = |row: usize, sid: StateID| -> State {
            ((row as State) << stride_bits) | State::from(dfa.is_match(sid))
        };
        let start = dfa.start_state(Anchored::No).ok()?;
        // Every state reachable from the start, numbered in the order found, its row written
        // when it is reached. Fx: built once per analyser from our own patterns, and SipHash's
        // flood resistance would only slow the cold start.
        let mut rows: FxHashMap<StateID, usize> = FxHashMap::default();
        rows.insert(start, 0);
        let mut states = vec![start];
        let mut table = Vec::new();
        let mut match_at = Vec::new();
        let mut matched = Vec::new();
        let mut next = 0;
        while next < states.len() {
            let state = states[next];
            next += 1;
            for &byte in &class_bytes {
                let to = dfa.next_state(Anchored::No, state, byte);
                let row = match rows.entry(to) {
                    Entry::Occupied(row) => *row.get(),
                    Entry::Vacant(row) => {
                        if (states.len() + 1) << stride_bits > MAX_ENTRIES {
                            return None;
                        }
                        states.push(to);
                        *row.insert(states.len() - 1)
                    }
                };
                table.push(state_of(row, to));
            }
            table.resize(next << stride_bits, 0);
            match_at.push(matched.len());
            if dfa.is_match(state) {
                for index in 0..dfa.match_len(state) {
                    let pattern = dfa.match_pattern(state, index);
                    matched.push((pattern, dfa.pattern_len(pattern)));
                }
            }
        }
        match_at.push(matched.len());
        table.resize(table.len().next_power_of_two(), 0);
        Some(Self {
            classes,
            table,
            stride_bits,
            start: state_of(0, start),
            match_at,
            matched,
        })
    }

    /// Reads `text`, calling `on_match(end, matches)` at each end of one or more patterns (their
    /// ids and lengths) until it returns `ControlFlow::Break`.
    // Out of line: inlined into a large caller, its table, mask and classes were spilled to the
    // stack and reloaded at every byte.
    #[inline(never)]
    pub fn search<B>(
        &self,
        text: &[u8],
        mut on_match: impl FnMut(usize, &[(PatternID, usize)]) -> ControlFlow<B>,
    ) -> Option<B> {
        // Locals, so the loop keeps them in registers while `on_match` writes memory.
        let (classes, table) = (&self.classes, self.table.as_slice());
        // The table's length is a power of two: masking keeps every index in it, which the
        // compiler sees, so the loop has no bounds check (every entry reached is a real row).
        let mask = table.len().wrapping_sub(1);
        let mut state = self.start;
        for at in 0..text.len() {
            let next = (state & !1) as usize + usize::from(classes[usize::from(text[at])]);
            state = table[next & mask];
            if state & 1 != 0 {
                if let ControlFlow::Break(b) = on_match(at + 1, self.matches(state)) {
                    return Some(b);
                }
            }
        }
        None
    }

    /// The patterns that end where `state` was entered, with their lengths.
    fn matches(&self, state: State) -> &[(PatternID, usize)] {
        let row = (state >> self.stride_bits) as usize;
        match (self.match_at.get(row), self.match_at.get(row + 1)) {
            (Some(&from), Some(&to)) => self.matched.get(from..to).unwrap_or_default(),
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn automaton(patterns: &[&str]) -> DFA {
        DFA::builder()
            .ascii_case_insensitive(true)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns)
            .expect("built")
    }

    proptest! {
        /// The table reports the matches the crate's DFA reports, at the same places.
        #[test]
        fn the_table_steps_as_the_crate_does(
            patterns in proptest::collection::vec("[a-cA-C 'é-]{1,5}", 1..6),
            text in proptest::collection::vec(any::<u8>(), 0..60),
        ) {
            let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
            let dfa = automaton(&patterns);
            let dense = DenseDfa::new(&patterns).expect("small");
            let mut theirs = dfa.start_state(Anchored::No).expect("unanchored");
            let mut expected = Vec::new();
            for (at, &byte) in text.iter().enumerate() {
                theirs = dfa.next_state(Anchored::No, theirs, byte);
                if dfa.is_match(theirs) {
                    for i in 0..dfa.match_len(theirs) {
                        let p = dfa.match_pattern(theirs, i);
                        expected.push((at + 1, p, dfa.pattern_len(p)));
                    }
                }
            }
            let mut ours = Vec::new();
            let none: Option<()> = dense.search(&text, |end, matches| {
                ours.extend(matches.iter().map(|&(p, len)| (end, p, len)));
                ControlFlow::Continue(())
            });
            prop_assert_eq!(none, None);
            prop_assert_eq!(ours, expected);
        }
    }

    #[test]
    fn bytes_no_pattern_tells_apart_share_a_class() {
        let dense = DenseDfa::new(&["ab", "c"]).expect("small");
        let distinct: std::collections::HashSet<u8> = dense.classes.iter().copied().collect();
        // a/A, b/B, c/C and everything else.
        assert_eq!(distinct.len(), 4);
    }
}
