//! The stream adapter on in-memory ports, with stream events shaped as Lambda delivers them.

use std::collections::BTreeSet;

use callscope_app::memory::{MemoryBus, MemoryCalls, MemoryExport};

use super::*;

fn event(file: &str) -> Event {
    let path = format!(
        "{}/../../events/dynamodb/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn only_the_change_that_makes_a_call_processed_is_a_transition() {
    let event = event("calls_became_processed.json");
    let found: Vec<(String, String)> = event
        .records
        .iter()
        .filter_map(transition)
        .map(|p| (p.call_id.to_string(), p.analysed_at.to_string()))
        .collect();
    // The analysis item, the second PROCESSED write of call-0001 (process ran twice) and a
    // FAILED call are not.
    assert_eq!(
        found,
        [
            (
                "call-0001".to_owned(),
                "2026-11-02T10:00:00.000Z".to_owned()
            ),
            (
                "call-0002".to_owned(),
                "2026-11-02T10:00:02.000Z".to_owned()
            ),
        ]
    );
}

#[test]
fn a_re_analysis_is_sent_out_again_and_its_earlier_rows_leave_the_export() {
    let reanalysed = event("call_reanalysed.json");
    let record = &reanalysed.records[0];
    let sent = transition(record).expect("a later revision is a transition");
    assert_eq!(
        (sent.call_id.as_str(), sent.analysed_at.to_string().as_str()),
        ("call-0001", "2026-11-09T08:00:00.000Z")
    );
    let replaced = superseded(record).expect("the earlier analysis's rows go");
    assert_eq!(
        replaced.analysed_until.to_string(),
        "2026-11-02T10:00:01.000Z"
    );
    assert_eq!(replaced.day.to_string(), "2026-11-02");
    assert_eq!(
        replaced.removal,
        Removal::Superseded,
        "no erasure mark for it"
    );
    // Process running twice (the same revision) neither sends nor removes anything.
    let batch = event("calls_became_processed.json");
    let twice = &batch.records[2];
    assert!(transition(twice).is_none() && superseded(twice).is_none());
}

#[tokio::test]
async fn a_batch_whose_calls_cannot_be_read_is_retried_from_its_first_transition() {
    let calls = Arc::new(MemoryCalls::default());
    calls.set_unavailable(true);
    let bus = Arc::new(MemoryBus::default());
    let handler = StreamHandler::new(Outbound::new(
        calls,
        bus.clone(),
        Arc::new(MemoryExport::default()),
        BTreeSet::new(),
    ));
    let response = handler.handle(event("calls_became_processed.json")).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("4421584500000000017450439102".to_owned())]);
    assert!(bus.accepted().is_empty());
}

#[test]
fn only_the_removal_of_a_processed_call_item_is_an_erasure_for_the_export() {
    let event = event("call_erased.json");
    let found: Vec<ErasedCall> = event.records.iter().filter_map(erasure).collect();
    // The analysis item's removal, and a call that was never PROCESSED (never exported), are not.
    assert_eq!(
        found,
        [ErasedCall {
            tenant: TenantId::parse("tenant", "acme").unwrap(),
            call_id: CallId::parse("call_id", "call-0001").unwrap(),
            day: Day::parse("day", "2026-11-02").unwrap(),
            analysed_until: Timestamp::parse("at", "2026-11-02T10:00:00Z").unwrap(),
            removal: Removal::Erased,
        }]
    );
    assert!(event.records.iter().all(|r| transition(r).is_none()));
}

#[tokio::test]
async fn an_erasure_the_export_cannot_take_yet_is_retried_from_its_record() {
    let export = Arc::new(MemoryExport::default());
    export.set_unavailable(true);
    let handler = StreamHandler::new(Outbound::new(
        Arc::new(MemoryCalls::default()),
        Arc::new(MemoryBus::default()),
        export.clone(),
        BTreeSet::new(),
    ))
    .with_erasure(ExportErasure::new(export));
    let response = handler.handle(event("call_erased.json")).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("4421584500000000017450439202".to_owned())]);
}

#[tokio::test]
async fn a_transcript_expired_by_the_tenants_retention_takes_its_raw_object_along() {
    use callscope_app::memory::MemoryObjects;
    use callscope_app::ports::{CallRepository, ReceivedCall, StoredObject};
    use callscope_core::formats::{self, Format};
    use callscope_core::objects::SourceObject;

    let calls = Arc::new(MemoryCalls::default());
    let objects = Arc::new(MemoryObjects::default());
    for (id, key) in [
        ("call-0007", "acme/calls/7.json"),
        ("call-0008", "acme/calls/8.json"),
    ] {
        let doc = serde_json::json!({"call_id": id, "agent_id": "ana", "customer_id": "c-1",
            "start_time": "2026-11-02T10:00:00Z", "transcript": "Agent: Hello.\nCustomer: Hi."});
        let source = SourceObject {
            bucket: "dropin".into(),
            key: key.into(),
            version_id: None,
            sidecar_key: None,
            recording_key: None,
        };
        calls
            .put_received(&ReceivedCall {
                tenant: TenantId::parse("tenant", "acme").unwrap(),
                call: formats::parse_value(doc, Format::Auto).expect("a call"),
                content_hash: format!("hash-{id}"),
                redactions: Default::default(),
                correlation_id: callscope_core::domain::CorrelationId::parse("correlation_id", id)
                    .expect("an id"),
                received_at: Timestamp::parse("at", "2026-11-02T10:00:01Z").unwrap(),
                source: Some(source),
            })
            .await
            .expect("stored");
        objects.put("dropin", key, StoredObject::default());
    }
    let handler = StreamHandler::new(Outbound::new(
        calls.clone(),
        Arc::new(MemoryBus::default()),
        Arc::new(MemoryExport::default()),
        BTreeSet::new(),
    ))
    .with_raw_retention(RawRetention::new(calls, objects.clone()));
    let response = handler.handle(event("transcript_expired.json")).await;
    assert!(response.batch_item_failures.is_empty());
    // The TTL's removal of call-0007's transcript takes its object; the erasure's removal of
    // call-0008's (the erasure deletes its object itself) and the TTL's analysis do not.
    assert!(!objects.contains("dropin", "acme/calls/7.json"));
    assert!(objects.contains("dropin", "acme/calls/8.json"));

    // A store that cannot delete now: the record is retried.
    objects.put("dropin", "acme/calls/7.json", StoredObject::default());
    objects.set_unavailable(true);
    let response = handler.handle(event("transcript_expired.json")).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("4421584500000000017450439301".to_owned())]);
}
