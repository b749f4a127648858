//! Alerts on in-memory ports: one `CallAlert` per fired rule after its call's `CallAnalysed`,
//! the same ids whenever a transition is sent again, rules read once a minute per tenant.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use callscope_core::domain::Timestamp;
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::call_alert::CallAlertDetail;
use callscope_core::redaction::RedactionCounts;
use callscope_core::settings::{Measured, Section};

use crate::memory::{FixedClock, MemoryBus, MemoryCalls, MemoryExport, MemorySettings};
use crate::outbound::{Alerts, Outbound, Processed};
use crate::ports::{CallRepository, ReceivedCall, SettingsStore};
use crate::settings::SettingsCache;
use crate::test_support::{analyse, call_id, correlation, document, tenant};

const AT: &str = "2026-11-02T10:00:00Z";

struct World {
    calls: Arc<MemoryCalls>,
    bus: Arc<MemoryBus>,
    settings: Arc<MemorySettings>,
    outbound: Outbound,
}

/// Calls of tenant acme, each with its outcome.
async fn world(calls_with_outcome: &[(&str, Option<&str>)]) -> World {
    let calls = Arc::new(MemoryCalls::default());
    let acme = tenant("acme");
    for (id, outcome) in calls_with_outcome {
        let mut doc = document(id, "sam");
        if let Some(o) = outcome {
            doc["outcome"] = serde_json::json!(o);
        }
        let received = ReceivedCall {
            tenant: acme.clone(),
            call: formats::parse_value(doc, Format::Auto).expect("call"),
            content_hash: format!("hash-{id}"),
            redactions: RedactionCounts::default(),
            correlation_id: correlation(&format!("corr-{id}")),
            received_at: Timestamp::parse("at", AT).unwrap(),
            source: None,
        };
        calls.put_received(&received).await.unwrap();
        analyse(&calls, &acme, id, AT, true).await;
    }
    let bus = Arc::new(MemoryBus::default());
    let settings = Arc::new(MemorySettings::default());
    let clock = Arc::new(FixedClock::at(AT));
    let outbound = Outbound::new(
        calls.clone(),
        bus.clone(),
        Arc::new(MemoryExport::default()),
        BTreeSet::new(),
    )
    .with_alerts(Alerts::new(SettingsCache::new(settings.clone(), clock)));
    World {
        calls,
        bus,
        settings,
        outbound,
    }
}

async fn write_rules(w: &World, body: &str) {
    let value = Section::Alerts.read(body.as_bytes()).expect("valid rules");
    w.settings
        .put_section(
            &tenant("acme"),
            &value,
            None,
            Timestamp::parse("at", AT).unwrap(),
        )
        .await
        .expect("stored");
}

fn processed(id: &str) -> Processed {
    Processed {
        tenant: tenant("acme"),
        call_id: call_id(id),
        analysed_at: Timestamp::parse("at", AT).unwrap(),
    }
}

fn alerts(w: &World) -> Vec<CallAlertDetail> {
    w.bus
        .accepted()
        .iter()
        .filter(|e| e.detail_type == "CallAlert")
        .map(|e| serde_json::from_str(&e.detail).expect("CallAlert detail"))
        .collect()
}

/// A rule that fires on the fixture calls' own score (all of them score the same).
fn score_rule(w: &World, id: &str) -> String {
    let score = w
        .calls
        .analysis(&tenant("acme"), &call_id(id))
        .unwrap()
        .score;
    format!(
        r#"{{"id": "low", "name": "Low score", "condition": {{"kind": "score_below", "score": {}}}}}"#,
        score + 1
    )
}

#[tokio::test]
async fn each_fired_rule_raises_one_alert_after_its_calls_analysed_event() {
    let w = world(&[("lost-1", Some("lost")), ("won-1", Some("won"))]).await;
    let rules = format!(
        r#"{{"rules": [{},
            {{"id": "lost", "name": "Deal lost", "condition": {{"kind": "outcome_is", "outcome": "lost"}}}},
            {{"id": "never", "name": "Never", "condition": {{"kind": "tracker_hit", "tracker": "no-such"}}}}]}}"#,
        score_rule(&w, "lost-1")
    );
    write_rules(&w, &rules).await;
    let report = w
        .outbound
        .handle(&[processed("lost-1"), processed("won-1")], "seq-1")
        .await;
    assert_eq!(report.retry_from, None);
    assert_eq!(report.published, 5, "two CallAnalysed, three alerts");
    assert_eq!(report.alerts, 3);
    let order: Vec<(String, String)> = w
        .bus
        .accepted()
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
            (
                e.detail_type.clone(),
                v["event_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let id = |s: &str| format!("acme/{s}");
    assert_eq!(
        order,
        [
            ("CallAnalysed".into(), id("lost-1/2026-11-02T10:00:00.000Z")),
            (
                "CallAlert".into(),
                id("lost-1/2026-11-02T10:00:00.000Z/low")
            ),
            (
                "CallAlert".into(),
                id("lost-1/2026-11-02T10:00:00.000Z/lost")
            ),
            ("CallAnalysed".into(), id("won-1/2026-11-02T10:00:00.000Z")),
            ("CallAlert".into(), id("won-1/2026-11-02T10:00:00.000Z/low")),
        ]
    );
    let lost = &alerts(&w)[1];
    assert_eq!(lost.rule.name, "Deal lost");
    assert_eq!(lost.agent_id.as_str(), "sam");
    assert_eq!(lost.team_id.as_ref().map(|t| t.as_str()), Some("east"));
    assert_eq!(lost.settings_version, 1);
    assert_eq!(lost.evidence.value, Measured::Text("lost".into()));
    assert_eq!(lost.links.call, "/api/v1/calls/lost-1");
    assert_eq!(
        lost.analysis_event_id,
        "acme/lost-1/2026-11-02T10:00:00.000Z"
    );
}

#[tokio::test]
async fn a_transition_sent_again_raises_the_same_alerts_under_the_same_ids() {
    let w = world(&[("c1", None), ("c2", None)]).await;
    write_rules(&w, &format!(r#"{{"rules": [{}]}}"#, score_rule(&w, "c1"))).await;
    let batch = [processed("c1"), processed("c2")];
    w.outbound.handle(&batch, "seq-1").await;
    // The stream retrying the batch (the function died after the bus took it).
    w.outbound.handle(&batch, "seq-1").await;
    let mut per_call: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for alert in alerts(&w) {
        per_call
            .entry(alert.call_id.to_string())
            .or_default()
            .insert(alert.event_id);
    }
    assert_eq!(per_call.len(), 2);
    assert!(
        per_call.values().all(|ids| ids.len() == 1),
        "one alert per call, whatever the repeats: {per_call:?}"
    );
}

#[tokio::test]
async fn a_refused_alert_retries_from_its_call_and_keeps_every_id() {
    let w = world(&[("c1", None), ("c2", None)]).await;
    write_rules(&w, &format!(r#"{{"rules": [{}]}}"#, score_rule(&w, "c1"))).await;
    w.bus.refuse_details_containing(Some(
        "\"event_id\":\"acme/c2/2026-11-02T10:00:00.000Z/low\"",
    ));
    let batch = [processed("c1"), processed("c2")];
    let report = w.outbound.handle(&batch, "seq-1").await;
    assert_eq!(report.retry_from, Some(1), "c2's alert was refused");
    w.bus.refuse_details_containing(None);
    let retry = w.outbound.handle(&batch[1..], "seq-2").await;
    assert_eq!(retry.retry_from, None);
    let ids: Vec<String> = alerts(&w).into_iter().map(|a| a.event_id).collect();
    assert_eq!(
        ids,
        [
            "acme/c1/2026-11-02T10:00:00.000Z/low",
            "acme/c2/2026-11-02T10:00:00.000Z/low"
        ]
    );
}

#[tokio::test]
async fn rules_that_cannot_be_read_send_nothing_of_that_call_and_retry_it() {
    let w = world(&[("c1", None)]).await;
    write_rules(&w, &format!(r#"{{"rules": [{}]}}"#, score_rule(&w, "c1"))).await;
    w.settings.fail(true);
    let report = w.outbound.handle(&[processed("c1")], "seq-1").await;
    assert_eq!(report.retry_from, Some(0));
    assert!(
        w.bus.accepted().is_empty(),
        "no CallAnalysed without its alerts"
    );
    w.settings.fail(false);
    let retry = w.outbound.handle(&[processed("c1")], "seq-1").await;
    assert_eq!((retry.retry_from, retry.alerts), (None, 1));
}

#[tokio::test]
async fn a_tenants_rules_are_read_once_per_minute_not_per_call() {
    let w = world(&[("c1", None), ("c2", None), ("c3", None)]).await;
    write_rules(&w, &format!(r#"{{"rules": [{}]}}"#, score_rule(&w, "c1"))).await;
    w.outbound
        .handle(&[processed("c1"), processed("c2")], "seq-1")
        .await;
    w.outbound.handle(&[processed("c3")], "seq-2").await;
    assert_eq!(w.settings.loads(), 1);
    assert_eq!(alerts(&w).len(), 3);
}

#[tokio::test]
async fn a_tenant_without_rules_gets_no_alerts() {
    let w = world(&[("c1", Some("lost"))]).await;
    let report = w.outbound.handle(&[processed("c1")], "seq-1").await;
    assert_eq!((report.published, report.alerts), (1, 0));
}
