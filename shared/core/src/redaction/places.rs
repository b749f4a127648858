//! Addresses without a model: a house number before a street type ("42 Elm Street", "221B
//! Baker St"), what follows it (apartment, town, state, ZIP) and its continuation in the same
//! speaker's next turns (an address read over three turns); anything address-shaped after an
//! address cue ("my address is", "what town?"); a ZIP after a state or a postal-code cue; US
//! ZIP, UK and Canadian postcodes, written or spelled.

use std::sync::OnceLock;

use regex::Regex;

use super::cues::{Cue, Found};
use super::lists::lists;
use super::numbers;
use super::spans::Claims;
use super::tokens::{Kind, Token, Turn};
use super::PiiType;

/// How far after its cue an address may start.
const REACH: usize = 8;
/// The longest stretch taken as one address in one turn.
const LONGEST: usize = 14;

const UNIT_WORDS: [&str; 9] = [
    "apartment",
    "apt",
    "unit",
    "suite",
    "flat",
    "floor",
    "box",
    "po",
    "#",
];
const FILLERS: [&str; 14] = [
    "it's", "its", "it", "is", "that's", "and", "in", "uh", "um", "yeah", "yes", "so", "sure",
    "the",
];

fn postcode() -> &'static Regex {
    static POSTCODE: OnceLock<Regex> = OnceLock::new();
    POSTCODE.get_or_init(|| {
        // UK outward+inward, Canadian FSA+LDU, US ZIP+4.
        Regex::new(
            r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|[A-Z][0-9][A-Z][0-9][A-Z][0-9]|[0-9]{5}-?[0-9]{4})$",
        )
        .expect("valid postcode pattern")
    })
}

pub fn is_region(t: &Token) -> bool {
    let l = lists();
    (t.capital && l.regions.contains(t.lower.as_str()))
        || (t.upper
            && t.lower.len() == 2
            && l.regions.contains(t.lower.to_ascii_uppercase().as_str()))
}

fn street_type(t: &Token) -> bool {
    lists().street_types.contains(t.lower.as_str())
}

/// A proper-noun-looking word: capitalised, not a stop word.
fn proper(t: &Token) -> bool {
    t.capital && t.kind == Kind::Word && !lists().stop.contains(t.lower.as_str())
}

fn address_ish(t: &Token) -> bool {
    proper(t)
        || (t.kind.is_number() && !matches!(t.kind, Kind::Digits { slash: true, .. }))
        || matches!(t.kind, Kind::Ordinal(_) | Kind::Letters)
        || street_type(t)
        || is_region(t)
        || UNIT_WORDS.contains(&t.lower.as_str())
        || (t.upper && postcode().is_match(&t.lower.to_ascii_uppercase()))
        || (t.lower.len() <= 4
            && t.lower.bytes().any(|b| b.is_ascii_digit())
            && t.lower.bytes().any(|b| b.is_ascii_alphabetic())
            && !t.lower.bytes().any(|b| b.is_ascii_lowercase() && t.capital))
        || matches!(t.lower.as_str(), "north" | "south" | "east" | "west")
}

pub fn detect(tokens: &[Token], turns: &[Turn<'_>], cues: &[Found], claims: &mut Claims) {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    streets(tokens, claims, &mut spans);
    for found in cues {
        match found.cue {
            Cue::Pii(PiiType::Address) => after_cue(tokens, found.end, claims, &mut spans),
            Cue::Postal => postal_after(tokens, found.end, claims, &mut spans),
            _ => {}
        }
    }
    postcodes(tokens, claims, &mut spans);
    for (entity, end) in spans {
        continue_into_next_turns(tokens, turns, entity, end, claims);
    }
}

/// House number, up to four street-name words, street type, then the rest of the address.
fn streets(tokens: &[Token], claims: &mut Claims, spans: &mut Vec<(usize, usize)>) {
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let house = (t.kind.is_number() && !matches!(t.kind, Kind::Digits { slash: true, .. }))
            || (t.upper && t.lower.len() <= 6 && t.lower.starts_with(|c: char| c.is_ascii_digit()));
        if !house || !claims.is_free(i) {
            i += 1;
            continue;
        }
        let mut k = i + 1;
        while k < tokens.len() && k - i <= 4 && tokens[k].kind.is_number() && tokens[k].joined {
            k += 1;
        }
        let name_start = k;
        let mut found = None;
        while k < tokens.len() && k - name_start <= 4 && tokens[k].utterance == t.utterance {
            let w = &tokens[k];
            if k > name_start && street_type(w) {
                found = Some(k + 1);
                break;
            }
            let name_word = proper(w)
                || matches!(w.kind, Kind::Ordinal(_))
                || matches!(
                    w.lower.as_str(),
                    "north" | "south" | "east" | "west" | "old"
                );
            if !name_word || tokens[k - 1].stop_after {
                break;
            }
            k += 1;
        }
        match found {
            Some(end) => {
                let end = tail(tokens, end, claims);
                if let Some(e) = claims.claim(i..end, PiiType::Address) {
                    spans.push((e, end));
                }
                i = end;
            }
            None => i += 1,
        }
    }
}

/// Extends an address over the address-shaped tokens after `end` in the same turn.
fn tail(tokens: &[Token], mut end: usize, claims: &Claims) -> usize {
    let start = end;
    while end < tokens.len()
        && end - start < LONGEST
        && tokens[end].utterance == tokens[end - 1].utterance
        && !tokens[end - 1].stop_after
        && claims.is_free(end)
        && (address_ish(&tokens[end])
            || (tokens[end].lower == "in"
                && tokens
                    .get(end + 1)
                    .is_some_and(|n| proper(n) || is_region(n))))
    {
        end += 1;
    }
    end
}

fn skip_fillers(tokens: &[Token], mut k: usize, limit: usize) -> usize {
    while k < limit.min(tokens.len()) && FILLERS.contains(&tokens[k].lower.as_str()) {
        k += 1;
    }
    k
}

fn after_cue(
    tokens: &[Token],
    cue_end: usize,
    claims: &mut Claims,
    spans: &mut Vec<(usize, usize)>,
) {
    let start = skip_fillers(tokens, cue_end, cue_end + REACH);
    if start >= tokens.len() || !claims.is_free(start) || !address_ish(&tokens[start]) {
        return;
    }
    let end = tail(tokens, start + 1, claims);
    if let Some(e) = claims.claim(start..end, PiiType::Address) {
        spans.push((e, end));
    }
}

fn postal_after(
    tokens: &[Token],
    cue_end: usize,
    claims: &mut Claims,
    spans: &mut Vec<(usize, usize)>,
) {
    let start = skip_fillers(tokens, cue_end, cue_end + REACH);
    let Some(t) = tokens.get(start) else { return };
    if !claims.is_free(start) {
        return;
    }
    let end = if t.kind.is_number() || t.kind == Kind::Letters {
        let runs = numbers::runs(&tokens[start..(start + 12).min(tokens.len())]);
        match runs.first() {
            Some(r) if r.tokens.start == 0 && (5..=9).contains(&r.digits.len()) => {
                start + r.tokens.end
            }
            _ => spelled_postcode(tokens, start).unwrap_or(start),
        }
    } else if t.upper && postcode().is_match(&t.lower.to_ascii_uppercase()) {
        start + 1
    } else {
        start
    };
    if end > start {
        let end = tail(tokens, end, claims);
        if let Some(e) = claims.claim(start..end, PiiType::Address) {
            spans.push((e, end));
        }
    }
}

/// A UK or Canadian postcode written (`SW1A 1AA`, `K1A 0B1`) or spelled ("K 1 A 0 B 1"),
/// and a ZIP right after a state (`Illinois 62704`) with the town before it.
fn postcodes(tokens: &[Token], claims: &mut Claims, spans: &mut Vec<(usize, usize)>) {
    for i in 0..tokens.len() {
        if !claims.is_free(i) {
            continue;
        }
        let t = &tokens[i];
        let end = if t.upper
            && t.lower.len() >= 2
            && t.lower.len() <= 4
            && t.lower.bytes().any(|b| b.is_ascii_digit())
        {
            // Outward and inward halves written apart: "SW1A 1AA".
            let both = tokens
                .get(i + 1)
                .filter(|n| n.joined && n.upper)
                .map(|n| format!("{}{}", t.lower, n.lower).to_ascii_uppercase());
            match both {
                Some(b) if postcode().is_match(&b) => Some(i + 2),
                _ => postcode()
                    .is_match(&t.lower.to_ascii_uppercase())
                    .then_some(i + 1),
            }
        } else if t.kind == Kind::Letters {
            spelled_postcode(tokens, i)
        } else if is_region(t) {
            zip_after_region(tokens, i, claims, spans);
            None
        } else {
            None
        };
        if let Some(end) = end {
            if let Some(e) = claims.claim(i..end, PiiType::Address) {
                spans.push((e, end));
            }
        }
    }
}

fn spelled_postcode(tokens: &[Token], start: usize) -> Option<usize> {
    let mut code = String::new();
    for (k, t) in tokens.iter().enumerate().skip(start).take(8) {
        if k > start && (!t.joined || t.utterance != tokens[start].utterance) {
            break;
        }
        match t.kind {
            Kind::Letters => code.push_str(&t.value),
            Kind::Spoken | Kind::Digits { .. } if t.value.len() <= 2 => code.push_str(&t.value),
            _ => break,
        }
        if code.len() >= 5 && postcode().is_match(&code) {
            return Some(k + 1);
        }
    }
    None
}

fn zip_after_region(
    tokens: &[Token],
    region: usize,
    claims: &mut Claims,
    spans: &mut Vec<(usize, usize)>,
) {
    let Some(run) = numbers::runs(&tokens[region + 1..(region + 12).min(tokens.len())])
        .into_iter()
        .next()
        .filter(|r| r.tokens.start == 0 && matches!(r.digits.len(), 5 | 9))
    else {
        return;
    };
    if !tokens[region + 1].joined {
        return;
    }
    let mut start = region;
    while start > 0
        && region - start < 3
        && proper(&tokens[start - 1])
        && tokens[start].joined
        && tokens[start - 1].utterance == tokens[region].utterance
        && claims.is_free(start - 1)
    {
        start -= 1;
    }
    let end = region + 1 + run.tokens.end;
    if let Some(e) = claims.claim(start..end, PiiType::Address) {
        spans.push((e, end));
    }
}

/// An address that ends its turn goes on in the same speaker's next turn (one short turn of
/// the other party may come between) when that turn starts address-shaped: town, state, ZIP.
fn continue_into_next_turns(
    tokens: &[Token],
    turns: &[Turn<'_>],
    entity: usize,
    mut end: usize,
    claims: &mut Claims,
) {
    for _ in 0..2 {
        if end >= tokens.len() || tokens[end].utterance == tokens[end - 1].utterance {
            return;
        }
        let speaker = turns[tokens[end - 1].utterance].speaker;
        let mut k = end;
        // Skip one short turn of someone else.
        if turns[tokens[k].utterance].speaker != speaker {
            let other = tokens[k].utterance;
            let first = k;
            while k < tokens.len() && tokens[k].utterance == other {
                k += 1;
            }
            if k - first > 6 || k >= tokens.len() || turns[tokens[k].utterance].speaker != speaker {
                return;
            }
        }
        let start = skip_fillers(tokens, k, k + 3);
        if start >= tokens.len() || !claims.is_free(start) || !address_ish(&tokens[start]) {
            return;
        }
        let stop = tail(tokens, start + 1, claims);
        claims.extend(entity, start..stop);
        end = stop;
    }
}
