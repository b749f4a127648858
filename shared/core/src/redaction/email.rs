//! E-mail addresses, written (`jane.doe@example.com`) or spoken ("jane dot doe at gmail dot
//! com", "J D O E at example dot co dot uk", "jdoe at gmail.com").

use std::sync::OnceLock;

use regex::Regex;

use super::lists::lists;
use super::spans::Claims;
use super::tokens::{Kind, Token};
use super::PiiType;

fn written() -> &'static Regex {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    EMAIL.get_or_init(|| {
        Regex::new(r"(?i)^(?:mailto:)?[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")
            .expect("valid email pattern")
    })
}

fn domain_token() -> &'static Regex {
    static DOMAIN: OnceLock<Regex> = OnceLock::new();
    DOMAIN.get_or_init(|| {
        Regex::new(r"(?i)^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$").expect("valid domain pattern")
    })
}

const CONNECTORS: [&str; 6] = ["dot", "underscore", "dash", "hyphen", "period", "point"];

pub fn detect(tokens: &[Token], claims: &mut Claims) {
    for (i, t) in tokens.iter().enumerate() {
        if t.lower.contains('@') && written().is_match(&t.lower) {
            claims.claim(i..i + 1, PiiType::Email);
        } else if t.lower == "at" && claims.is_free(i) {
            if let Some(end) = domain_after(tokens, i) {
                if let Some(start) = local_before(tokens, i) {
                    claims.claim(start..end, PiiType::Email);
                }
            }
        }
    }
}

/// The end of "gmail dot com" / "gmail.com" / "example dot co dot uk" after the `at` at `at`.
fn domain_after(tokens: &[Token], at: usize) -> Option<usize> {
    let same = |k: usize| {
        tokens
            .get(k)
            .filter(|t| t.utterance == tokens[at].utterance)
    };
    let first = same(at + 1)?;
    if domain_token().is_match(&first.lower) {
        return Some(at + 2);
    }
    if first.kind != Kind::Word && first.kind != Kind::Letters {
        return None;
    }
    let mut k = at + 2;
    let mut end = None;
    while let (Some(dot), Some(part)) = (same(k), same(k + 1)) {
        if !matches!(dot.lower.as_str(), "dot" | "period" | "point") {
            break;
        }
        k += 2;
        if lists().tlds.contains(part.lower.as_str()) {
            end = Some(k);
        } else if domain_token().is_match(&part.lower) {
            // "example dot co.uk"
            end = Some(k);
            break;
        }
        if k - at > 9 {
            break;
        }
    }
    end
}

/// The start of the local part before `at`: one unit (a word, a spelled run or digits), then
/// more units while connectors ("dot", "underscore") join them. A stop word right before `at`
/// ("we're at acme dot com") means a web site, not an address.
fn local_before(tokens: &[Token], at: usize) -> Option<usize> {
    let utterance = tokens[at].utterance;
    let usable = |k: usize| {
        let t = &tokens[k];
        t.utterance == utterance
            && (t.kind == Kind::Letters || !lists().stop.contains(t.lower.as_str()))
            && !CONNECTORS.contains(&t.lower.as_str())
            && t.lower != "email"
            && t.lower != "address"
    };
    let mut start = at;
    let unit_start = |end: usize| -> Option<usize> {
        if end == 0 || !usable(end - 1) {
            return None;
        }
        let mut s = end - 1;
        // A spelled run or a number run is one unit.
        let kind = tokens[s].kind;
        if kind == Kind::Letters || kind.is_number() {
            while s > 0
                && end - s < 30
                && usable(s - 1)
                && (tokens[s - 1].kind == Kind::Letters || tokens[s - 1].kind.is_number())
            {
                s -= 1;
            }
        }
        Some(s)
    };
    start = unit_start(start)?;
    while start >= 2 && start > at.saturating_sub(16) {
        let c = &tokens[start - 1];
        if c.utterance != utterance || !CONNECTORS.contains(&c.lower.as_str()) {
            break;
        }
        match unit_start(start - 1) {
            Some(s) => start = s,
            None => break,
        }
    }
    Some(start)
}
