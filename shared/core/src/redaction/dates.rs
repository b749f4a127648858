//! Dates after a date-of-birth or expiry cue: "March 14th, 1985", "03/14/1985", "nineteen
//! eighty five", "oh four twenty seven", "04/27", "April twenty twenty seven". Without a cue a
//! date is not PII (meetings, renewals), so nothing here looks at uncued dates.

use super::cues::{Cue, Found};
use super::numbers;
use super::spans::Claims;
use super::tokens::{Kind, Token};
use super::validators;
use super::PiiType;

/// How far after its cue a date may start.
const REACH: usize = 8;

fn date_ish(t: &Token) -> bool {
    if t.lower == "the" {
        return false;
    }
    matches!(t.kind, Kind::Month(_) | Kind::Ordinal(_)) || (t.kind.is_number() && t.lower != "o")
}

fn connector(t: &Token) -> bool {
    matches!(t.lower.as_str(), "the" | "of")
}

/// Claims the dates; returns the cues it spent (by their end).
pub fn detect(tokens: &[Token], cues: &[Found], claims: &mut Claims) -> Vec<usize> {
    let mut spent = Vec::new();
    for found in cues {
        let pii = match found.cue {
            Cue::Pii(p @ (PiiType::DateOfBirth | PiiType::CreditDebitExpiry)) => p,
            _ => continue,
        };
        let Some(start) = (found.end..(found.end + REACH).min(tokens.len()))
            .find(|&k| date_ish(&tokens[k]) && claims.is_free(k))
        else {
            continue;
        };
        // "the fourteenth of March": the article goes with the date.
        let start =
            if start > found.end && tokens[start - 1].lower == "the" && claims.is_free(start - 1) {
                start - 1
            } else {
                start
            };
        let mut end = start + 1;
        while end < tokens.len() && end - start < 10 {
            let t = &tokens[end];
            let continues = t.utterance == tokens[start].utterance
                && t.joined
                && !tokens[end - 1].stop_after
                && (date_ish(t) || (connector(t) && tokens.get(end + 1).is_some_and(date_ish)));
            if !continues {
                break;
            }
            end += 1;
        }
        if valid(pii, &tokens[start..end]) {
            claims.claim(start..end, pii);
            spent.push(found.end);
        }
    }
    spent
}

fn valid(pii: PiiType, span: &[Token]) -> bool {
    let month = span.iter().any(|t| matches!(t.kind, Kind::Month(_)));
    let day = span.iter().any(|t| matches!(t.kind, Kind::Ordinal(_)));
    let runs = numbers::runs(span);
    let digits: String = runs.iter().map(|r| r.digits.as_str()).collect();
    let slash = span
        .iter()
        .any(|t| matches!(t.kind, Kind::Digits { slash: true, .. }));
    match pii {
        PiiType::DateOfBirth => {
            (month && (day || !digits.is_empty()))
                || validators::date_digits(&digits)
                || (slash && (4..=8).contains(&digits.len()))
                || (day && digits.len() >= 2)
        }
        _ => {
            (month && !digits.is_empty())
                || validators::expiry_digits(&digits)
                || (slash && (3..=6).contains(&digits.len()))
        }
    }
}
