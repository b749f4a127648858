//! The cache's freshness contract against a real Redis and the local pipeline: bumps of a busy
//! scope coalesce (the Lua script), a write late in a window shows by the window's end without
//! another bump, one of many concurrent missers loads, a write through the whole pipeline shows
//! within each endpoint's stated bound, and a cache that is down still answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callscope_app::ports::{Cache, Scope, COALESCE_WINDOW};
use callscope_app::query::{CacheOutcome, Cached, Resource, Served, FRESH_WITHIN, STALE_FOR};
use callscope_cloud::cache::RedisCache;
use callscope_core::domain::{CallId, TenantId};
use callscope_samples::generate_call_document;
use callscope_tests::{TestCloud, TENANT};
use serde_json::json;

fn redis(namespace_prefix: &str) -> Arc<RedisCache> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let namespace = format!(
        "{namespace_prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    Arc::new(RedisCache::connect_lazily(&url, &namespace).expect("a cache url"))
}

fn tenant() -> TenantId {
    TenantId::parse("tenant", TENANT).expect("tenant")
}

const LIST: Resource = Resource {
    name: "calls",
    ttl: Duration::from_secs(60),
    stale_for: STALE_FOR,
};

/// A read of one list entry whose load answers what `table` holds now, after `ms`.
async fn read(cached: &Cached, table: &AtomicU64, loads: &AtomicU64, ms: u64) -> Served<u64> {
    cached
        .get_or_load(&tenant(), LIST, &[Scope::Tenant], "page-1", || async {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, std::convert::Infallible>(table.load(Ordering::SeqCst))
        })
        .await
        .expect("infallible")
}

#[tokio::test]
async fn a_burst_of_bumps_to_one_scope_moves_its_generation_far_fewer_times() {
    let cache = redis("coalesce");
    let started = Instant::now();
    let mut moves = 0;
    let mut coalesced = 0;
    for _ in 0..20 {
        let bumps = cache.bump(&tenant(), &[Scope::Tenant]).await.expect("bump");
        moves += bumps.generations_moved();
        coalesced += bumps.coalesced;
    }
    // One move at once and one scheduled per window the burst spanned (all of it, unless this
    // machine took more than a window for twenty round trips).
    let windows = started.elapsed().as_millis() / COALESCE_WINDOW.as_millis() + 1;
    assert!(
        moves as u128 <= 2 * windows,
        "{moves} moves in {windows} window(s)"
    );
    assert!(
        moves < 20 && coalesced > 0,
        "{moves} moves, {coalesced} coalesced"
    );
    // A call's own scope never coalesces: its detail is fresh as soon as invalidation runs.
    let call = Scope::Call(CallId::parse("c", "c-1").expect("id"));
    for _ in 0..3 {
        let bumps = cache
            .bump(&tenant(), std::slice::from_ref(&call))
            .await
            .expect("bump");
        assert_eq!(bumps.moved, 1);
    }
}

#[tokio::test]
async fn a_write_late_in_a_window_shows_by_the_windows_end_without_another_bump() {
    let cache = redis("trailing");
    let cached = Cached::new(cache.clone());
    let (table, loads) = (AtomicU64::new(1), AtomicU64::new(0));
    assert_eq!(read(&cached, &table, &loads, 0).await.value, 1);
    // A write and its bump: the first after a quiet window moves the generation at once.
    table.store(2, Ordering::SeqCst);
    let first = cache.bump(&tenant(), &[Scope::Tenant]).await.expect("bump");
    let moved_at = Instant::now();
    assert_eq!(first.moved, 1);
    assert_eq!(read(&cached, &table, &loads, 0).await.value, 2);
    // The trailing write: its bump is scheduled for the window's end, and no bump follows.
    table.store(3, Ordering::SeqCst);
    let second = cache.bump(&tenant(), &[Scope::Tenant]).await.expect("bump");
    assert_eq!((second.moved, second.scheduled), (0, 1));
    tokio::time::sleep_until((moved_at + COALESCE_WINDOW).into()).await;
    let after = read(&cached, &table, &loads, 0).await;
    assert_eq!(
        (after.value, after.cache),
        (3, CacheOutcome::Miss),
        "the trailing write shows at the window's end"
    );
}

#[tokio::test]
async fn one_of_many_concurrent_missers_loads_and_the_others_are_served() {
    let cache = redis("herd");
    let cached = Cached::new(cache.clone());
    let (table, loads) = (AtomicU64::new(7), AtomicU64::new(0));
    let served =
        futures::future::join_all((0..8).map(|_| read(&cached, &table, &loads, 150))).await;
    assert_eq!(loads.load(Ordering::SeqCst), 1, "one request recomputed");
    assert!(served.iter().all(|s| s.value == 7));
    assert_eq!(
        served
            .iter()
            .filter(|s| s.cache == CacheOutcome::Miss)
            .count(),
        1
    );
    // The entry's scope moves; while one request reloads, the others get the answer loaded
    // moments ago (within its bound), not a load each.
    cache.bump(&tenant(), &[Scope::Tenant]).await.expect("bump");
    table.store(8, Ordering::SeqCst);
    let served =
        futures::future::join_all((0..8).map(|_| read(&cached, &table, &loads, 150))).await;
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    let stale = served
        .iter()
        .filter(|s| s.cache == CacheOutcome::Stale)
        .count();
    assert!(
        stale >= 1,
        "{:?}",
        served.iter().map(|s| s.cache).collect::<Vec<_>>()
    );
    assert!(served
        .iter()
        .all(|s| (s.cache == CacheOutcome::Stale && s.value == 7) || s.value == 8));
}

#[tokio::test]
async fn with_the_cache_down_reads_are_answered_and_bumps_fail_for_a_retry() {
    let cache =
        Arc::new(RedisCache::connect_lazily("redis://127.0.0.1:1", "down").expect("a cache url"));
    let cached = Cached::new(cache.clone());
    let (table, loads) = (AtomicU64::new(5), AtomicU64::new(0));
    let served = read(&cached, &table, &loads, 0).await;
    assert_eq!((served.value, served.cache), (5, CacheOutcome::Error));
    assert!(cache.bump(&tenant(), &[Scope::Tenant]).await.is_err());
}

#[tokio::test]
async fn a_write_through_the_pipeline_shows_on_every_endpoint_within_its_bound() {
    assert!(
        COALESCE_WINDOW < FRESH_WITHIN && STALE_FOR + Duration::from_secs(1) <= FRESH_WITHIN,
        "the parts of the stated bound add up to it"
    );
    let cloud = TestCloud::start().await;
    let document = |i: usize, agent: &str| {
        let mut doc = generate_call_document(1, 500 + i as u64, &format!("f-{i:02}"));
        doc["agent_id"] = json!(agent);
        doc["team_id"] = json!("east");
        doc["start_time"] = json!(format!("2026-11-03T{:02}:00:00Z", 9 + i));
        doc
    };
    cloud
        .post_bulk_until_accepted(&[document(0, "ana"), document(1, "ben")])
        .await;
    cloud.drain().await;
    let paths = [
        "/api/v1/calls?limit=20",
        "/api/v1/analytics/agents",
        "/api/v1/analytics/agents/ana",
        "/api/v1/analytics/teams/east",
        "/api/v1/calls/f-02",
    ];
    for path in paths {
        cloud.get(path, Some(TENANT)).await;
        cloud.get(path, Some(TENANT)).await;
    }
    // Two more writes moments apart (their bumps coalesce where they land in one window).
    cloud.post_bulk_until_accepted(&[document(2, "ana")]).await;
    cloud.post_bulk_until_accepted(&[document(3, "ana")]).await;
    // drain() delivers the streams to invalidate and waits for the moves it coalesced: at
    // most COALESCE_WINDOW, inside the bound.
    cloud.drain().await;
    let list = cloud.get(paths[0], Some(TENANT)).await;
    let listed: Vec<&str> = list.body["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["call_id"].as_str().expect("id"))
        .collect();
    assert!(
        listed.contains(&"f-02") && listed.contains(&"f-03"),
        "{listed:?}"
    );
    let board = cloud.get(paths[1], Some(TENANT)).await;
    let ana = board.body["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent_id"] == "ana")
        .cloned()
        .expect("ana on the board");
    assert_eq!(ana["total_calls"], 3);
    let series = cloud.get(paths[2], Some(TENANT)).await;
    assert_eq!(series.body["totals"]["total_calls"], 3);
    let team = cloud.get(paths[3], Some(TENANT)).await;
    assert_eq!(team.body["totals"]["total_calls"], 4);
    let detail = cloud.get(paths[4], Some(TENANT)).await;
    assert_eq!(detail.body["status"], "PROCESSED");
    cloud.cleanup().await;
}

#[tokio::test]
async fn an_erased_calls_cached_detail_and_recommendations_go_once_its_erasure_is_delivered() {
    let cloud = TestCloud::start().await;
    let mut doc = generate_call_document(1, 900, "f-erased");
    doc["agent_id"] = json!("ana");
    cloud.post_bulk_until_accepted(&[doc]).await;
    cloud.drain().await;
    let paths = [
        "/api/v1/calls/f-erased",
        "/api/v1/calls/f-erased/recommendations",
    ];
    for path in paths {
        cloud.get(path, Some(TENANT)).await;
        let cached = cloud.get(path, Some(TENANT)).await;
        assert_eq!(
            (cached.status, cached.header("x-cache")),
            (200, Some("hit")),
            "{path} is served from the cache before the erasure"
        );
    }
    let erased = cloud
        .send_to_ingest("DELETE", "/api/v1/calls/f-erased", Some(TENANT))
        .await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    // The stated bound: as soon as the erasure's stream record reaches invalidate.
    cloud.drain().await;
    for path in paths {
        let reply = cloud.get(path, Some(TENANT)).await;
        assert_eq!(reply.status, 404, "{path} still served: {}", reply.body);
    }
    cloud.cleanup().await;
}
