//! Alert rules end to end on the local cloud (issue 23): a tenant's rule written through the
//! settings API raises one `CallAlert` on the stack's bus for the call that breaks it and none
//! for the call that passes, even with process running twice on every batch and the stream
//! delivered twice; each alert conforms to the committed schema.

use std::collections::HashMap;

use callscope_core::domain::{CallId, TenantId};
use callscope_http::lambda::{self, HttpEvent};
use callscope_tests::{fixture, TestCloud, TENANT};
use serde_json::{json, Value};

use super::export::{conforms, received_events, subscribe, Twice};

/// A discovery call done well: questions both ways, a short agent share, a next step.
fn good_call() -> Value {
    json!({
        "call_id": "alert-good", "agent_id": "ana", "customer_id": "cust-1", "team_id": "east",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 60,
        "transcript": "Agent: Hi, this is Ana. Do you have a minute?\nCustomer: Sure. We looked at the Zephyr plan last week.\nAgent: What did you think of it? Is the team growing?\nCustomer: It was fine, we are growing fast and need something that scales with us.\nAgent: How many people will use it? What matters most to you?\nCustomer: About forty people, and the reporting matters most to us.\nAgent: Great, I'll send you the proposal by Friday."
    })
}

/// The agent talks at the customer, asks nothing and agrees nothing.
fn poor_call() -> Value {
    json!({
        "call_id": "alert-poor", "agent_id": "ben", "customer_id": "cust-2", "team_id": "east",
        "start_time": "2026-11-02T10:00:00Z", "duration_seconds": 60,
        "transcript": "Agent: Our product is the best product on the market and it does everything you could ever want and more, it has dashboards and reports and integrations and all of it is included in the price which is very competitive compared to everyone else and you really should buy it today because the offer ends soon and I can give you the discount only now.\nCustomer: This is terrible. I hate being pushed like this.\nAgent: Well it is a great product and you would be making a mistake not buying it now, everyone else already has it and is very happy with it.\nCustomer: No. Goodbye."
    })
}

async fn put_alerts(cloud: &TestCloud, rules: &Value) {
    let event = HttpEvent {
        method: "PUT".into(),
        path: "/api/v1/settings/alerts".into(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: Some(rules.to_string()),
        claims: Some(HashMap::from([("tenant_id".to_owned(), TENANT.to_owned())])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    let reply = lambda::call(&cloud.api, event).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn score(cloud: &TestCloud, id: &str) -> u8 {
    cloud
        .calls_store()
        .get_analysis(
            &TenantId::parse("tenant", TENANT).expect("tenant"),
            &CallId::parse("call_id", id).expect("id"),
        )
        .await
        .expect("read")
        .expect("analysed")
        .score
}

#[tokio::test]
async fn a_call_below_the_tenants_score_rule_raises_one_alert_and_a_call_that_passes_none() {
    let cloud = TestCloud::start().await;
    let subscriber = subscribe(&cloud).await;
    cloud
        .post_bulk_until_accepted(&[good_call(), poor_call()])
        .await;
    let twice = Twice(&cloud.process);
    cloud
        .drain_through(&cloud.intake, &twice, &cloud.aggregate)
        .await
        .expect("pipeline");
    // The rule sits between the two calls' scores: written now, before outbound sends them.
    let (good, poor) = (
        score(&cloud, "alert-good").await,
        score(&cloud, "alert-poor").await,
    );
    assert!(
        poor < good,
        "the fixtures score apart: poor {poor}, good {good}"
    );
    put_alerts(
        &cloud,
        &json!({"rules": [
            {"id": "low-score", "name": "Score below the bar",
             "condition": {"kind": "score_below", "score": good}},
            {"id": "won", "name": "Deal won",
             "condition": {"kind": "outcome_is", "outcome": "won"}}]}),
    )
    .await;
    cloud.drain_streams().await;
    // A second pass finds nothing new to send.
    cloud.drain_streams().await;

    let events = received_events(&cloud, &subscriber).await;
    let analysed = events
        .iter()
        .filter(|e| e["detail-type"] == "CallAnalysed")
        .count();
    assert_eq!(analysed, 2, "{events:?}");
    let alerts: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "CallAlert")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let schema: Value =
        serde_json::from_str(&fixture("events/schemas/call_alert.v1.json")).expect("schema");
    let alert = alerts[0];
    assert_eq!(alert["source"], "callscope");
    conforms(&schema, &alert["detail"], "detail").unwrap_or_else(|e| panic!("{e}\n{alert}"));
    let detail = &alert["detail"];
    assert_eq!(detail["call_id"], "alert-poor");
    assert_eq!(detail["agent_id"], "ben");
    assert_eq!(detail["team_id"], "east");
    assert_eq!(detail["rule"]["id"], "low-score");
    assert_eq!(detail["settings_version"], 1);
    assert_eq!(
        (
            detail["evidence"]["measure"].clone(),
            detail["evidence"]["value"].clone(),
            detail["evidence"]["threshold"].clone()
        ),
        (
            json!("score"),
            json!(f64::from(poor)),
            json!(f64::from(good))
        )
    );
    let analysed_at = detail["analysed_at"].as_str().expect("analysed_at");
    assert_eq!(
        detail["event_id"],
        format!("{TENANT}/alert-poor/{analysed_at}/low-score")
    );
    assert_eq!(detail["links"]["call"], "/api/v1/calls/alert-poor");
    cloud.cleanup().await;
}
