//! The labelled evaluation set's format and scoring, shared by `examples/pii_report` and
//! `tests/pii_eval.rs`. A call is lines `Agent: …` / `Customer: …`; PII is marked
//! `[[type|text]]`, or `[[type#k|text]]` for the parts of one entity read over several turns;
//! `# names: A B, C D` gives the call's people; `---` separates calls.

#![allow(dead_code)] // shared with tests/pii.rs, which reads only part of it

use std::collections::BTreeMap;
use std::ops::Range;

use callscope_core::domain::Role;
use callscope_core::redaction::{CallPeople, PiiType, Redactor};

#[derive(Debug, Clone)]
pub struct Call {
    pub name: String,
    pub people: CallPeople,
    pub turns: Vec<(Role, String)>,
    pub gold: Vec<Gold>,
}

#[derive(Debug, Clone)]
pub struct Gold {
    pub pii: PiiType,
    pub parts: Vec<(usize, Range<usize>)>,
}

pub fn parse(name: &str, text: &str) -> Vec<Call> {
    text.split("\n---")
        .enumerate()
        .map(|(i, block)| parse_call(&format!("{name}#{i}"), block))
        .filter(|c| !c.turns.is_empty())
        .collect()
}

fn parse_call(name: &str, block: &str) -> Call {
    let mut call = Call {
        name: name.to_owned(),
        people: CallPeople::default(),
        turns: Vec::new(),
        gold: Vec::new(),
    };
    let mut entities: BTreeMap<String, usize> = BTreeMap::new();
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(names) = line.strip_prefix("# names:") {
            call.people.names = names.split(',').map(|n| n.trim().to_owned()).collect();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (who, marked) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}: no speaker in {line:?}"));
        let role = match who {
            "Agent" => Role::Agent,
            "Customer" => Role::Customer,
            _ => Role::Other,
        };
        let u = call.turns.len();
        let mut text = String::new();
        let mut rest = marked;
        while let Some(open) = rest.find("[[") {
            text.push_str(&rest[..open]);
            let close = rest[open..]
                .find("]]")
                .unwrap_or_else(|| panic!("{name}: unclosed [[ in {line:?}"))
                + open;
            let (label, value) = rest[open + 2..close]
                .split_once('|')
                .unwrap_or_else(|| panic!("{name}: no | in {line:?}"));
            let (kind, id) = label
                .split_once('#')
                .map_or((label, None), |(k, i)| (k, Some(i)));
            let pii = PiiType::parse(kind).unwrap_or_else(|| panic!("{name}: unknown type {kind}"));
            let range = text.len()..text.len() + value.len();
            text.push_str(value);
            let slot = match id {
                Some(id) => *entities.entry(id.to_owned()).or_insert_with(|| {
                    call.gold.push(Gold {
                        pii,
                        parts: Vec::new(),
                    });
                    call.gold.len() - 1
                }),
                None => {
                    call.gold.push(Gold {
                        pii,
                        parts: Vec::new(),
                    });
                    call.gold.len() - 1
                }
            };
            call.gold[slot].parts.push((u, range));
            rest = &rest[close + 2..];
        }
        text.push_str(rest);
        call.turns.push((role, text));
    }
    call
}

/// Counts for one type.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub gold: u32,
    /// Gold entities wholly replaced, by any placeholder (nothing of them is stored).
    pub hidden: u32,
    /// Gold entities wholly replaced and found as their own type.
    pub recalled: u32,
    pub predicted: u32,
    /// Predicted entities that overlap a gold entity of their type.
    pub correct: u32,
}

impl Tally {
    pub fn recall(&self) -> f64 {
        ratio(self.recalled, self.gold)
    }
    pub fn hidden_rate(&self) -> f64 {
        ratio(self.hidden, self.gold)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.predicted)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Scores every call; `misses` collects a line per miss or false alarm.
pub fn score(
    calls: &[Call],
    redactor: &Redactor,
    misses: &mut Vec<String>,
) -> BTreeMap<PiiType, Tally> {
    let mut tallies: BTreeMap<PiiType, Tally> = PiiType::ALL
        .iter()
        .map(|t| (*t, Tally::default()))
        .collect();
    for call in calls {
        let turns: Vec<(Role, &str)> = call.turns.iter().map(|(r, t)| (*r, t.as_str())).collect();
        let found = redactor.find(&turns, &call.people);
        for g in &call.gold {
            let tally = tallies.entry(g.pii).or_default();
            tally.gold += 1;
            let hidden = g.parts.iter().all(|(u, range)| {
                let text = &call.turns[*u].1;
                range
                    .clone()
                    .filter(|&b| text.as_bytes()[b].is_ascii_alphanumeric())
                    .all(|b| {
                        found
                            .iter()
                            .any(|f| f.utterance == *u && f.range.contains(&b))
                    })
            });
            let typed = found.iter().any(|f| {
                f.pii == g.pii
                    && g.parts
                        .iter()
                        .any(|(u, r)| f.utterance == *u && overlaps(&f.range, r))
            });
            tally.hidden += u32::from(hidden);
            tally.recalled += u32::from(hidden && typed);
            if !(hidden && typed) {
                let text: Vec<&str> = g
                    .parts
                    .iter()
                    .map(|(u, r)| &call.turns[*u].1[r.clone()])
                    .collect();
                misses.push(format!(
                    "{}: missed {} {:?}",
                    call.name,
                    g.pii.as_str(),
                    text
                ));
            }
        }
        let mut entities: BTreeMap<usize, (PiiType, bool, Vec<String>)> = BTreeMap::new();
        for f in &found {
            let right = call.gold.iter().any(|g| {
                g.pii == f.pii
                    && g.parts
                        .iter()
                        .any(|(u, r)| f.utterance == *u && overlaps(&f.range, r))
            });
            let e = entities
                .entry(f.entity)
                .or_insert((f.pii, false, Vec::new()));
            e.1 |= right;
            e.2.push(call.turns[f.utterance].1[f.range.clone()].to_owned());
        }
        for (pii, right, text) in entities.into_values() {
            let tally = tallies.entry(pii).or_default();
            tally.predicted += 1;
            tally.correct += u32::from(right);
            if !right {
                misses.push(format!("{}: false {} {:?}", call.name, pii.as_str(), text));
            }
        }
    }
    tallies
}
