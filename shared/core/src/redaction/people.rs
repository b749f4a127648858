//! Names without a model: after a name cue ("my name is", "last name", "this is … speaking"),
//! after a title (Mr, Ms, Dr), spelled out ("L O C K W O O D"), common given names with the
//! surname after them, the call's own people (agent and customer names when the source gives
//! them), and every later mention of a name found once.

use rustc_hash::FxHashSet;

use super::cues::{Cue, Found};
use super::lists::lists;
use super::spans::Claims;
use super::tokens::{Kind, Token};
use super::{CallPeople, PiiType};

const TITLES: [&str; 11] = [
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "mister",
    "missus",
    "doctor",
    "prof",
    "professor",
];
const FILLERS: [&str; 10] = [
    "uh", "um", "er", "it's", "is", "yes", "yeah", "sure", "so", "well",
];
const AFTER_NAME: [&str; 8] = [
    "speaking", "from", "with", "calling", "here", "at", "and", "over",
];

fn nameish(t: &Token) -> bool {
    t.kind == Kind::Word
        && t.lower.len() >= 2
        && t.lower
            .chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && !lists().stop.contains(t.lower.as_str())
        && !lists().street_types.contains(t.lower.as_str())
        && !TITLES.contains(&t.lower.as_str())
}

pub fn detect(tokens: &[Token], cues: &[Found], people: &CallPeople, claims: &mut Claims) {
    let l = lists();
    let mut known: FxHashSet<String> = people
        .names
        .iter()
        .flat_map(|n| n.split(|c: char| !c.is_alphabetic() && c != '\''))
        .filter(|p| p.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect();
    for found in cues {
        let strong = match found.cue {
            Cue::StrongName => true,
            Cue::WeakName => false,
            _ => continue,
        };
        after_cue(tokens, found.end, strong, &known, claims);
    }
    for i in 0..tokens.len() {
        let t = &tokens[i];
        if !claims.is_free(i) {
            continue;
        }
        if TITLES.contains(&t.lower.as_str()) {
            let end = name_words(tokens, i + 1, 2, false, claims);
            if end > i + 1 {
                claims.claim(i + 1..end, PiiType::Name);
            }
        } else if t.kind == Kind::Letters {
            let end = spelled(tokens, i, claims);
            if end - i >= 3 || tokens[i..end].iter().map(|t| t.value.len()).sum::<usize>() >= 3 {
                claims.claim(i..end, PiiType::Name);
            }
        } else if t.capital
            && nameish(t)
            && (l.first_names.contains(t.lower.as_str()) || known.contains(&t.lower))
        {
            let end = if t.stop_after {
                i + 1
            } else {
                name_words(tokens, i + 1, 1, false, claims)
            };
            claims.claim(i..end, PiiType::Name);
        }
    }
    // Every later (or earlier) mention of a name found once.
    for (i, t) in tokens.iter().enumerate() {
        if let Some((_, PiiType::Name)) = claims.owner(i) {
            if t.kind == Kind::Letters {
                known.insert(t.value.to_lowercase());
            } else if t.lower.len() >= 3 {
                known.insert(t.lower.clone());
            }
        }
    }
    for (i, t) in tokens.iter().enumerate() {
        if claims.is_free(i) && known.contains(&t.lower) && nameish(t) {
            claims.claim(i..i + 1, PiiType::Name);
        }
    }
}

/// The end of up to `most` name words from `start` (capitalised unless `lower_ok`).
fn name_words(
    tokens: &[Token],
    start: usize,
    most: usize,
    lower_ok: bool,
    claims: &Claims,
) -> usize {
    let mut end = start;
    while end < tokens.len()
        && end - start < most
        && claims.is_free(end)
        && (end == start || (tokens[end].joined && !tokens[end - 1].stop_after))
        && tokens[end].utterance == tokens[start].utterance
        && nameish(&tokens[end])
        && (tokens[end].capital || lower_ok)
    {
        end += 1;
    }
    end
}

fn spelled(tokens: &[Token], start: usize, claims: &Claims) -> usize {
    let mut end = start + 1;
    while end < tokens.len()
        && tokens[end].kind == Kind::Letters
        && tokens[end].joined
        && tokens[end].utterance == tokens[start].utterance
        && claims.is_free(end)
    {
        end += 1;
    }
    end
}

fn after_cue(
    tokens: &[Token],
    cue_end: usize,
    strong: bool,
    known: &FxHashSet<String>,
    claims: &mut Claims,
) {
    let mut k = cue_end;
    while k < tokens.len() && k < cue_end + 3 && FILLERS.contains(&tokens[k].lower.as_str()) {
        k += 1;
    }
    let Some(t) = tokens.get(k).filter(|_| claims.is_free(k)) else {
        return;
    };
    if t.kind == Kind::Letters {
        let end = spelled(tokens, k, claims);
        if tokens[k..end].iter().map(|t| t.value.len()).sum::<usize>() >= 2 {
            claims.claim(k..end, PiiType::Name);
        }
        return;
    }
    if !nameish(t) {
        return;
    }
    if strong {
        let end = name_words(tokens, k, 3, !t.capital, claims);
        claims.claim(k..end.max(k + 1), PiiType::Name);
        return;
    }
    if !t.capital {
        return;
    }
    let end = name_words(tokens, k, 2, false, claims);
    let next = tokens.get(end);
    let confirmed = lists().first_names.contains(t.lower.as_str())
        || known.contains(&t.lower)
        || tokens[end - 1].stop_after
        || next
            .is_some_and(|n| n.utterance != t.utterance || AFTER_NAME.contains(&n.lower.as_str()));
    if confirmed {
        claims.claim(k..end, PiiType::Name);
    }
}
