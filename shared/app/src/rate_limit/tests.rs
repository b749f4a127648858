//! Both limiters on the in-memory cache and a fixed clock.

use super::*;
use crate::memory::{FixedClock, MemoryCache};
use crate::test_support::tenant;

fn clock() -> Arc<FixedClock> {
    // 10:00:30: half a minute into the window.
    Arc::new(FixedClock::at("2026-11-02T10:00:30Z"))
}

#[tokio::test]
async fn the_fixed_window_refuses_past_the_limit_per_tenant_until_the_next_minute() {
    let clock = clock();
    let cache = Arc::new(MemoryCache::default());
    let limiter = FixedWindow::per_minute(cache, clock.clone(), 3);
    let acme = tenant("acme");
    let mut remaining = Vec::new();
    for _ in 0..3 {
        match limiter.check(&acme).await {
            Verdict::Allowed(Some(quota)) => remaining.push(quota.remaining),
            other => panic!("allowed expected, got {other:?}"),
        }
    }
    assert_eq!(remaining, [2, 1, 0]);
    let Verdict::Limited(quota) = limiter.check(&acme).await else {
        panic!("the fourth request of the minute is refused");
    };
    assert_eq!(
        quota.reset,
        Duration::from_secs(30),
        "until the minute ends"
    );
    assert!(
        matches!(
            limiter.check(&tenant("globex")).await,
            Verdict::Allowed(Some(_))
        ),
        "another tenant has its own count"
    );
    clock.advance(chrono::Duration::seconds(30));
    assert!(matches!(
        limiter.check(&acme).await,
        Verdict::Allowed(Some(_))
    ));
}

#[tokio::test]
async fn the_fixed_window_lets_requests_through_when_the_cache_is_down() {
    let cache = Arc::new(MemoryCache::default());
    let limiter = FixedWindow::per_minute(cache.clone(), clock(), 1);
    cache.set_down(true);
    for _ in 0..5 {
        assert_eq!(limiter.check(&tenant("acme")).await, Verdict::Allowed(None));
    }
    let none = FixedWindow::per_minute(Arc::new(crate::ports::NoCache), clock(), 1);
    assert_eq!(none.check(&tenant("acme")).await, Verdict::Allowed(None));
    assert_eq!(none.check(&tenant("acme")).await, Verdict::Allowed(None));
}

#[tokio::test]
async fn the_token_bucket_allows_a_burst_then_refills_at_the_rate() {
    let clock = clock();
    let limiter = TokenBucket::per_minute(clock.clone(), 60);
    let acme = tenant("acme");
    for _ in 0..60 {
        assert!(matches!(
            limiter.check(&acme).await,
            Verdict::Allowed(Some(_))
        ));
    }
    let Verdict::Limited(quota) = limiter.check(&acme).await else {
        panic!("the bucket is empty");
    };
    assert_eq!(quota.reset, Duration::from_secs(1), "one token a second");
    assert!(matches!(
        limiter.check(&tenant("globex")).await,
        Verdict::Allowed(Some(_))
    ));
    clock.advance(chrono::Duration::seconds(2));
    assert!(matches!(
        limiter.check(&acme).await,
        Verdict::Allowed(Some(_))
    ));
    assert!(matches!(
        limiter.check(&acme).await,
        Verdict::Allowed(Some(_))
    ));
    assert!(matches!(limiter.check(&acme).await, Verdict::Limited(_)));
}
