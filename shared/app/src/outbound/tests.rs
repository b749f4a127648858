use std::collections::BTreeSet;
use std::sync::Arc;

use callscope_core::domain::Timestamp;
use callscope_core::pipeline::events::CallAnalysedDetail;
use callscope_core::redaction::RedactionCounts;

use super::*;
use crate::memory::{MemoryBus, MemoryCalls, MemoryExport};
use crate::ports::{CallRepository, ReceivedCall};
use crate::test_support::{analyse, call, call_id, correlation, tenant};

const AT: &str = "2026-11-02T10:00:00Z";

struct World {
    calls: Arc<MemoryCalls>,
    bus: Arc<MemoryBus>,
    objects: Arc<MemoryExport>,
    outbound: Outbound,
}

async fn world(ids: &[&str], transcript_tenants: &[&str]) -> World {
    let calls = Arc::new(MemoryCalls::default());
    let acme = tenant("acme");
    for id in ids {
        let received = ReceivedCall {
            tenant: acme.clone(),
            call: call(id, "sam"),
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
    let objects = Arc::new(MemoryExport::default());
    let outbound = Outbound::new(
        calls.clone(),
        bus.clone(),
        objects.clone(),
        transcript_tenants
            .iter()
            .map(|t| tenant(t))
            .collect::<BTreeSet<_>>(),
    );
    World {
        calls,
        bus,
        objects,
        outbound,
    }
}

fn processed(id: &str) -> Processed {
    Processed {
        tenant: tenant("acme"),
        call_id: call_id(id),
        analysed_at: Timestamp::parse("at", AT).unwrap(),
    }
}

#[tokio::test]
async fn each_processed_call_is_published_and_exported_in_one_file_per_tenant_day() {
    let w = world(&["c1", "c2"], &[]).await;
    let report = w
        .outbound
        .handle(&[processed("c1"), processed("c2")], "seq-1")
        .await;
    assert_eq!(report.retry_from, None);
    assert_eq!(report.published, 2);
    assert_eq!(report.exported_rows, 2);
    assert_eq!(
        report.files,
        vec!["calls/tenant=acme/day=2026-11-02/seq-1.parquet".to_owned()]
    );
    let events = w.bus.accepted();
    let details: Vec<CallAnalysedDetail> = events
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    let stored = w.calls.analysis(&tenant("acme"), &call_id("c1")).unwrap();
    assert_eq!(details[0].call_id, call_id("c1"));
    assert_eq!(details[0].score, stored.score);
    assert_eq!(details[0].event_id, "acme/c1/2026-11-02T10:00:00.000Z");
    assert!(!events[0].detail.contains("ana@example.com"));
    assert_eq!(w.objects.objects().len(), 1);
}

#[tokio::test]
async fn a_refused_event_retries_the_batch_from_it_and_nothing_before_it_is_sent_twice() {
    let w = world(&["c1", "c2", "c3"], &[]).await;
    w.bus.refuse_details_containing(Some("\"call_id\":\"c2\""));
    let batch = [processed("c1"), processed("c2"), processed("c3")];
    let report = w.outbound.handle(&batch, "seq-1").await;
    assert_eq!(report.published, 2, "c1, and c3 which shared c2's request");
    assert_eq!(report.retry_from, Some(1));
    w.bus.refuse_details_containing(None);
    let retry = w.outbound.handle(&batch[1..], "seq-2").await;
    assert_eq!(retry.retry_from, None);
    let ids: Vec<String> = w
        .bus
        .accepted()
        .iter()
        .map(|e| {
            serde_json::from_str::<CallAnalysedDetail>(&e.detail)
                .unwrap()
                .call_id
                .to_string()
        })
        .collect();
    // c3 shared c2's request and the bus took it, so the retry from c2 sends it again; c1,
    // before the refused entry, is never sent twice.
    assert_eq!(ids, ["c1", "c3", "c2", "c3"]);
    let c3: BTreeSet<String> = w
        .bus
        .accepted()
        .iter()
        .filter(|e| e.detail.contains("\"call_id\":\"c3\""))
        .map(|e| {
            serde_json::from_str::<CallAnalysedDetail>(&e.detail)
                .unwrap()
                .event_id
        })
        .collect();
    assert_eq!(
        c3.len(),
        1,
        "a resent event keeps its id, so subscribers drop it"
    );
}

#[tokio::test]
async fn an_export_that_cannot_be_written_publishes_nothing_and_retries_everything() {
    let w = world(&["c1"], &[]).await;
    w.objects.set_unavailable(true);
    let report = w.outbound.handle(&[processed("c1")], "seq-1").await;
    assert_eq!(report.retry_from, Some(0));
    assert!(w.bus.accepted().is_empty());
}

#[tokio::test]
async fn a_store_that_cannot_be_read_retries_from_the_call_it_could_not_read() {
    let w = world(&["c1"], &[]).await;
    w.calls.set_unavailable(true);
    let report = w.outbound.handle(&[processed("c1")], "seq-1").await;
    assert_eq!(report.retry_from, Some(0));
    assert!(w.bus.accepted().is_empty());
    assert!(w.objects.objects().is_empty());
}

#[tokio::test]
async fn a_call_gone_since_sends_nothing_and_is_not_retried() {
    let w = world(&["c1"], &[]).await;
    let report = w.outbound.handle(&[processed("missing")], "seq-1").await;
    assert_eq!(report, OutboundReport::default());
}

#[tokio::test]
async fn the_transcript_is_exported_only_for_tenants_that_opted_in() {
    let without = world(&["c1"], &[]).await;
    without.outbound.handle(&[processed("c1")], "s").await;
    let with = world(&["c1"], &["acme"]).await;
    with.outbound.handle(&[processed("c1")], "s").await;
    let contains = |objects: &MemoryExport, needle: &str| {
        objects
            .objects()
            .values()
            .any(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
    };
    // Snappy leaves short literals readable; the redacted line is in the file only when opted in.
    assert!(contains(&with.objects, "what brings you here"));
    assert!(!contains(&without.objects, "what brings you here"));
}
