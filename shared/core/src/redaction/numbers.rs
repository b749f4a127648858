//! Numbers: runs of digits and number words in one utterance ("4111 1111", "555-0134", "four
//! one one one", "double five", "oh", "nineteen eighty"), read into their digits, then typed by
//! the nearest cue that accepts their length, else by shape and validator (Luhn card, SSN
//! groups, phone lengths); any other run of nine or more digits is an account number. A short
//! run next to a typed one (a number read out over two turns) joins it.

use std::ops::Range;

use super::cues::{Cue, Found, Recent};
use super::spans::Claims;
use super::tokens::{Kind, Token, Turn};
use super::validators;
use super::PiiType;

#[derive(Debug, Clone)]
pub struct Run {
    pub tokens: Range<usize>,
    pub digits: String,
    /// Digits per written group (`415-555-0134` → 3, 3, 4); empty when any part was spoken.
    pub groups: Vec<usize>,
    pub plus: bool,
}

/// Words after a number that make it a quantity, not an identifier.
const UNITS: &[&str] = &[
    "dollars", "dollar", "bucks", "cents", "percent", "pounds", "euros", "seats", "users",
    "licenses", "licences", "reps", "people", "minutes", "minute", "hours", "hour", "days",
    "weeks", "months", "years", "year", "times", "calls", "k", "grand", "thousand", "million",
    "billion", "gigs", "gb", "mb", "lines", "per", "%", "o'clock", "am", "pm", "a.m", "p.m",
];

pub fn runs(tokens: &[Token]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !starts_run(tokens, i) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < tokens.len()
            && tokens[end].kind.is_number()
            && tokens[end].joined
            && tokens[end].utterance == tokens[i].utterance
            && !tokens[end - 1].stop_after
        {
            end += 1;
        }
        out.push(read(tokens, i..end));
        i = end;
    }
    out
}

fn starts_run(tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    if !t.kind.is_number() {
        return false;
    }
    // "oh" and "double" open a run only when a number follows.
    let weak = matches!(t.lower.as_str(), "oh" | "o") || matches!(t.kind, Kind::Repeat(_));
    !weak
        || tokens
            .get(i + 1)
            .is_some_and(|n| n.kind.is_number() && n.joined && !t.stop_after)
}

fn read(tokens: &[Token], range: Range<usize>) -> Run {
    let mut digits = String::new();
    let mut groups = Vec::new();
    let mut spoken = false;
    let mut repeat = 1;
    let mut k = range.start;
    while k < range.end {
        let t = &tokens[k];
        let next = (k + 1 < range.end).then(|| &tokens[k + 1]);
        match t.kind {
            Kind::Digits { .. } => {
                digits.push_str(&t.value);
                groups.extend(
                    t.lower
                        .split(|c: char| !c.is_ascii_digit())
                        .filter(|g| !g.is_empty())
                        .map(str::len),
                );
            }
            Kind::Spoken => {
                spoken = true;
                for _ in 0..repeat {
                    digits.push_str(&t.value);
                }
                repeat = 1;
            }
            Kind::Repeat(r) => repeat = usize::from(r),
            Kind::Teen => {
                spoken = true;
                digits.push_str(&t.value);
            }
            Kind::Tens => {
                spoken = true;
                digits.push_str(&t.value);
                match next {
                    Some(n) if n.kind == Kind::Spoken && n.value != "0" => {
                        digits.push_str(&n.value);
                        k += 1;
                    }
                    _ => digits.push('0'),
                }
            }
            Kind::Hundred => {
                spoken = true;
                let after_digit = k > range.start && tokens[k - 1].kind == Kind::Spoken;
                match (after_digit, next.map(|n| n.kind)) {
                    (false, _) => digits.push_str("100"),
                    (true, Some(Kind::Tens | Kind::Teen)) => {}
                    (true, Some(Kind::Spoken)) => digits.push('0'),
                    (true, _) => digits.push_str("00"),
                }
            }
            _ => {}
        }
        k += 1;
    }
    Run {
        plus: matches!(tokens[range.start].kind, Kind::Digits { plus: true, .. }),
        tokens: range,
        digits,
        groups: if spoken { Vec::new() } else { groups },
    }
}

fn unit_after(tokens: &[Token], run: &Run) -> bool {
    tokens
        .get(run.tokens.end)
        .filter(|t| t.utterance == tokens[run.tokens.end - 1].utterance)
        .is_some_and(|t| UNITS.contains(&t.lower.as_str()))
}

/// Whether a cue of type `pii` can own this run.
fn accepts(pii: PiiType, run: &Run, unit: bool) -> bool {
    let n = run.digits.len();
    match pii {
        PiiType::Phone => (3..=15).contains(&n) && !unit,
        PiiType::Ssn => n == 9 || n == 4,
        PiiType::CreditDebitNumber => (13..=19).contains(&n) || n == 4,
        PiiType::CreditDebitCvv => (3..=4).contains(&n) && !unit,
        PiiType::CreditDebitExpiry => validators::expiry_digits(&run.digits) && !unit,
        PiiType::Pin => (4..=6).contains(&n) && !unit,
        PiiType::BankAccountNumber => (5..=17).contains(&n) && !unit,
        PiiType::BankRouting => n == 9,
        PiiType::DateOfBirth => validators::date_digits(&run.digits),
        PiiType::Name | PiiType::Address | PiiType::Email => false,
    }
}

/// The type a run has by its shape alone.
fn by_shape(run: &Run, unit: bool) -> Option<PiiType> {
    let d = &run.digits;
    let n = d.len();
    if (13..=19).contains(&n) && validators::luhn(d) {
        return Some(PiiType::CreditDebitNumber);
    }
    if unit {
        // Nine digits or more are never a quantity worth keeping over an identifier.
        return (n >= 9).then_some(PiiType::BankAccountNumber);
    }
    if n == 9 && run.groups == [3, 2, 4] && validators::ssn(d) {
        return Some(PiiType::Ssn);
    }
    let first = d.as_bytes()[0];
    let phone = (run.plus && (8..=15).contains(&n))
        || (n == 10 && first >= b'2')
        || (n == 11 && (first == b'1' || first == b'0'))
        || (n == 7 && (run.groups == [3, 4] || run.groups.is_empty()));
    if phone {
        return Some(PiiType::Phone);
    }
    (n >= 9).then_some(PiiType::BankAccountNumber)
}

/// Types the runs it can; returns every run with the entity it became, if any.
pub fn detect(
    tokens: &[Token],
    turns: &[Turn<'_>],
    cues: &[Found],
    spent: Vec<usize>,
    claims: &mut Claims,
) -> Vec<(Run, Option<usize>)> {
    let runs = runs(tokens);
    let mut recent = Recent::new(cues);
    // Each run's entity once typed.
    let mut typed: Vec<Option<usize>> = vec![None; runs.len()];
    // A cue types one number (its other parts join it as fragments), then is spent.
    let mut spent: rustc_hash::FxHashSet<usize> = spent.into_iter().collect();
    for (r, run) in runs.iter().enumerate() {
        if !claims.all_free(run.tokens.clone()) || run.digits.is_empty() {
            continue;
        }
        let unit = unit_after(tokens, run);
        let mut decided: Option<Option<PiiType>> = None;
        let near: Vec<&Found> = recent
            .before(run.tokens.start, tokens[run.tokens.start].utterance)
            .filter(|f| !spent.contains(&f.end))
            .collect();
        // "the routing and account numbers are …": the nine digits that pass ABA are routing.
        if validators::aba(&run.digits)
            && near.iter().any(|f| f.cue == Cue::Pii(PiiType::BankRouting))
        {
            decided = Some(Some(PiiType::BankRouting));
        }
        // Newest first, but a specific cue ("PIN") said with or after the generic "account"
        // beats it.
        let account = Cue::Pii(PiiType::BankAccountNumber);
        let mut ordered: Vec<&Found> = near.clone();
        if let Some(a) = near.iter().position(|f| f.cue == account) {
            let generic = ordered.remove(a);
            let at = ordered
                .iter()
                .position(|f| f.utterance < generic.utterance)
                .unwrap_or(ordered.len());
            ordered.insert(at, generic);
        }
        // A number read in two parts ("zero two six" / "Go on." / "zero zero nine five nine
        // three"): the cue judges both parts together.
        let joined = runs.get(r + 1).and_then(|next| {
            let gap = next.tokens.start.checked_sub(run.tokens.end)?;
            let same = turns[tokens[next.tokens.start].utterance].speaker
                == turns[tokens[run.tokens.start].utterance].speaker;
            let first = cues.partition_point(|c| c.end <= run.tokens.end);
            let cue_between = cues.get(first).is_some_and(|c| c.end <= next.tokens.start);
            (gap <= 3
                && same
                && !cue_between
                && plain_between(tokens, run.tokens.end, next.tokens.start)
                && claims.all_free(next.tokens.clone()))
            .then(|| Run {
                tokens: run.tokens.start..next.tokens.end,
                digits: format!("{}{}", run.digits, next.digits),
                groups: Vec::new(),
                plus: run.plus,
            })
        });
        for found in ordered {
            match found.cue {
                Cue::Keep => decided = Some(None),
                Cue::Pii(pii) if accepts(pii, run, unit) => decided = Some(Some(pii)),
                Cue::Pii(pii)
                    if pii != PiiType::Phone
                        && joined
                            .as_ref()
                            .is_some_and(|j| accepts(pii, j, unit_after(tokens, j))) =>
                {
                    decided = Some(Some(pii));
                }
                Cue::LastFour if run.digits.len() == 4 => {
                    decided = Some(Some(PiiType::BankAccountNumber));
                }
                _ => continue,
            }
            // The answer spends every question before it.
            spent.extend(near.iter().map(|f| f.end));
            break;
        }
        let pii = match decided {
            Some(decided) => decided,
            None => by_shape(run, unit),
        };
        if let Some(pii) = pii {
            typed[r] = claims.claim(run.tokens.clone(), pii);
        }
    }
    runs.into_iter().zip(typed).collect()
}

/// Parts of one number said apart: a short untyped run within three tokens of a typed one,
/// said by the same speaker with no other cue between, is the rest of it ("(444)" at the end of
/// one turn, "555-0134" in the next); two typed runs of one type so close are one entity.
pub fn join_fragments(
    tokens: &[Token],
    turns: &[Turn<'_>],
    cues: &[Found],
    runs: &[(Run, Option<usize>)],
    claims: &mut Claims,
) {
    let speaker = |i: usize| turns[tokens[i].utterance].speaker;
    let cue_between = |a: usize, b: usize| {
        let first = cues.partition_point(|c| c.end <= a);
        cues.get(first).is_some_and(|c| c.end <= b)
    };
    let near = |a: &Range<usize>, b: &Range<usize>| {
        b.start >= a.end
            && b.start - a.end <= 3
            && plain_between(tokens, a.end, b.start)
            && speaker(a.start) == speaker(b.start)
            && !cue_between(a.end, b.start)
    };
    for r in 0..runs.len() {
        let (run, entity) = &runs[r];
        if run.digits.len() < 2
            || unit_after(tokens, run)
            || (entity.is_none() && !claims.all_free(run.tokens.clone()))
        {
            continue;
        }
        let before = r
            .checked_sub(1)
            .and_then(|o| runs[o].1.filter(|_| near(&runs[o].0.tokens, &run.tokens)));
        let after = runs
            .get(r + 1)
            .and_then(|(o, e)| e.filter(|_| near(&run.tokens, &o.tokens)));
        match (entity, before, after) {
            (None, Some(e), _) | (None, None, Some(e)) => claims.extend(e, run.tokens.clone()),
            (Some(mine), Some(e), _)
                if claims.owner(run.tokens.start).map(|o| o.1)
                    == claims.owner(runs[r - 1].0.tokens.start).map(|o| o.1) =>
            {
                claims.merge(run.tokens.clone(), *mine, e);
            }
            _ => {}
        }
    }
}

/// Only words and separators between two runs (turn breaks allowed): never quotes, brackets or
/// colons, so values of different JSON fields are never read as one number.
fn plain_between(tokens: &[Token], from: usize, to: usize) -> bool {
    (from.max(1)..=to).all(|k| tokens[k].utterance != tokens[k - 1].utterance || tokens[k].joined)
}
