//! What one list request costs as a tenant grows, and what a hostile client gets, against the
//! local cloud: the request meter on the DynamoDB client counts the Query pages and read units
//! of the same list request over a tenant of N calls and one of 10N (seeded through the store,
//! not the pipeline: the emulator is slow), and forged, foreign, oversized or out-of-range input
//! through the API Gateway-shaped path is a 4xx naming the parameter.

use std::sync::Arc;

use callscope_app::ports::{CallRepository, ListFilter, NoCache, ReceivedCall};
use callscope_app::query::{CursorKey, ListCalls, ListLimits, Queries};
use callscope_core::domain::{CorrelationId, TenantId, Timestamp};
use callscope_core::formats::{self, Format};
use callscope_tests::{metered_local_pipeline, TestCloud, TENANT};
use futures::StreamExt;
use serde_json::json;

const SMALL: usize = 30;
const LARGE: usize = 10 * SMALL;

/// Stores `n` calls of `tenant` as ingest does (same shape and size for every tenant, so the
/// meter prices their items alike), one a minute from 2026-11-01.
async fn seed(calls: &dyn CallRepository, tenant: &str, n: usize) {
    let tenant = TenantId::parse("tenant", tenant).expect("tenant");
    futures::stream::iter(0..n)
        .map(|i| {
            let tenant = tenant.clone();
            async move {
                let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
                    .expect("time")
                    .to_utc()
                    + chrono::Duration::minutes(i as i64);
                let document = json!({
                    "call_id": format!("c-{i:04}"), "agent_id": "ana", "customer_id": "cust-1",
                    "start_time": start.to_rfc3339(),
                    "transcript": format!("Agent: Hello from {tenant}, thanks for the call.\nCustomer: Hi.")
                });
                let call = formats::parse_value(document, Format::Auto).expect("call");
                let content_hash = call.fingerprint();
                let (call, redactions) = call.redacted();
                let received = ReceivedCall {
                    tenant,
                    call,
                    content_hash,
                    redactions,
                    correlation_id: CorrelationId::parse("c", format!("c-{i}")).expect("id"),
                    received_at: Timestamp::new(start),
                    source: None,
                };
                calls.put_received(&received).await.expect("stored");
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

fn list(tenant: &str, offset: usize) -> ListCalls {
    ListCalls {
        filter: ListFilter {
            tenant: TenantId::parse("tenant", tenant).expect("tenant"),
            agent: None,
            team: None,
            from: None,
            to: None,
            min_sentiment: None,
            max_sentiment: None,
        },
        limit: 10,
        offset,
        cursor: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_a_list_reads_stays_the_same_as_the_tenant_grows_tenfold() {
    let (pipeline, meter) = metered_local_pipeline().await;
    let store = pipeline.calls_store();
    // Tenant names of one length, so both tenants' items are the same size.
    seed(&store, "small", SMALL).await;
    seed(&store, "large", LARGE).await;
    let table = pipeline.table("CallsTable").to_owned();
    let queries = |limits: ListLimits| {
        Queries::new(
            pipeline.clients.calls(&table),
            pipeline.clients.rollups(pipeline.table("AnalyticsTable")),
            Arc::new(NoCache),
            CursorKey::new(b"the test's cursor secret").expect("key"),
        )
        .with_limits(limits)
    };
    // Budgets below the small tenant's size stand for the deployed ones below a large tenant's.
    let bounded = queries(ListLimits {
        page_budget: 25,
        count_budget: 20,
        page_bytes: 1_500_000,
    });
    let unbounded = queries(ListLimits {
        page_budget: usize::MAX,
        count_budget: usize::MAX,
        page_bytes: 1_500_000,
    });
    // (Query requests, Query read units, total, total_exact) of one list request.
    let measure = |queries: Queries, tenant: &'static str, offset: usize| {
        let meter = meter.clone();
        async move {
            meter.reset();
            let page = queries
                .list_calls(list(tenant, offset))
                .await
                .expect("listed")
                .value;
            assert_eq!(page.calls.len(), 10, "{tenant}: a full page");
            assert!(page.next_cursor.is_some());
            let usage = meter.usage();
            let query = usage.operations["dynamodb:Query"].clone();
            (
                query.requests,
                query.read_units,
                page.total,
                page.total_exact,
            )
        }
    };
    let mut report = Vec::new();
    for offset in [0, 15] {
        let small = measure(bounded.clone(), "small", offset).await;
        let large = measure(bounded.clone(), "large", offset).await;
        report.push(format!(
            "offset {offset}: {SMALL} calls {small:?}, {LARGE} calls {large:?}"
        ));
        assert_eq!(
            (small.0, small.1),
            (large.0, large.1),
            "offset {offset}: the same Query pages and read units at {SMALL} and {LARGE} calls"
        );
        // A lower bound past the count budget: what was counted, or what this page saw.
        let bound = (20).max(offset as u64 + 10);
        assert_eq!((small.2, small.3), (bound, false));
        assert_eq!((large.2, large.3), (bound, false));
    }
    // The control: counting everything reads ten times the index, so the meter sees growth.
    let small = measure(unbounded.clone(), "small", 0).await;
    let large = measure(unbounded, "large", 0).await;
    report.push(format!("unbounded: {small:?} vs {large:?}"));
    assert_eq!((small.2, small.3), (SMALL as u64, true));
    assert_eq!((large.2, large.3), (LARGE as u64, true));
    assert!(large.1 > small.1, "{report:?}");
    eprintln!("{}", report.join("; "));
    pipeline.teardown().await.expect("teardown");
}

#[tokio::test]
async fn a_hostile_client_gets_4xx_naming_the_parameter_and_never_another_tenants_calls() {
    let cloud = TestCloud::start().await;
    let store = cloud.calls_store();
    seed(&store, TENANT, 3).await;
    seed(&store, "globex", 3).await;
    let first = cloud.get("/api/v1/calls?limit=1", Some(TENANT)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cursor = first.body["next_cursor"].as_str().expect("more").to_owned();
    let (payload, tag) = cursor.split_once('.').expect("signed");
    let long = "a".repeat(5_000);
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        (format!("cursor={cursor}"), Some("globex"), "cursor"),
        (
            format!("cursor={cursor}&agent_id=ana"),
            Some(TENANT),
            "cursor",
        ),
        (
            format!("cursor={}.{tag}", &payload[1..]),
            Some(TENANT),
            "cursor",
        ),
        (format!("cursor={payload}"), Some(TENANT), "cursor"),
        (
            format!("cursor={}", "A".repeat(4_000)),
            Some(TENANT),
            "cursor",
        ),
        ("cursor=%00".into(), Some(TENANT), "cursor"),
        ("offset=18446744073709551615".into(), Some(TENANT), "offset"),
        ("offset=1000000000000".into(), Some(TENANT), "offset"),
        ("min_sentiment=NaN".into(), Some(TENANT), "min_sentiment"),
        ("max_sentiment=inf".into(), Some(TENANT), "max_sentiment"),
        (format!("agent_id={long}"), Some(TENANT), "agent_id"),
        ("agent_id=ana%00".into(), Some(TENANT), "agent_id"),
    ];
    for (query, tenant, name) in cases {
        let reply = cloud.get(&format!("/api/v1/calls?{query}"), tenant).await;
        let case = &query[..query.len().min(60)];
        assert_eq!(reply.status, 422, "{case}: {}", reply.body);
        assert_eq!(
            reply.body["detail"][0]["loc"],
            json!(["query", name]),
            "{case}"
        );
    }
    for path in [
        format!("/api/v1/calls/{long}"),
        "/api/v1/calls/c-0001%00".into(),
    ] {
        let reply = cloud.get(&path, Some(TENANT)).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(reply.body["detail"][0]["loc"], json!(["path", "call_id"]));
    }
    // The cursor goes on for its own tenant; the other tenant's calls of the same ids never show.
    let next = cloud
        .get(
            &format!("/api/v1/calls?limit=5&cursor={cursor}"),
            Some(TENANT),
        )
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    let ids: Vec<&str> = next.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["call_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["c-0001", "c-0000"]);
    for call in next.body["calls"].as_array().expect("calls") {
        let transcript = call["transcript"].as_str().expect("transcript");
        assert!(transcript.contains("from acme"), "{transcript}");
    }
    cloud.cleanup().await;
}
