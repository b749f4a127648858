//! Tenant settings end to end in the local cloud (issue 22): settings written through the
//! query API change what the next call's analysis says (its trackers, score, nudges and the
//! settings version), the leaderboard answers the agents' names, bad settings are 422s naming
//! the field and stale writes 412s, and retention puts the TTL attribute on the call's
//! transcript and analysis (moto never expires items: the test deletes them as TTL would and
//! the listing shows the call expired, the rollups still count it).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_http::lambda::HttpReply;
use callscope_tests::{TestCloud, TENANT};
use serde_json::{json, Value};

const OTHER_TENANT: &str = "globex";

async fn put(
    cloud: &TestCloud,
    section: &str,
    body: &Value,
    if_match: Option<&str>,
    tenant: &str,
) -> HttpReply {
    cloud
        .put_settings(section, &body.to_string(), if_match, Some(tenant))
        .await
}

fn call_document(id: &str) -> String {
    json!({
        "call_id": id, "agent_id": "ana", "customer_id": "cust-1", "team_id": "east",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 60,
        "transcript": "Agent: Hi, this is Ana. Do you have a minute?\nCustomer: Sure. We looked at the Zephyr plan last week.\nAgent: What did you think of it? Is the team growing?\nCustomer: It was fine, we are growing fast.\nAgent: Great, I'll send you the proposal by Friday."
    })
    .to_string()
}

/// The call's items in the calls table, by sort key.
async fn items(
    cloud: &TestCloud,
    tenant: &str,
    id: &str,
) -> HashMap<String, HashMap<String, AttributeValue>> {
    let output = cloud
        .clients
        .dynamodb
        .query()
        .table_name(cloud.table("CallsTable"))
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("TENANT#{tenant}#CALL#{id}")),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| {
            let sk = item["sk"].as_s().expect("sk").clone();
            (sk, item)
        })
        .collect()
}

fn expires_at(item: &HashMap<String, AttributeValue>) -> Option<i64> {
    item.get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

#[tokio::test]
async fn a_tenants_tracker_scorecard_names_and_retention_change_what_a_new_call_says() {
    let cloud = TestCloud::start().await;
    let trackers = json!({"mode": "extend", "rules": [
        {"name": "zephyr", "category": "competitor", "phrases": ["zephyr plan"]}]});
    let first = put(&cloud, "trackers", &trackers, Some("\"0\""), TENANT).await;
    assert_eq!(
        (first.status, first.body["version"].clone()),
        (200, json!(1)),
        "{}",
        first.body
    );
    let scorecard = json!({"criteria": [
        {"measure": "tracker_absent", "tracker": "zephyr", "weight": 40, "priority": "high",
         "message": "Find out why they looked at Zephyr."},
        {"measure": "questions_agent", "weight": 30, "benchmark": {"min": 2, "max": 5}},
        {"measure": "next_step_agreed", "weight": 30}]});
    assert_eq!(
        put(&cloud, "scorecard", &scorecard, Some("\"1\""), TENANT)
            .await
            .status,
        200
    );
    let agents = json!({"agents": [{"agent_id": "ana", "name": "Ana Lima", "team_id": "east"}],
                        "teams": [{"team_id": "east", "name": "East coast"}]});
    assert_eq!(
        put(&cloud, "agents", &agents, None, TENANT).await.status,
        200
    );
    let retention = put(
        &cloud,
        "retention",
        &json!({"days": 30}),
        Some("\"3\""),
        TENANT,
    )
    .await;
    assert_eq!(
        (retention.status, retention.header("etag")),
        (200, Some("\"4\""))
    );
    let stale = put(
        &cloud,
        "retention",
        &json!({"days": 7}),
        Some("\"3\""),
        TENANT,
    )
    .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let document = cloud.get("/api/v1/settings", Some(TENANT)).await;
    assert_eq!(document.body["version"], 4);
    assert_eq!(
        document.body["retention"]["days"], 30,
        "the stale write changed nothing"
    );

    let before = chrono::Utc::now().timestamp();
    for tenant in [TENANT, OTHER_TENANT] {
        let reply = cloud
            .post("/api/v1/calls", &call_document("set-1"), Some(tenant))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    cloud.drain().await;
    let after = chrono::Utc::now().timestamp();

    let custom = cloud.get("/api/v1/calls/set-1", Some(TENANT)).await;
    assert_eq!(custom.status, 200, "{}", custom.body);
    let analysis = &custom.body["analysis"];
    let zephyr = analysis["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .find(|h| h["tracker"] == "zephyr")
        .unwrap_or_else(|| panic!("the tenant's tracker fired: {}", analysis["trackers"]));
    assert_eq!(zephyr["count"], 1);
    // Agent questions (3) and the next step pass 60 of 100; the Zephyr mention fails 40.
    assert_eq!(analysis["score"], 60, "{analysis}");
    assert_eq!(analysis["settings_version"], 4);
    assert_eq!(
        analysis["recommendations"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(analysis["recommendations"][0]["metric"], "trackers.zephyr");
    let nudges = cloud
        .get("/api/v1/calls/set-1/recommendations", Some(TENANT))
        .await;
    assert_eq!(
        nudges.body["coaching_nudges"][0]["metric"], "trackers.zephyr",
        "{}",
        nudges.body
    );

    let builtin = cloud.get("/api/v1/calls/set-1", Some(OTHER_TENANT)).await;
    let builtin = &builtin.body["analysis"];
    assert!(builtin.get("settings_version").is_none(), "{builtin}");
    assert!(builtin["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .all(|h| h["tracker"] != "zephyr"));
    assert_ne!(builtin["recommendations"], analysis["recommendations"]);

    // Retention: the TTL attribute on the transcript and the analysis, never on the call item.
    let stored = items(&cloud, TENANT, "set-1").await;
    for sk in ["TRANSCRIPT", "ANALYSIS"] {
        let at = expires_at(&stored[sk]).unwrap_or_else(|| panic!("{sk} has no expires_at"));
        assert!(
            (before + 30 * 86_400..=after + 30 * 86_400).contains(&at),
            "{sk}: {at}"
        );
    }
    assert_eq!(expires_at(&stored["CALL"]), None, "the listing item stays");
    let kept = items(&cloud, OTHER_TENANT, "set-1").await;
    assert!(
        kept.values().all(|item| expires_at(item).is_none()),
        "default: keep forever"
    );

    cloud.drain_streams().await;
    let board = cloud.get("/api/v1/analytics/agents", Some(TENANT)).await;
    assert_eq!(board.status, 200, "{}", board.body);
    assert_eq!(board.body["agents"][0]["agent_id"], "ana");
    assert_eq!(board.body["agents"][0]["name"], "Ana Lima");
    let other_board = cloud
        .get("/api/v1/analytics/agents", Some(OTHER_TENANT))
        .await;
    assert_eq!(
        other_board.body["agents"][0]["name"], "ana",
        "no names: the id"
    );

    // DynamoDB's TTL deletes the expired items (moto never does): the listing stays, flagged.
    for sk in ["TRANSCRIPT", "ANALYSIS"] {
        cloud
            .clients
            .dynamodb
            .delete_item()
            .table_name(cloud.table("CallsTable"))
            .key(
                "pk",
                AttributeValue::S(format!("TENANT#{TENANT}#CALL#set-1")),
            )
            .key("sk", AttributeValue::S(sk.into()))
            .send()
            .await
            .expect("delete");
    }
    let listed = cloud.get("/api/v1/calls?agent_id=ana", Some(TENANT)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let call = &listed.body["calls"][0];
    assert_eq!(
        (call["call_id"].clone(), call["expired"].clone()),
        (json!("set-1"), json!(true)),
        "{call}"
    );
    assert_eq!(call["transcript"], "");
    assert_eq!(call["score"], 60, "the listing keeps its figures");
    let totals = cloud
        .get("/api/v1/analytics/agents/ana", Some(TENANT))
        .await;
    assert_eq!(totals.body["totals"]["total_calls"], 1, "{}", totals.body);
    cloud.cleanup().await;
}

#[tokio::test]
async fn bad_settings_are_422s_naming_the_field_and_nothing_is_stored() {
    let cloud = TestCloud::start().await;
    let many_rules: Vec<Value> = (0..201)
        .map(|i| json!({"name": format!("r{i}"), "category": "custom", "phrases": [format!("p{i}")]}))
        .collect();
    let cases = [
        (
            "trackers",
            json!({"rules": many_rules}),
            json!(["body", "rules"]),
            "200",
        ),
        (
            "trackers",
            json!({"rules": [{"name": "x", "category": "custom", "phrases": ["ok", " "]}]}),
            json!(["body", "rules", 0, "phrases", 1]),
            "letter",
        ),
        (
            "scorecard",
            json!({"criteria": [{"measure": "next_step_agreed", "weight": 60},
                                {"measure": "questions_agent", "weight": 30, "benchmark": {"min": 3}}]}),
            json!(["body", "criteria"]),
            "sum to 100",
        ),
        (
            "scorecard",
            json!({"criteria": [{"measure": "charm", "weight": 100, "benchmark": {"min": 1}}]}),
            json!(["body", "criteria", 0, "measure"]),
            "not a measure",
        ),
        (
            "scorecard",
            json!({"criteria": [{"measure": "agent_talk_ratio", "weight": 100, "benchmark": {"min": 0.6, "max": 0.4}}]}),
            json!(["body", "criteria", 0, "benchmark"]),
            "min must be <= max",
        ),
    ];
    for (section, body, loc, rule) in cases {
        let reply = put(&cloud, section, &body, None, TENANT).await;
        assert_eq!(reply.status, 422, "{section}: {}", reply.body);
        assert_eq!(
            reply.body["detail"][0]["loc"], loc,
            "{section}: {}",
            reply.body
        );
        let msg = reply.body["detail"][0]["msg"].as_str().unwrap_or_default();
        assert!(msg.contains(rule), "{section}: {msg}");
    }
    let document = cloud.get("/api/v1/settings", Some(TENANT)).await;
    assert_eq!(document.body["version"], 0, "{}", document.body);
    cloud.cleanup().await;
}
