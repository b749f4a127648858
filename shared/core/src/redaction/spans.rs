//! Spans: detectors claim tokens of the call-wide stream for a type (the first claim wins, in
//! the order emails, dates, numbers, addresses, names); claims become findings per utterance;
//! findings rewrite the text, and the word times of replaced words merge into one time per
//! placeholder so they stay one per word.

use std::ops::Range;

use crate::domain::{Utterance, WordTime};

use super::tokens::{self, Token, Turn};
use super::{CallPeople, PiiType, Redactor};

/// One stretch of one utterance to replace. A span read over several turns gives one finding
/// per turn, sharing an `entity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub utterance: usize,
    /// Bytes of the utterance's text.
    pub range: Range<usize>,
    pub pii: PiiType,
    pub entity: usize,
}

/// Which entity owns each token.
#[derive(Debug)]
pub struct Claims {
    owner: Vec<Option<u32>>,
    entities: Vec<PiiType>,
}

impl Claims {
    fn new(tokens: usize) -> Self {
        Self {
            owner: vec![None; tokens],
            entities: Vec::new(),
        }
    }

    pub fn is_free(&self, i: usize) -> bool {
        self.owner.get(i).is_some_and(Option::is_none)
    }

    pub fn all_free(&self, range: Range<usize>) -> bool {
        range.into_iter().all(|i| self.is_free(i))
    }

    /// The entity and type owning token `i`.
    pub fn owner(&self, i: usize) -> Option<(usize, PiiType)> {
        let e = (*self.owner.get(i)?)? as usize;
        Some((e, self.entities[e]))
    }

    /// Claims the free tokens of `range` as a new entity; `None` when none was free.
    pub fn claim(&mut self, range: Range<usize>, pii: PiiType) -> Option<usize> {
        if !range.clone().any(|i| self.is_free(i)) {
            return None;
        }
        let entity = self.entities.len();
        self.entities.push(pii);
        self.extend(entity, range);
        Some(entity)
    }

    /// Gives the tokens of `range` owned by `from` to `to`: two typed parts of one number.
    pub fn merge(&mut self, range: Range<usize>, from: usize, to: usize) {
        for i in range {
            if self.owner[i] == Some(from as u32) {
                self.owner[i] = Some(to as u32);
            }
        }
    }

    /// Adds the free tokens of `range` to an existing entity.
    pub fn extend(&mut self, entity: usize, range: Range<usize>) {
        for i in range {
            if self.is_free(i) {
                self.owner[i] = Some(entity as u32);
            }
        }
    }
}

pub fn find(redactor: &Redactor, turns: &[Turn<'_>], people: &CallPeople) -> Vec<Finding> {
    let tokens = tokens::tokenize(turns);
    if tokens.is_empty() {
        return Vec::new();
    }
    let cues = redactor.cues.find(&tokens);
    let mut claims = Claims::new(tokens.len());
    super::email::detect(&tokens, &mut claims);
    let spent = super::dates::detect(&tokens, &cues, &mut claims);
    let typed = super::numbers::detect(&tokens, turns, &cues, spent, &mut claims);
    super::places::detect(&tokens, turns, &cues, &mut claims);
    super::numbers::join_fragments(&tokens, turns, &cues, &typed, &mut claims);
    super::people::detect(&tokens, &cues, people, &mut claims);
    findings(&tokens, &claims)
        .into_iter()
        .filter(|f| redactor.policy.redacts(f.pii))
        .collect()
}

/// Runs of tokens with one owner in one utterance, joined by separators only, as findings.
fn findings(tokens: &[Token], claims: &Claims) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some((entity, pii)) = claims.owner(i) else {
            continue;
        };
        match out.last_mut() {
            Some(last)
                if last.entity == entity
                    && last.utterance == t.utterance
                    && t.joined
                    && claims.owner(i - 1).is_some_and(|(e, _)| e == entity) =>
            {
                last.range.end = t.end;
            }
            _ => out.push(Finding {
                utterance: t.utterance,
                range: t.start..t.end,
                pii,
                entity,
            }),
        }
    }
    out
}

/// One text with its findings (all of utterance 0, in order) replaced by placeholders.
pub fn replace(text: &str, findings: &[Finding]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for f in findings {
        out.push_str(&text[at..f.range.start]);
        out.push_str(f.pii.placeholder());
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The utterances with their findings replaced; untouched utterances are cloned as they are.
pub fn rewrite(utterances: &[Utterance], findings: &[Finding]) -> Vec<Utterance> {
    let mut out = Vec::with_capacity(utterances.len());
    let mut next = 0;
    for (u, utterance) in utterances.iter().enumerate() {
        let from = next;
        while next < findings.len() && findings[next].utterance == u {
            next += 1;
        }
        let mine = &findings[from..next];
        if mine.is_empty() {
            out.push(utterance.clone());
            continue;
        }
        out.push(Utterance {
            text: replace(&utterance.text, mine),
            word_times: merged_word_times(utterance, mine),
            ..utterance.clone()
        });
    }
    out
}

/// The word times after replacement: the words a placeholder replaced share one time, from the
/// first one's start to the last one's end, so there is still one time per word. Times that
/// were not one per word to begin with are kept as they came.
fn merged_word_times(utterance: &Utterance, findings: &[Finding]) -> Vec<WordTime> {
    let times = &utterance.word_times;
    let words: Vec<Range<usize>> = tokens::words(&utterance.text)
        .map(|(s, w)| s..s + w.len())
        .collect();
    if times.is_empty() || times.len() != words.len() {
        return times.clone();
    }
    let mut out: Vec<WordTime> = Vec::with_capacity(times.len());
    let mut last_finding: Option<usize> = None;
    let mut f = 0;
    for (w, range) in words.iter().enumerate() {
        while f < findings.len() && findings[f].range.end <= range.start {
            f += 1;
        }
        let hit = (f < findings.len() && findings[f].range.start < range.end).then_some(f);
        match (hit, last_finding, out.last_mut()) {
            (Some(h), Some(l), Some(last)) if h == l => last.end = times[w].end,
            _ => out.push(times[w]),
        }
        last_finding = hit;
    }
    out
}
