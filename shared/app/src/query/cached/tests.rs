//! Cache-aside keys and reads after a bump, on the in-memory cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::memory::{FixedClock, MemoryCache};
use crate::test_support::{call_id, tenant};

const CALL: Resource = Resource {
    name: "call",
    ttl: Duration::from_secs(300),
    stale_for: Duration::ZERO,
};

async fn load_call(cached: &Cached, tenant_id: &str, call: &str, answer: &str) -> Served<String> {
    let scopes = [Scope::Call(call_id(call))];
    cached
        .get_or_load(&tenant(tenant_id), CALL, &scopes, call, || async {
            Ok::<_, std::convert::Infallible>(answer.to_owned())
        })
        .await
        .expect("infallible")
}

#[tokio::test]
async fn ids_holding_colons_never_share_an_entry_across_tenants() {
    let cache = Arc::new(MemoryCache::default());
    let cached = Cached::new(cache.clone());
    // Joined with `:`, both were `acme:call:0:call:0:c1`.
    let first = load_call(&cached, "acme", "call:0:c1", "acme's call").await;
    let second = load_call(&cached, "acme:call:0", "c1", "the other tenant's call").await;
    assert_eq!(first.cache, CacheOutcome::Miss);
    assert_eq!(
        second.cache,
        CacheOutcome::Miss,
        "not the first tenant's entry"
    );
    assert_eq!(second.value, "the other tenant's call");
    assert_eq!(cache.keys().len(), 2);
    let again = load_call(&cached, "acme", "call:0:c1", "unused").await;
    assert_eq!(
        (again.cache, again.value.as_str()),
        (CacheOutcome::Hit, "acme's call")
    );
}

async fn read_of(cached: &Cached, call: &str) -> Read {
    let scopes = [Scope::Call(call_id(call))];
    cached
        .get_or_load_reading(&tenant("acme"), CALL, &scopes, call, |read| async move {
            Ok::<_, std::convert::Infallible>(format!("{read:?}"))
        })
        .await
        .map(|served| match served.value.as_str() {
            "Strong" => Read::Strong,
            _ => Read::Eventual,
        })
        .expect("infallible")
}

#[tokio::test]
async fn a_load_right_after_a_bump_reads_strongly_and_later_ones_eventually() {
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = Arc::new(MemoryCache::with_clock(clock.clone()));
    let cached = Cached::new(cache.clone()).with_clock(clock.clone());
    assert_eq!(
        read_of(&cached, "c-1").await,
        Read::Eventual,
        "never bumped"
    );
    cache
        .bump(&tenant("acme"), &[Scope::Call(call_id("c-2"))])
        .await
        .expect("bump");
    clock.advance(chrono::Duration::seconds(2));
    assert_eq!(
        read_of(&cached, "c-2").await,
        Read::Strong,
        "bumped 2 s ago"
    );
    cache
        .bump(&tenant("acme"), &[Scope::Call(call_id("c-3"))])
        .await
        .expect("bump");
    clock.advance(chrono::Duration::minutes(1));
    assert_eq!(
        read_of(&cached, "c-3").await,
        Read::Eventual,
        "bumped a minute ago"
    );
}

#[tokio::test]
async fn generations_seeded_from_time_never_return_to_an_earlier_value() {
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = MemoryCache::with_clock(clock.clone());
    // A call's scope: it never coalesces, so each bump at the same instant moves it.
    let scope = [Scope::Call(call_id("c-1"))];
    let mut seen = Vec::new();
    for _ in 0..3 {
        cache.bump(&tenant("acme"), &scope).await.expect("bump");
        seen.push(
            cache
                .generations(&tenant("acme"), &scope)
                .await
                .expect("read")[0],
        );
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(
        seen[0] >= 1_790_000_000_000,
        "seeded from the clock: {seen:?}"
    );
}

#[tokio::test]
async fn the_cache_health_is_checked_at_most_every_few_seconds_and_never_says_why() {
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = Arc::new(MemoryCache::default());
    let cached = Cached::new(cache.clone()).with_clock(clock.clone());
    assert_eq!(cached.health().await, CacheHealth::Up);
    cache.set_down(true);
    assert_eq!(cached.health().await, CacheHealth::Up, "reused");
    assert_eq!(cache.health_checks(), 1);
    clock.advance(chrono::Duration::seconds(6));
    let CacheHealth::Down(detail) = cached.health().await else {
        panic!("checked again after 5 s");
    };
    assert!(
        !detail.contains("switched off"),
        "the cache's own error stays in the logs: {detail}"
    );
    assert_eq!(cache.health_checks(), 2);
}

const LIST: Resource = Resource {
    name: "calls",
    ttl: Duration::from_secs(60),
    stale_for: Duration::from_secs(3),
};

/// A list read whose load takes `ms` milliseconds, counted in `loads`, answering `answer`.
async fn slow_list(cached: &Cached, loads: &AtomicU64, ms: u64, answer: &str) -> Served<String> {
    cached
        .get_or_load(
            &tenant("acme"),
            LIST,
            &[Scope::Tenant],
            "page-1",
            || async {
                loads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, std::convert::Infallible>(answer.to_owned())
            },
        )
        .await
        .expect("infallible")
}

#[tokio::test]
async fn one_of_many_concurrent_missers_loads_and_the_others_get_its_answer() {
    let cached = Cached::new(Arc::new(MemoryCache::default()));
    let loads = AtomicU64::new(0);
    let served =
        futures::future::join_all((0..8).map(|_| slow_list(&cached, &loads, 100, "page"))).await;
    assert_eq!(loads.load(Ordering::SeqCst), 1, "one request recomputed");
    let misses = served
        .iter()
        .filter(|s| s.cache == CacheOutcome::Miss)
        .count();
    assert_eq!(misses, 1);
    assert!(served.iter().all(|s| s.value == "page"));
}

#[tokio::test]
async fn while_one_request_recomputes_the_others_get_the_latest_answer_within_its_bound_only() {
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = Arc::new(MemoryCache::with_clock(clock.clone()));
    let cached = Cached::new(cache.clone()).with_clock(clock.clone());
    let loads = AtomicU64::new(0);
    assert_eq!(
        slow_list(&cached, &loads, 0, "v1").await.cache,
        CacheOutcome::Miss
    );
    cache
        .bump(&tenant("acme"), &[Scope::Tenant])
        .await
        .expect("bump");
    clock.advance(chrono::Duration::seconds(1));
    let (loader, other) = tokio::join!(slow_list(&cached, &loads, 100, "v2"), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        slow_list(&cached, &loads, 100, "unused").await
    });
    assert_eq!(
        (loader.cache, loader.value.as_str()),
        (CacheOutcome::Miss, "v2")
    );
    assert_eq!(
        (other.cache, other.value.as_str()),
        (CacheOutcome::Stale, "v1"),
        "v1 began loading 1 s ago, within the 3 s bound"
    );
    // Past the bound the latest answer is not served: the other request waits for the loader.
    clock.advance(chrono::Duration::seconds(10));
    cache
        .bump(&tenant("acme"), &[Scope::Tenant])
        .await
        .expect("bump");
    clock.advance(chrono::Duration::seconds(4));
    let (loader, other) = tokio::join!(slow_list(&cached, &loads, 100, "v3"), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        slow_list(&cached, &loads, 100, "unused").await
    });
    assert_eq!(loader.value, "v3");
    assert_eq!(
        (other.cache, other.value.as_str()),
        (CacheOutcome::Hit, "v3")
    );
    assert_eq!(
        loads.load(Ordering::SeqCst),
        3,
        "v1, v2, v3: never the others"
    );
}

#[tokio::test]
async fn a_calls_detail_is_never_served_stale() {
    let clock = Arc::new(FixedClock::at("2026-11-02T10:00:00Z"));
    let cache = Arc::new(MemoryCache::with_clock(clock.clone()));
    let cached = Cached::new(cache.clone()).with_clock(clock.clone());
    let read = |answer: &'static str| {
        let cached = cached.clone();
        async move {
            cached
                .get_or_load(
                    &tenant("acme"),
                    CALL,
                    &[Scope::Call(call_id("c-1"))],
                    "c-1",
                    || async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, std::convert::Infallible>(answer.to_owned())
                    },
                )
                .await
                .expect("infallible")
        }
    };
    assert_eq!(read("received").await.value, "received");
    cache
        .bump(&tenant("acme"), &[Scope::Call(call_id("c-1"))])
        .await
        .expect("bump");
    let (loader, other) = tokio::join!(read("processed"), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        read("processed").await
    });
    assert_eq!(loader.value, "processed");
    assert_eq!(
        other.value, "processed",
        "waited for the loader, not the old answer"
    );
    assert_ne!(other.cache, CacheOutcome::Stale);
}

#[tokio::test]
async fn an_absent_answer_is_not_stored_so_a_call_created_next_is_found_at_once() {
    let cache = Arc::new(MemoryCache::default());
    let cached = Cached::new(cache.clone());
    let scopes = [Scope::Call(call_id("c1"))];
    let absent = cached
        .get_or_load(&tenant("acme"), CALL, &scopes, "c1", || async {
            Ok::<_, std::convert::Infallible>(None::<String>)
        })
        .await
        .expect("infallible");
    assert_eq!((absent.cache, absent.value), (CacheOutcome::Miss, None));
    assert!(cache.keys().is_empty(), "nothing stored for an absent call");
    // The call is stored before its stream record moves any generation: the next read finds it.
    let created = cached
        .get_or_load(&tenant("acme"), CALL, &scopes, "c1", || async {
            Ok::<_, std::convert::Infallible>(Some("the call".to_owned()))
        })
        .await
        .expect("infallible");
    assert_eq!(
        (created.cache, created.value.as_deref()),
        (CacheOutcome::Miss, Some("the call"))
    );
}
