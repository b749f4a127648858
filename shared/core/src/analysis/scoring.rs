//! The 0–100 call score and coaching recommendations.
//!
//! The score is a transparent weighted sum: each criterion maps a measured value to 0..1 against
//! a published conversation-intelligence benchmark, and its weight (out of 100) says how much it
//! counts. Criteria that cannot be measured on a call (time-based ones on an untimed transcript,
//! customer sentiment when the customer never spoke) are left out and the remaining weights are
//! rescaled to 100. A recommendation is emitted for every criterion that misses its benchmark,
//! carrying the measured value as evidence and the benchmark with its source.

mod criteria;

use serde::{Deserialize, Serialize};

use crate::analysis::CallAnalysis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The metric the recommendation is about (a `CallAnalysis` field name).
    pub metric: String,
    pub message: String,
    /// The measured value.
    pub evidence: f64,
    /// The target, in words and numbers.
    pub benchmark: String,
    /// Where the benchmark comes from.
    pub source: String,
    pub priority: Priority,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub score: u8,
    pub recommendations: Vec<Recommendation>,
}

// A frame of its own, so `make profile` can attribute this stage (one call per analysis).
#[inline(never)]
pub fn assess(analysis: &CallAnalysis) -> Assessment {
    let evaluations: Vec<criteria::Evaluation> = criteria::evaluate(analysis);
    let total_weight: f64 = evaluations.iter().map(|e| e.criterion.weight).sum();
    let score = if total_weight > 0.0 {
        let earned: f64 = evaluations
            .iter()
            .map(|e| e.criterion.weight * e.attainment)
            .sum();
        (earned / total_weight * 100.0).round().clamp(0.0, 100.0) as u8
    } else {
        0
    };
    let mut missed: Vec<&criteria::Evaluation> =
        evaluations.iter().filter(|e| e.attainment < 1.0).collect();
    // Most important first: priority, then the score points the miss costs.
    missed.sort_by(|a, b| {
        a.criterion.priority.cmp(&b.criterion.priority).then(
            (b.criterion.weight * (1.0 - b.attainment))
                .total_cmp(&(a.criterion.weight * (1.0 - a.attainment))),
        )
    });
    Assessment {
        score,
        recommendations: missed
            .into_iter()
            .map(|e| Recommendation {
                metric: e.criterion.metric.to_owned(),
                message: e.message.clone(),
                evidence: e.evidence,
                benchmark: e.criterion.benchmark.to_owned(),
                source: e.criterion.source.to_owned(),
                priority: e.criterion.priority,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
