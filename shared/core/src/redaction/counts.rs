//! What redaction replaced: the three v1 counts (e-mails, phone and card numbers, under their
//! v1 JSON names) and, added beside them, a count per type.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Finding, PiiType};

/// How many of each kind of PII were replaced (a span read over several turns counts once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionCounts {
    pub emails: u32,
    pub phone_numbers: u32,
    pub card_numbers: u32,
    /// Every type, by [`PiiType::as_str`]; types never found are left out.
    #[serde(default, skip_serializing_if = "TypeCounts::is_empty")]
    pub by_type: TypeCounts,
}

impl RedactionCounts {
    pub fn total(&self) -> u32 {
        self.by_type
            .0
            .iter()
            .sum::<u32>()
            .max(self.emails + self.phone_numbers + self.card_numbers)
    }

    pub fn add(&mut self, other: RedactionCounts) {
        self.emails += other.emails;
        self.phone_numbers += other.phone_numbers;
        self.card_numbers += other.card_numbers;
        for (mine, theirs) in self.by_type.0.iter_mut().zip(other.by_type.0) {
            *mine += theirs;
        }
    }

    pub fn of(&self, pii: PiiType) -> u32 {
        self.by_type.0[pii as usize]
    }

    fn record(&mut self, pii: PiiType) {
        self.by_type.0[pii as usize] += 1;
        match pii {
            PiiType::Email => self.emails += 1,
            PiiType::Phone => self.phone_numbers += 1,
            PiiType::CreditDebitNumber => self.card_numbers += 1,
            _ => {}
        }
    }
}

/// A count per [`PiiType`], written as a JSON object of the non-zero ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeCounts([u32; PiiType::ALL.len()]);

impl TypeCounts {
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|c| *c == 0)
    }
}

impl Serialize for TypeCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&str, u32> = PiiType::ALL
            .iter()
            .filter(|t| self.0[**t as usize] > 0)
            .map(|t| (t.as_str(), self.0[*t as usize]))
            .collect();
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TypeCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, u32>::deserialize(deserializer)?;
        let mut counts = TypeCounts::default();
        // Types a newer version wrote and this one does not know are skipped, not refused.
        for (name, count) in map {
            if let Some(t) = PiiType::parse(&name) {
                counts.0[t as usize] = count;
            }
        }
        Ok(counts)
    }
}

/// Counts entities: findings sharing an entity id are one.
pub fn count(findings: &[Finding]) -> RedactionCounts {
    let mut counts = RedactionCounts::default();
    let mut seen = rustc_hash::FxHashSet::default();
    for f in findings {
        if seen.insert(f.entity) {
            counts.record(f.pii);
        }
    }
    counts
}
