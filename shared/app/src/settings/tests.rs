//! The settings use case and the per-function cache on in-memory ports.

use std::sync::Arc;

use callscope_core::analysis::Analyser;
use callscope_core::pipeline::ProcessCall;
use callscope_core::settings::Section;

use super::*;
use crate::admit::AdmitCalls;
use crate::consume;
use crate::memory::{FixedClock, MemoryCalls, MemoryDeadLetter, MemoryPublisher, MemorySettings};
use crate::process::ProcessCalls;
use crate::test_support::{call, call_id, correlation, received, tenant};
use crate::Deadline;

struct Fixture {
    store: Arc<MemorySettings>,
    clock: Arc<FixedClock>,
    settings: Settings,
}

fn fixture() -> Fixture {
    let store = Arc::new(MemorySettings::default());
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = SettingsCache::new(store.clone(), clock.clone())
        .with_default_analyser(Arc::new(Analyser::default()));
    let settings = Settings::new(store.clone(), cache, clock.clone());
    Fixture {
        store,
        clock,
        settings,
    }
}

const SCORECARD: &str = r#"{"criteria": [
    {"measure": "tracker_present", "tracker": "greeting", "weight": 50},
    {"measure": "questions_agent", "weight": 50, "benchmark": {"min": 5}}]}"#;
const TRACKERS: &str = r#"{"mode": "replace", "rules": [{"name": "greeting", "category": "custom", "phrases": ["brings you here"]}]}"#;

#[tokio::test]
async fn each_write_moves_the_version_on_and_a_stale_one_is_refused() {
    let f = fixture();
    let acme = tenant("acme");
    let (v1, _) = f
        .settings
        .put(&acme, Section::Trackers, TRACKERS.as_bytes(), Some(0))
        .await
        .expect("first write");
    assert_eq!(v1, 1);
    let (v2, _) = f
        .settings
        .put(&acme, Section::Scorecard, SCORECARD.as_bytes(), Some(1))
        .await
        .expect("second write");
    assert_eq!(v2, 2);
    let stale = f
        .settings
        .put(&acme, Section::Retention, br#"{"days": 30}"#, Some(1))
        .await
        .expect_err("version 1 is stale");
    assert!(
        matches!(
            stale,
            SettingsError::Stale {
                expected: 1,
                current: 2
            }
        ),
        "{stale:?}"
    );
    let stored = f.settings.load(&acme).await.expect("load");
    assert_eq!(stored.settings.version, 2);
    assert_eq!(
        stored.settings.retention.days, None,
        "the stale write changed nothing"
    );
    assert_eq!(stored.settings.trackers.rules[0].name, "greeting");
    let other = f.settings.load(&tenant("globex")).await.expect("load");
    assert_eq!(
        other.settings.version, 0,
        "another tenant's settings are its own"
    );
}

#[tokio::test]
async fn an_invalid_section_is_refused_and_nothing_is_stored() {
    let f = fixture();
    let refused = f
        .settings
        .put(
            &tenant("acme"),
            Section::Scorecard,
            br#"{"criteria": []}"#,
            None,
        )
        .await
        .expect_err("no criteria");
    assert!(
        matches!(&refused, SettingsError::Invalid(e) if e.field == "criteria"),
        "{refused:?}"
    );
    assert_eq!(
        f.settings
            .load(&tenant("acme"))
            .await
            .expect("load")
            .settings
            .version,
        0
    );
}

#[tokio::test]
async fn the_cache_loads_a_tenant_once_a_minute_and_keeps_the_last_settings_while_the_store_fails()
{
    let f = fixture();
    let acme = tenant("acme");
    f.settings
        .put(&acme, Section::Trackers, TRACKERS.as_bytes(), None)
        .await
        .expect("write");
    let cache = f.settings.cache().clone();
    for _ in 0..10 {
        assert_eq!(
            cache.get(&acme).await.expect("settings").settings.version,
            1
        );
    }
    assert_eq!(f.store.loads(), 1, "ten reads within the minute load once");
    // Written elsewhere (another sandbox): this one sees it only after the TTL.
    f.store
        .put_section(
            &acme,
            &Section::Retention.read(br#"{"days": 7}"#).expect("valid"),
            None,
            f.clock.now(),
        )
        .await
        .expect("write");
    f.clock
        .advance(chrono::Duration::seconds(SETTINGS_TTL_SECONDS - 1));
    assert_eq!(
        cache.get(&acme).await.expect("settings").settings.version,
        1
    );
    f.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        cache.get(&acme).await.expect("settings").settings.version,
        2
    );
    assert_eq!(f.store.loads(), 2);
    f.store.fail(true);
    f.clock
        .advance(chrono::Duration::seconds(SETTINGS_TTL_SECONDS));
    assert_eq!(
        cache
            .get(&acme)
            .await
            .expect("the last settings")
            .settings
            .version,
        2
    );
    assert!(
        cache.get(&tenant("globex")).await.is_err(),
        "never loaded: an error"
    );
}

#[tokio::test]
async fn a_processed_call_is_scored_by_its_tenants_scorecard_and_expires_with_its_retention() {
    let f = fixture();
    let acme = tenant("acme");
    for (section, body) in [
        (Section::Trackers, TRACKERS),
        (Section::Scorecard, SCORECARD),
        (Section::Retention, r#"{"days": 30}"#),
    ] {
        f.settings
            .put(&acme, section, body.as_bytes(), None)
            .await
            .expect("write");
    }
    let calls = Arc::new(MemoryCalls::default());
    let admit = AdmitCalls::new(
        calls.clone(),
        Arc::new(MemoryPublisher::default()),
        f.clock.clone(),
    );
    admit
        .admit(
            &acme,
            vec![(call("c-1", "ana"), correlation("c-1"))],
            Deadline::NONE,
        )
        .await;
    let process = ProcessCalls::new(
        calls.clone(),
        Arc::new(MemoryPublisher::default()),
        f.clock.clone(),
        Arc::new(Analyser::default()),
    )
    .with_settings(f.settings.cache().clone());
    let message = serde_json::to_string(&ProcessCall {
        tenant: acme.clone(),
        call_id: call_id("c-1"),
        correlation_id: correlation("c-1"),
        revision: None,
    })
    .expect("json");
    let failed = consume(
        &process,
        &MemoryDeadLetter::default(),
        &[received("m1", &message, &[])],
        Deadline::NONE,
    )
    .await;
    assert!(failed.is_empty());
    let analysis = calls.analysis(&acme, &call_id("c-1")).expect("analysed");
    let names: Vec<&str> = analysis
        .trackers
        .iter()
        .map(|h| h.tracker.as_str())
        .collect();
    assert_eq!(names, ["greeting"], "only the tenant's rules run (replace)");
    // The greeting is there; one question of the five the scorecard asks for.
    assert_eq!(analysis.score, 50);
    assert_eq!(analysis.settings_version, Some(3));
    assert_eq!(analysis.recommendations.len(), 1);
    assert_eq!(analysis.recommendations[0].metric, "questions_agent");
    let now = f.clock.now().time().timestamp();
    assert_eq!(
        calls.expires_at(&acme, &call_id("c-1")),
        Some(now + 30 * 86_400)
    );
}

#[tokio::test]
async fn parked_deliveries_are_listed_newest_first_up_to_the_limit() {
    use crate::memory::{MemoryParked, MemorySecrets};
    use crate::ports::{ParkedDeliveries, ParkedDelivery};
    let f = fixture();
    let parked = Arc::new(MemoryParked::default());
    let settings = f.settings.with_webhooks(
        Arc::new(MemorySecrets::default()),
        parked.clone(),
        callscope_core::settings::EndpointPolicy::HttpsOnly,
    );
    let acme = tenant("acme");
    assert_eq!(
        settings.parked_deliveries(&acme, 2).await.expect("listed"),
        (vec![], false)
    );
    for (event, at) in [
        ("e-1", "2026-11-02T10:00:00Z"),
        ("e-3", "2026-11-02T12:00:00Z"),
        ("e-2", "2026-11-02T11:00:00Z"),
    ] {
        let record = ParkedDelivery {
            event_id: event.into(),
            kind: "CallAnalysed".into(),
            call_id: None,
            reason: "down".into(),
            attempts: 8,
            parked_at: FixedClock::at(at).now(),
        };
        parked.record(&acme, &record).await.expect("recorded");
    }
    let (listed, more) = settings.parked_deliveries(&acme, 2).await.expect("listed");
    let ids: Vec<&str> = listed.iter().map(|p| p.event_id.as_str()).collect();
    assert_eq!((ids, more), (vec!["e-3", "e-2"], true));
    let (all, more) = settings.parked_deliveries(&acme, 3).await.expect("listed");
    assert_eq!((all.len(), more), (3, false));
    let other = settings.parked_deliveries(&tenant("globex"), 3).await;
    assert_eq!(other.expect("listed"), (vec![], false));
}
