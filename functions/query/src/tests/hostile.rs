//! A hostile client through the router: forged, edited, replayed, oversized and foreign
//! cursors, huge offsets, NaN and infinite bounds, 5,000-character ids, `%00`, over-long
//! ranges — each a 4xx in the v1 shape naming the parameter, never a 5xx, never another
//! tenant's data.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::*;

/// The fixture with a second call of acme (so a page of one has a cursor) and one of globex.
async fn two_tenants() -> Fixture {
    let f = fixture().await;
    let admit = |tenant: &str, id: &str, start: &str| {
        let call = formats::parse_value(
            json!({"call_id": id, "agent_id": "ana", "customer_id": "x", "start_time": start,
                   "transcript": format!("Agent: Hello from {tenant}.\nCustomer: Hi.")}),
            Format::Auto,
        )
        .expect("call");
        (TenantId::parse("t", tenant).expect("tenant"), call)
    };
    for (tenant, call) in [
        admit("acme", "c-2", "2026-11-01T10:00:00Z"),
        admit("globex", "g-1", "2026-11-01T11:00:00Z"),
        admit("globex", "g-2", "2026-11-01T12:00:00Z"),
    ] {
        let correlation = CorrelationId::parse("c", "corr").expect("id");
        f.admit
            .admit(&tenant, vec![(call, correlation)], Deadline::NONE)
            .await;
    }
    f
}

async fn cursor_of(f: &Fixture, query: &str, tenant: &str) -> String {
    let reply = get(f, &format!("/api/v1/calls?limit=1&{query}"), Some(tenant)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned()
}

fn assert_refused(reply: &HttpReply, place: &str, name: &str, case: &str) {
    assert!(
        (400..500).contains(&reply.status),
        "{case}: {} {}",
        reply.status,
        reply.body
    );
    assert_eq!(
        reply.body["detail"][0]["loc"],
        json!([place, name]),
        "{case}: {}",
        reply.body
    );
    assert!(
        !reply.body.to_string().contains("globex") && !reply.body.to_string().contains("g-"),
        "{case}: {}",
        reply.body
    );
}

#[tokio::test]
async fn forged_edited_replayed_oversized_and_foreign_cursors_are_422_naming_cursor() {
    let f = two_tenants().await;
    let acme = cursor_of(&f, "", "acme").await;
    let for_ana = cursor_of(&f, "agent_id=ana", "acme").await;
    let globex = cursor_of(&f, "", "globex").await;
    let (payload, tag) = acme.split_once('.').expect("signed");
    let forged_payload = URL_SAFE_NO_PAD
        .encode(json!({"p": {"start_time": "2026-11-01T12:00:00Z", "call_id": "g-2"}}).to_string());
    let cases = [
        ("another tenant's cursor", globex.clone(), ""),
        ("a cursor of other filters", for_ana, ""),
        (
            "a cursor replayed on other filters",
            acme.clone(),
            "&agent_id=ana",
        ),
        (
            "a cursor replayed on another range",
            acme.clone(),
            "&to_date=2026-11-01",
        ),
        (
            "a forged payload under a real tag",
            format!("{forged_payload}.{tag}"),
            "",
        ),
        ("an unsigned payload", forged_payload.clone(), ""),
        ("an edited tag", format!("{payload}.{}", &tag[1..]), ""),
        ("an oversized cursor", "A".repeat(5_000), ""),
        ("a NUL", "%00".to_owned(), ""),
        (
            "a NUL inside a real cursor",
            format!("{payload}%00.{tag}"),
            "",
        ),
    ];
    for (case, cursor, more) in cases {
        let reply = get(
            &f,
            &format!("/api/v1/calls?cursor={cursor}{more}"),
            Some("acme"),
        )
        .await;
        assert_eq!(reply.status, 422, "{case}: {}", reply.body);
        assert_refused(&reply, "query", "cursor", case);
    }
    // The real cursor, by its own tenant and filters, goes on to the next page.
    let next = get(
        &f,
        &format!("/api/v1/calls?limit=1&cursor={acme}"),
        Some("acme"),
    )
    .await;
    assert_eq!(
        (next.status, next.body["calls"][0]["call_id"].clone()),
        (200, json!("c-1"))
    );
    // Globex's own cursor never shows acme's calls, and acme's never globex's.
    let theirs = get(
        &f,
        &format!("/api/v1/calls?limit=1&cursor={globex}"),
        Some("globex"),
    )
    .await;
    assert_eq!(theirs.body["calls"][0]["call_id"], "g-1");
}

#[tokio::test]
async fn huge_offsets_nan_bounds_long_ids_and_nul_bytes_are_4xx_naming_the_parameter() {
    let f = two_tenants().await;
    let long = "a".repeat(5_000);
    let cases = [
        ("offset=18446744073709551615", "offset"),
        ("offset=18446744073709551616", "offset"),
        ("offset=1000000000000", "offset"),
        ("offset=1001", "offset"),
        ("offset=%00", "offset"),
        ("limit=%00", "limit"),
        ("min_sentiment=NaN", "min_sentiment"),
        ("min_sentiment=nan", "min_sentiment"),
        ("max_sentiment=inf", "max_sentiment"),
        ("max_sentiment=-Infinity", "max_sentiment"),
        ("min_sentiment=1e999", "min_sentiment"),
        ("agent_id=%00", "agent_id"),
        ("agent_id=ana%00", "agent_id"),
        ("team_id=east%00", "team_id"),
        ("from_date=2026-11-01%00", "from_date"),
    ];
    for (query, name) in cases {
        let reply = get(&f, &format!("/api/v1/calls?{query}"), Some("acme")).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_refused(&reply, "query", name, query);
    }
    let reply = get(&f, &format!("/api/v1/calls?agent_id={long}"), Some("acme")).await;
    assert_refused(&reply, "query", "agent_id", "a 5,000-character agent id");
    assert!(
        reply.body.to_string().len() < 1_000,
        "a long value is never echoed back whole: {}",
        reply.body
    );
    for path in [
        format!("/api/v1/calls/{long}"),
        format!("/api/v1/calls/{long}/recommendations"),
        "/api/v1/calls/c-1%00".to_owned(),
        "/api/v1/calls/%00/recommendations".to_owned(),
    ] {
        let reply = get(&f, &path, Some("acme")).await;
        assert_refused(&reply, "path", "call_id", &path[..path.len().min(40)]);
    }
    for path in [
        format!("/api/v1/analytics/agents/{long}"),
        "/api/v1/analytics/agents/ana%00".to_owned(),
    ] {
        let reply = get(&f, &path, Some("acme")).await;
        assert_refused(&reply, "path", "agent_id", &path[..path.len().min(40)]);
    }
    let deepest = get(&f, "/api/v1/calls?offset=1000", Some("acme")).await;
    assert_eq!(
        (deepest.status, deepest.body["calls"].clone()),
        (200, json!([]))
    );
}

#[tokio::test]
async fn another_tenants_ids_are_not_found_and_a_leaderboard_past_a_year_is_422() {
    let f = two_tenants().await;
    for path in ["/api/v1/calls/g-1", "/api/v1/calls/g-1/recommendations"] {
        let reply = get(&f, path, Some("acme")).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    let listed = get(&f, "/api/v1/calls?agent_id=ana&limit=100", Some("acme")).await;
    let ids: Vec<&str> = listed.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["call_id"].as_str())
        .collect();
    assert_eq!(ids, ["c-2", "c-1"]);
    assert_eq!(listed.body["total_exact"], true);
    let year = get(
        &f,
        "/api/v1/analytics/agents?from_date=2025-01-01&to_date=2026-11-01",
        Some("acme"),
    )
    .await;
    assert_eq!(year.status, 422, "{}", year.body);
    assert_refused(&year, "query", "to_date", "a leaderboard over 22 months");
}
