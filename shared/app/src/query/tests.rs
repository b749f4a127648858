//! The query use cases on in-memory ports: lists, totals and paging, reads, similar calls,
//! analytics from rollups, and the cache in front of them.

use std::sync::Arc;

use callscope_core::domain::{AgentId, Call, CorrelationId, Day, TeamId, Timestamp};
use callscope_core::formats::{self, Format};
use callscope_core::pipeline::CallAnalysed;
use serde_json::json;

use super::*;
use crate::admit::AdmitCalls;
use crate::memory::{FixedClock, MemoryCache, MemoryCalls, MemoryPublisher, MemoryRollups};
use crate::ports::{Cache, CallRepository, RollupRepository};
use crate::query::views::CallList;
use crate::test_support::{call_id, process, tenant};
use crate::Deadline;

const PRICING: &str = "Agent: Thanks for your time. Our pricing is sixty dollars per seat per month with a discount for annual plans.\nCustomer: That is a bit too expensive for us right now, we have a small budget.";
const WEATHER: &str = "Agent: How was the weekend?\nCustomer: Lovely, we walked along the river in Lisbon until the sun went down.";

struct Fixture {
    calls: Arc<MemoryCalls>,
    rollups: Arc<MemoryRollups>,
    cache: Arc<MemoryCache>,
    queries: Queries,
}

fn fixture() -> Fixture {
    let calls = Arc::new(MemoryCalls::default());
    let rollups = Arc::new(MemoryRollups::default());
    let cache = Arc::new(MemoryCache::default());
    let key = CursorKey::new(b"a test stack's cursor secret").expect("key");
    let queries = Queries::new(calls.clone(), rollups.clone(), cache.clone(), key);
    Fixture {
        calls,
        rollups,
        cache,
        queries,
    }
}

fn call(id: &str, agent: &str, team: Option<&str>, start: &str, transcript: &str) -> Call {
    let mut doc = json!({
        "call_id": id, "agent_id": agent, "customer_id": "cust-1",
        "start_time": start, "duration_seconds": 60, "transcript": transcript,
    });
    if let Some(team) = team {
        doc["team_id"] = json!(team);
    }
    formats::parse_value(doc, Format::Auto).expect("valid call")
}

/// Admits, processes and counts a call in its rollups, as the pipeline would.
async fn ingest(f: &Fixture, tenant_id: &str, call: Call, processed: bool) {
    let clock = Arc::new(FixedClock::at("2026-11-03T00:00:00Z"));
    let admit = AdmitCalls::new(f.calls.clone(), Arc::new(MemoryPublisher::default()), clock);
    let id = call.call_id.to_string();
    let correlation = CorrelationId::parse("c", id.clone()).expect("id");
    admit
        .admit(
            &tenant(tenant_id),
            vec![(call, correlation)],
            Deadline::NONE,
        )
        .await;
    if processed {
        process(&f.calls, &tenant(tenant_id), &id, "2026-11-03T00:01:00Z").await;
        let stored = f
            .calls
            .load(&tenant(tenant_id), &call_id(&id))
            .await
            .expect("load")
            .expect("stored");
        let analysis = f
            .calls
            .analysis(&tenant(tenant_id), &call_id(&id))
            .expect("analysis");
        let event = CallAnalysed::new(
            tenant(tenant_id),
            &stored.call,
            &analysis,
            stored.correlation_id,
        );
        f.rollups.apply(&[event]).await.expect("applied");
    }
}

/// Five calls of acme over two days and two agents, one not processed yet; one of globex.
async fn seeded() -> Fixture {
    let f = fixture();
    let rows = [
        (
            "a1",
            "ana",
            Some("east"),
            "2026-11-01T09:00:00Z",
            PRICING,
            true,
        ),
        (
            "a2",
            "ana",
            Some("east"),
            "2026-11-01T11:00:00Z",
            PRICING,
            true,
        ),
        ("a3", "ana", None, "2026-11-02T09:00:00Z", WEATHER, true),
        (
            "b1",
            "ben",
            Some("east"),
            "2026-11-02T10:00:00Z",
            PRICING,
            true,
        ),
        (
            "b2",
            "ben",
            Some("west"),
            "2026-11-02T12:00:00Z",
            WEATHER,
            false,
        ),
    ];
    for (id, agent, team, start, transcript, processed) in rows {
        ingest(
            &f,
            "acme",
            call(id, agent, team, start, transcript),
            processed,
        )
        .await;
    }
    ingest(
        &f,
        "globex",
        call("g1", "ana", Some("east"), "2026-11-02T09:00:00Z", PRICING),
        true,
    )
    .await;
    f
}

fn filter() -> ListFilter {
    ListFilter {
        tenant: tenant("acme"),
        agent: None,
        team: None,
        from: None,
        to: None,
        min_sentiment: None,
        max_sentiment: None,
    }
}

fn list(filter: ListFilter, limit: usize, offset: usize, cursor: Option<String>) -> ListCalls {
    ListCalls {
        filter,
        limit,
        offset,
        cursor,
    }
}

fn ids(list: &CallList) -> Vec<&str> {
    list.calls.iter().map(|c| c.call_id.as_str()).collect()
}

fn time(raw: &str) -> Timestamp {
    Timestamp::parse("t", raw).expect("time")
}

#[tokio::test]
async fn lists_are_newest_first_with_the_exact_total_of_every_filter() {
    let f = seeded().await;
    let all = f
        .queries
        .list_calls(list(filter(), 50, 0, None))
        .await
        .expect("list")
        .value;
    assert_eq!(ids(&all), ["b2", "b1", "a3", "a2", "a1"]);
    assert_eq!(all.total, 5, "another tenant's call is never listed");
    assert_eq!(all.calls[0].status, "RECEIVED");
    assert_eq!(
        all.calls[0].customer_sentiment_score, None,
        "null until processed"
    );
    assert!(all.calls[1].transcript.starts_with("Agent: Thanks"));

    let cases: Vec<(ListFilter, Vec<&str>)> = vec![
        (
            ListFilter {
                agent: Some(AgentId::parse("a", "ana").expect("id")),
                ..filter()
            },
            vec!["a3", "a2", "a1"],
        ),
        (
            ListFilter {
                team: Some(TeamId::parse("t", "east").expect("id")),
                ..filter()
            },
            vec!["b1", "a2", "a1"],
        ),
        (
            ListFilter {
                agent: Some(AgentId::parse("a", "ana").expect("id")),
                team: Some(TeamId::parse("t", "east").expect("id")),
                ..filter()
            },
            vec!["a2", "a1"],
        ),
        (
            ListFilter {
                from: Some(time("2026-11-01T10:00:00Z")),
                to: Some(time("2026-11-02T10:00:00Z")),
                ..filter()
            },
            vec!["b1", "a3", "a2"],
        ),
        (
            ListFilter {
                min_sentiment: Some(-1.0),
                ..filter()
            },
            vec!["b1", "a3", "a2", "a1"],
        ),
    ];
    for (filter, expected) in cases {
        let served = f
            .queries
            .list_calls(list(filter.clone(), 50, 0, None))
            .await
            .expect("list")
            .value;
        assert_eq!(ids(&served), expected, "{filter:?}");
        assert_eq!(served.total, expected.len() as u64, "{filter:?}");
    }
}

#[tokio::test]
async fn offsets_and_cursors_page_through_every_call_once() {
    let f = seeded().await;
    let first = f
        .queries
        .list_calls(list(filter(), 2, 0, None))
        .await
        .expect("list")
        .value;
    assert_eq!(ids(&first), ["b2", "b1"]);
    let cursor = first.next_cursor.clone().expect("more pages");
    let second = f
        .queries
        .list_calls(list(filter(), 2, 0, Some(cursor)))
        .await
        .expect("list")
        .value;
    assert_eq!(ids(&second), ["a3", "a2"]);
    let third = f
        .queries
        .list_calls(list(filter(), 2, 0, second.next_cursor.clone()))
        .await
        .expect("list")
        .value;
    assert_eq!((ids(&third), third.next_cursor.clone()), (vec!["a1"], None));
    let by_offset = f
        .queries
        .list_calls(list(filter(), 2, 3, None))
        .await
        .expect("list")
        .value;
    assert_eq!(ids(&by_offset), ["a2", "a1"]);
    assert_eq!(by_offset.total, 5);

    let other_filter = ListFilter {
        agent: Some(AgentId::parse("a", "ana").expect("id")),
        ..filter()
    };
    let error = f
        .queries
        .list_calls(list(other_filter, 2, 0, first.next_cursor))
        .await
        .expect_err("a cursor of other filters");
    assert!(matches!(error, QueryError::Invalid(e) if e.field == "cursor"));
}

#[tokio::test]
async fn a_call_is_read_with_its_analysis_and_only_by_its_tenant() {
    let f = seeded().await;
    let detail = f
        .queries
        .call(&tenant("acme"), &call_id("a1"))
        .await
        .expect("read")
        .value;
    let detail = detail.expect("found");
    assert_eq!(detail.call.status, "PROCESSED");
    assert_eq!(detail.analysis.as_ref().map(|a| a.score), detail.call.score);
    let pending = f
        .queries
        .call(&tenant("acme"), &call_id("b2"))
        .await
        .expect("read")
        .value;
    assert!(pending.expect("found").analysis.is_none());
    let theirs = f
        .queries
        .call(&tenant("globex"), &call_id("a1"))
        .await
        .expect("read")
        .value;
    assert!(theirs.is_none());
}

#[tokio::test]
async fn similar_calls_come_from_the_agents_and_teams_recent_calls_ranked_by_similarity() {
    let f = seeded().await;
    let served = f
        .queries
        .recommendations(&tenant("acme"), &call_id("a1"))
        .await
        .expect("read")
        .value
        .expect("found");
    let similar: Vec<(&str, f64)> = served
        .similar_calls
        .iter()
        .map(|s| (s.call_id.as_str(), s.similarity_score))
        .collect();
    // a2 and b1 (same words, same agent / same team) first; a3 shares the agent but little
    // text; b2 is not processed yet (no signature); globex's g1 is another tenant's.
    assert_eq!(similar[0].1, 1.0, "{similar:?}");
    assert_eq!(
        similar
            .iter()
            .take(2)
            .map(|s| s.0)
            .collect::<std::collections::BTreeSet<_>>(),
        ["a2", "b1"].into_iter().collect()
    );
    assert!(
        similar
            .iter()
            .all(|(id, _)| !["a1", "b2", "g1"].contains(id)),
        "{similar:?}"
    );
    assert!(served.similar_calls[0]
        .transcript_preview
        .starts_with("Agent: Thanks"));
    let analysis = f
        .calls
        .analysis(&tenant("acme"), &call_id("a1"))
        .expect("analysis");
    assert_eq!(served.coaching_nudges.len(), analysis.recommendations.len());
    assert!(served
        .coaching_nudges
        .iter()
        .zip(&analysis.recommendations)
        .all(|(n, r)| n.metric == r.metric && n.suggestion.starts_with(&r.message)));
}

#[tokio::test]
async fn the_leaderboard_and_series_sum_the_rollups_over_the_range() {
    let f = seeded().await;
    let all = f
        .queries
        .agents(&tenant("acme"), DayRange::default(), None)
        .await
        .expect("agents")
        .value;
    let counts: Vec<(&str, u64)> = all
        .agents
        .iter()
        .map(|a| (a.agent_id.as_str(), a.summary.total_calls))
        .collect();
    assert_eq!(counts, [("ana", 3), ("ben", 1)], "b2 is not processed yet");
    let day = |d: &str| Some(Day::parse("d", d).expect("day"));
    let second_day = DayRange {
        from: day("2026-11-02"),
        to: day("2026-11-02"),
    };
    let east = TeamId::parse("t", "east").expect("id");
    let in_east = f
        .queries
        .agents(&tenant("acme"), second_day, Some(&east))
        .await
        .expect("agents")
        .value;
    let counts: Vec<(&str, u64)> = in_east
        .agents
        .iter()
        .map(|a| (a.agent_id.as_str(), a.summary.total_calls))
        .collect();
    assert_eq!(
        counts,
        [("ben", 1)],
        "a3 had no team, a1/a2 were on the first day"
    );

    let ana = AgentId::parse("a", "ana").expect("id");
    let series = f
        .queries
        .agent(&tenant("acme"), &ana, DayRange::default())
        .await
        .expect("series")
        .value;
    let days: Vec<(&str, u64)> = series
        .series
        .iter()
        .map(|d| (d.day.as_str(), d.summary.total_calls))
        .collect();
    assert_eq!(days, [("2026-11-01", 2), ("2026-11-02", 1)]);
    assert_eq!(series.totals.total_calls, 3);
    let team = f
        .queries
        .team(&tenant("acme"), &east, DayRange::default())
        .await
        .expect("team")
        .value;
    assert_eq!(team.totals.total_calls, 3);
}

#[tokio::test]
async fn a_second_read_is_a_hit_until_a_write_bumps_its_scope() {
    let f = seeded().await;
    let read = || f.queries.list_calls(list(filter(), 50, 0, None));
    assert_eq!(read().await.expect("list").cache, CacheOutcome::Miss);
    assert_eq!(read().await.expect("list").cache, CacheOutcome::Hit);

    ingest(
        &f,
        "acme",
        call("c9", "cat", None, "2026-11-02T23:00:00Z", WEATHER),
        false,
    )
    .await;
    assert_eq!(
        read().await.expect("list").value.total,
        5,
        "stale until the bump"
    );
    f.cache
        .bump(&tenant("acme"), &[Scope::Tenant])
        .await
        .expect("bump");
    let fresh = read().await.expect("list");
    assert_eq!((fresh.cache, fresh.value.total), (CacheOutcome::Miss, 6));
    // Another tenant's bump does not touch acme's entries.
    f.cache
        .bump(&tenant("globex"), &[Scope::Tenant])
        .await
        .expect("bump");
    assert_eq!(read().await.expect("list").cache, CacheOutcome::Hit);
    assert_eq!(
        f.queries.cache_stats().snapshot(),
        (3, 2, 0),
        "(hits, misses, errors)"
    );
}

#[tokio::test]
async fn with_the_cache_down_every_answer_comes_from_the_tables_and_errors_are_counted() {
    let f = seeded().await;
    f.cache.set_down(true);
    let served = f
        .queries
        .list_calls(list(filter(), 50, 0, None))
        .await
        .expect("list");
    assert_eq!((served.cache, served.value.total), (CacheOutcome::Error, 5));
    let detail = f
        .queries
        .call(&tenant("acme"), &call_id("a1"))
        .await
        .expect("read");
    assert_eq!(detail.cache, CacheOutcome::Error);
    assert!(detail.value.is_some());
    assert_eq!(f.queries.cache_stats().snapshot(), (0, 0, 2));
    assert!(matches!(
        f.queries.cache_health().await,
        CacheHealth::Down(_)
    ));
    f.cache.set_down(false);
    f.queries
        .call(&tenant("acme"), &call_id("a1"))
        .await
        .expect("read");
    let again = f
        .queries
        .call(&tenant("acme"), &call_id("a1"))
        .await
        .expect("read");
    assert_eq!(
        again.cache,
        CacheOutcome::Hit,
        "hits again once the cache is back"
    );
}

#[tokio::test]
async fn a_store_outage_is_an_error_not_an_empty_answer() {
    let f = seeded().await;
    f.calls.set_unavailable(true);
    let error = f
        .queries
        .list_calls(list(filter(), 50, 0, None))
        .await
        .expect_err("outage");
    assert!(matches!(error, QueryError::Store(_)));
}

mod limits;
