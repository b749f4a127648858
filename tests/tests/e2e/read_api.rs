//! The read path end to end in the local cloud: the v1 query API through API Gateway-shaped
//! events, over DynamoDB, with the Redis cache kept fresh by the tables' streams.

use callscope_core::analysis::Analyser;
use callscope_core::formats::{self, Format};
use callscope_samples::generate_call_document;
use callscope_tests::redis::OwnRedis;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

const AGENTS: [&str; 2] = ["ana", "ben"];
const TEAMS: [Option<&str>; 3] = [Some("east"), Some("west"), None];
const DAYS: [&str; 3] = ["2026-11-01", "2026-11-02", "2026-11-03"];

/// Twelve short generated calls across agents, teams and days.
fn documents() -> Vec<Value> {
    (0..12)
        .map(|i| {
            let mut doc =
                generate_call_document(1 + (i % 2) as u32, 100 + i as u64, &format!("r-{i:02}"));
            doc["agent_id"] = json!(AGENTS[i % 2]);
            doc["team_id"] = TEAMS[i % 3].map_or(Value::Null, Value::from);
            doc["start_time"] = json!(format!("{}T{:02}:00:00Z", DAYS[i % 3], 9 + i));
            doc.as_object_mut()
                .expect("object")
                .retain(|_, v| !v.is_null());
            doc
        })
        .collect()
}

/// What each document's listing should say: (call_id, agent, team, start, customer sentiment).
fn expected(documents: &[Value]) -> Vec<(String, String, Option<String>, String, f64)> {
    let analyser = Analyser::default();
    documents
        .iter()
        .map(|doc| {
            let call = formats::parse_value(doc.clone(), Format::Auto).expect("valid");
            let (call, redactions) = call.redacted();
            let analysis =
                analyser.analyse(&call.utterances, Some(call.duration_seconds), redactions);
            (
                call.call_id.to_string(),
                call.agent_id.to_string(),
                call.team_id.map(|t| t.to_string()),
                doc["start_time"].as_str().expect("start").to_owned(),
                analysis.customer_sentiment_score,
            )
        })
        .collect()
}

async fn seeded(cloud: &TestCloud) -> Vec<Value> {
    let documents = documents();
    cloud.post_bulk_until_accepted(&documents).await;
    cloud.drain().await;
    documents
}

#[tokio::test]
async fn totals_are_exact_under_every_combination_of_filters() {
    let cloud = TestCloud::start().await;
    let documents = seeded(&cloud).await;
    let rows = expected(&documents);
    let sentiments: Vec<f64> = rows.iter().map(|r| r.4).collect();
    let median = {
        let mut s = sentiments.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    };
    let mut checked = 0;
    for mask in 0..32_u32 {
        let mut query = vec!["limit=100".to_owned()];
        let agent = (mask & 1 != 0).then_some("ana");
        let team = (mask & 2 != 0).then_some("east");
        let from = (mask & 4 != 0).then_some("2026-11-02T00:00:00Z");
        let to = (mask & 8 != 0).then_some("2026-11-02T23:59:59Z");
        let min = (mask & 16 != 0).then_some(median);
        if let Some(a) = agent {
            query.push(format!("agent_id={a}"));
        }
        if let Some(t) = team {
            query.push(format!("team_id={t}"));
        }
        if let Some(f) = from {
            query.push(format!("from_date={f}"));
        }
        if let Some(t) = to {
            query.push(format!("to_date={t}"));
        }
        if let Some(m) = min {
            query.push(format!("min_sentiment={m}"));
        }
        let mut want: Vec<&(String, String, Option<String>, String, f64)> = rows
            .iter()
            .filter(|r| agent.is_none_or(|a| r.1 == a))
            .filter(|r| team.is_none_or(|t| r.2.as_deref() == Some(t)))
            .filter(|r| from.is_none_or(|f| r.3.as_str() >= f))
            .filter(|r| to.is_none_or(|t| r.3.as_str() <= t))
            .filter(|r| min.is_none_or(|m| r.4 >= m))
            .collect();
        want.sort_by(|a, b| b.3.cmp(&a.3));
        let reply = cloud
            .get(&format!("/api/v1/calls?{}", query.join("&")), Some(TENANT))
            .await;
        assert_eq!(reply.status, 200, "{query:?}: {}", reply.body);
        assert_eq!(reply.body["total"], want.len(), "{query:?}");
        let ids: Vec<&str> = reply.body["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| c["call_id"].as_str().expect("id"))
            .collect();
        let want_ids: Vec<&str> = want.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            ids, want_ids,
            "{query:?}: newest first, exactly the matching calls"
        );
        checked += 1;
    }
    assert_eq!(checked, 32);
    cloud.cleanup().await;
}

#[tokio::test]
async fn pages_by_cursor_and_offset_cover_every_call_once() {
    let cloud = TestCloud::start().await;
    let documents = seeded(&cloud).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/calls?limit=5&cursor={c}"),
            None => "/api/v1/calls?limit=5".to_owned(),
        };
        let reply = cloud.get(&path, Some(TENANT)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["total"], documents.len());
        seen.extend(
            reply.body["calls"]
                .as_array()
                .expect("calls")
                .iter()
                .map(|c| c["call_id"].as_str().expect("id").to_owned()),
        );
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        (seen.len(), sorted.len()),
        (documents.len(), documents.len())
    );
    let by_offset = cloud
        .get("/api/v1/calls?limit=5&offset=5", Some(TENANT))
        .await;
    let ids: Vec<&str> = by_offset.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["call_id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        seen[5..10].iter().map(String::as_str).collect::<Vec<_>>()
    );
    cloud.cleanup().await;
}

#[tokio::test]
async fn every_endpoint_answers_in_the_v1_shape_and_bad_input_is_named() {
    let cloud = TestCloud::start().await;
    seeded(&cloud).await;
    let detail = cloud.get("/api/v1/calls/r-00", Some(TENANT)).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["status"], "PROCESSED");
    assert_eq!(detail.body["analysis"]["score"], detail.body["score"]);
    // The turns and intervals the page draws survive storage (compressed) and the cache.
    let call = formats::parse_value(documents()[0].clone(), Format::Auto).expect("valid");
    let (call, redactions) = call.redacted();
    let analysis =
        Analyser::default().analyse(&call.utterances, Some(call.duration_seconds), redactions);
    assert_eq!(analysis.turns.len(), call.utterances.utterances().len());
    assert_eq!(detail.body["analysis"]["turns"], json!(analysis.turns));
    assert_eq!(
        detail.body["analysis"]["intervals"],
        json!(analysis.intervals)
    );
    assert!(detail.body["transcript"]
        .as_str()
        .expect("text")
        .starts_with("Agent: "));

    let recommendations = cloud
        .get("/api/v1/calls/r-00/recommendations", Some(TENANT))
        .await;
    assert_eq!(recommendations.status, 200, "{}", recommendations.body);
    let similar = recommendations.body["similar_calls"]
        .as_array()
        .expect("similar");
    assert!(!similar.is_empty(), "generated calls share many phrases");
    assert!(similar.iter().all(|s| s["call_id"] != "r-00"));
    assert!(similar.iter().all(|s| s["similarity_score"]
        .as_f64()
        .is_some_and(|v| v > 0.0 && v <= 1.0)));
    let nudges = recommendations.body["coaching_nudges"]
        .as_array()
        .expect("nudges");
    let analysis = detail.body["analysis"]["recommendations"]
        .as_array()
        .expect("recommendations");
    assert_eq!(nudges.len(), analysis.len());

    let agents = cloud.get("/api/v1/analytics/agents", Some(TENANT)).await;
    let rows: Vec<(&str, u64)> = agents.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| {
            (
                a["agent_id"].as_str().expect("id"),
                a["total_calls"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(rows, [("ana", 6), ("ben", 6)]);
    assert!(agents.body["agents"][0]["avg_sentiment"].is_number());
    assert!(agents.body["agents"][0]["avg_talk_ratio"].is_number());
    let east = cloud
        .get("/api/v1/analytics/agents?team_id=east", Some(TENANT))
        .await;
    let east_total: u64 = east.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| a["total_calls"].as_u64().expect("n"))
        .sum();
    assert_eq!(east_total, 4, "calls r-00, 03, 06, 09 were made in east");

    let ana = cloud
        .get(
            "/api/v1/analytics/agents/ana?from_date=2026-11-02&to_date=2026-11-03",
            Some(TENANT),
        )
        .await;
    let days: Vec<&str> = ana.body["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|d| d["day"].as_str().expect("day"))
        .collect();
    assert_eq!(days, ["2026-11-02", "2026-11-03"]);
    assert_eq!(ana.body["totals"]["total_calls"], 4);
    let team = cloud
        .get("/api/v1/analytics/teams/west", Some(TENANT))
        .await;
    assert_eq!(team.body["totals"]["total_calls"], 4);

    let missing = cloud.get("/api/v1/calls/nope", Some(TENANT)).await;
    assert_eq!(
        (missing.status, missing.body.clone()),
        (404, json!({"detail": "Call nope not found"}))
    );
    let bad = cloud.get("/api/v1/calls?limit=500", Some(TENANT)).await;
    assert_eq!(
        (bad.status, bad.body["detail"][0]["loc"].clone()),
        (422, json!(["query", "limit"]))
    );
    let health = cloud.get("/health", None).await;
    assert_eq!(
        (health.status, health.body["status"].clone()),
        (200, json!("healthy"))
    );
    assert_eq!(health.body["cache"], "up");
    cloud.cleanup().await;
}

#[tokio::test]
async fn one_tenant_never_reads_anothers_calls_lists_or_analytics() {
    let cloud = TestCloud::start().await;
    seeded(&cloud).await;
    let other = Some("globex");
    assert_eq!(cloud.get("/api/v1/calls/r-00", other).await.status, 404);
    assert_eq!(
        cloud
            .get("/api/v1/calls/r-00/recommendations", other)
            .await
            .status,
        404
    );
    let list = cloud.get("/api/v1/calls", other).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        (list.body["total"].clone(), list.body["calls"].clone()),
        (json!(0), json!([]))
    );
    let agents = cloud.get("/api/v1/analytics/agents", other).await;
    assert_eq!(agents.status, 200, "{}", agents.body);
    assert_eq!(agents.body["agents"], json!([]));
    let ana = cloud.get("/api/v1/analytics/agents/ana", other).await;
    assert_eq!(ana.body["totals"]["total_calls"], 0);
    cloud.cleanup().await;
}

#[tokio::test]
async fn a_second_read_hits_the_cache_and_a_write_is_seen_on_the_next_read() {
    let cloud = TestCloud::start().await;
    seeded(&cloud).await;
    let first = cloud.get("/api/v1/calls?agent_id=ana", Some(TENANT)).await;
    let second = cloud.get("/api/v1/calls?agent_id=ana", Some(TENANT)).await;
    assert_eq!(
        (first.header("x-cache"), second.header("x-cache")),
        (Some("miss"), Some("hit"))
    );
    let leaderboard = cloud.get("/api/v1/analytics/agents", Some(TENANT)).await;
    let series = cloud
        .get("/api/v1/analytics/agents/ana", Some(TENANT))
        .await;
    assert_eq!(series.body["totals"]["total_calls"], 6);

    // A new call: received (lists), then processed (detail) and aggregated (analytics).
    let mut doc = documents()[0].clone();
    doc["call_id"] = json!("r-new");
    let reply = cloud
        .post("/api/v1/calls", &doc.to_string(), Some(TENANT))
        .await;
    assert_eq!(reply.status, 202);
    cloud.drain_streams().await;
    let received = cloud.get("/api/v1/calls?agent_id=ana", Some(TENANT)).await;
    assert_eq!(
        received.body["total"],
        first.body["total"].as_u64().expect("n") + 1
    );
    let listed: Vec<&str> = received.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["call_id"].as_str().expect("id"))
        .collect();
    assert!(listed.contains(&"r-new"), "{listed:?}");
    let pending = cloud.get("/api/v1/calls/r-new", Some(TENANT)).await;
    assert_eq!(pending.body["status"], "RECEIVED");

    cloud.drain().await;
    let processed = cloud.get("/api/v1/calls/r-new", Some(TENANT)).await;
    assert_eq!(
        processed.body["status"], "PROCESSED",
        "not the cached RECEIVED answer"
    );
    let series = cloud
        .get("/api/v1/analytics/agents/ana", Some(TENANT))
        .await;
    assert_eq!(series.body["totals"]["total_calls"], 7);
    let board = cloud.get("/api/v1/analytics/agents", Some(TENANT)).await;
    assert_ne!(board.body, leaderboard.body);
    cloud.cleanup().await;
}

#[tokio::test]
async fn with_redis_stopped_answers_are_correct_and_it_hits_again_once_back() {
    let mut redis = OwnRedis::start().await;
    let cloud = TestCloud::start_with_cache(&redis.url()).await;
    seeded(&cloud).await;
    let warm = cloud.get("/api/v1/calls/r-01", Some(TENANT)).await;
    let hit = cloud.get("/api/v1/calls/r-01", Some(TENANT)).await;
    assert_eq!(hit.header("x-cache"), Some("hit"));

    redis.stop().await;
    for path in [
        "/api/v1/calls/r-01",
        "/api/v1/calls?limit=3",
        "/api/v1/analytics/agents",
    ] {
        let reply = cloud.get(path, Some(TENANT)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.header("x-cache"), Some("error"), "{path}");
    }
    let during = cloud.get("/api/v1/calls/r-01", Some(TENANT)).await;
    assert_eq!(during.body, warm.body, "the same data, from DynamoDB");
    let health = cloud.get("/health", None).await;
    assert_eq!(
        (health.status, health.body["status"].clone()),
        (200, json!("degraded"))
    );

    redis.resume().await;
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        let reply = cloud.get("/api/v1/calls/r-01", Some(TENANT)).await;
        assert_eq!(reply.body, warm.body);
        outcomes.push(reply.header("x-cache").map(str::to_owned));
        if outcomes.last() == Some(&Some("hit".to_owned())) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        outcomes.last().cloned().flatten().as_deref(),
        Some("hit"),
        "reconnects and caches again: {outcomes:?}"
    );
    cloud.cleanup().await;
}
