//! What the rollups must be, computed directly (from the calls as sent, or from the analyses
//! as stored) rather than through the pipeline, and the stored rollups compared with it field
//! by field: the end-to-end tests and the chaos run prove "nothing lost, nothing counted twice"
//! with the same comparison.

use std::collections::BTreeMap;

use callscope_cloud::dynamo::DynamoRollups;
use callscope_core::analysis::Analyser;
use callscope_core::domain::{CorrelationId, TenantId};
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::{coalesce, CallAnalysed, RollupKey, RollupTotals};
use serde_json::Value;

/// The events the pipeline should emit for these call documents of one tenant, by analysing
/// each document here (redacted first, as ingest does).
pub fn analysed_from_documents(
    tenant: &TenantId,
    documents: &[Value],
) -> anyhow::Result<Vec<CallAnalysed>> {
    let analyser = Analyser::default();
    let correlation_id = CorrelationId::parse("correlation_id", "expected")?;
    documents
        .iter()
        .map(|doc| {
            let (call, redactions) = formats::parse_value(doc.clone(), Format::Auto)?.redacted();
            let analysis =
                analyser.analyse(&call.utterances, Some(call.duration_seconds), redactions);
            Ok(CallAnalysed::new(
                tenant.clone(),
                &call,
                &analysis,
                correlation_id.clone(),
            ))
        })
        .collect()
}

/// The rollups those events add up to: each distinct call once per key.
pub fn rollups_of<'a>(
    events: impl IntoIterator<Item = &'a CallAnalysed>,
) -> BTreeMap<RollupKey, RollupTotals> {
    coalesce(events)
}

/// Every difference between the expected rollups and the stored ones, one line each (a key
/// missing from the store is one); empty when they agree. Sums of floats are compared to a
/// relative 1e-6: the store adds them in another order.
pub async fn mismatches(
    store: &DynamoRollups,
    expected: &BTreeMap<RollupKey, RollupTotals>,
) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for (key, want) in expected {
        let name = format!("{key:?}");
        match store.get(key).await? {
            None => found.push(format!("{name} is missing")),
            Some(got) => found.extend(differences(want, &got).map(|d| format!("{name} {d}"))),
        }
    }
    Ok(found)
}

fn differences<'a>(
    want: &'a RollupTotals,
    got: &'a RollupTotals,
) -> impl Iterator<Item = String> + 'a {
    let exact = [
        ("calls", want.calls, got.calls),
        ("score_sum", want.score_sum, got.score_sum),
        ("questions_agent", want.questions_agent, got.questions_agent),
        (
            "questions_customer",
            want.questions_customer,
            got.questions_customer,
        ),
    ]
    .into_iter()
    .filter(|(_, w, g)| w != g)
    .map(|(what, w, g)| format!("{what}: expected {w}, got {g}"));
    let close = [
        (
            "duration_seconds",
            want.duration_seconds,
            got.duration_seconds,
        ),
        ("talk_ratio_sum", want.talk_ratio_sum, got.talk_ratio_sum),
        ("sentiment_sum", want.sentiment_sum, got.sentiment_sum),
    ]
    .into_iter()
    .filter(|(_, w, g)| (w - g).abs() > 1e-6 * w.abs().max(1.0))
    .map(|(what, w, g)| format!("{what}: expected {w}, got {g}"));
    let maps = [
        ("tracker_hits", &want.tracker_hits, &got.tracker_hits),
        ("outcomes", &want.outcomes, &got.outcomes),
    ]
    .into_iter()
    .filter(|(_, w, g)| w != g)
    .map(|(what, w, g)| format!("{what}: expected {w:?}, got {g:?}"));
    exact.chain(close).chain(maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_differing_field_is_named_and_close_floats_are_equal() {
        let want = RollupTotals {
            calls: 2,
            duration_seconds: 120.0,
            talk_ratio_sum: 0.9,
            outcomes: BTreeMap::from([("won".to_owned(), 1)]),
            ..RollupTotals::default()
        };
        let mut got = want.clone();
        got.talk_ratio_sum += 1e-12;
        assert_eq!(differences(&want, &got).count(), 0);
        got.calls = 3;
        got.duration_seconds = 180.0;
        got.outcomes.clear();
        let found: Vec<String> = differences(&want, &got).collect();
        assert_eq!(
            found,
            [
                "calls: expected 2, got 3",
                "duration_seconds: expected 120, got 180",
                "outcomes: expected {\"won\": 1}, got {}",
            ]
        );
    }
}
