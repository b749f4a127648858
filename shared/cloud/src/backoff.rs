//! Retry delays with full jitter: a random wait in `[0, min(cap, base · 2^attempt)]`, so
//! writers that failed together (a transaction conflict on a hot rollup row, a throttled batch)
//! do not retry in lockstep and collide again.

use std::time::Duration;

/// The delay before retry `attempt` (1 for the first retry).
pub fn full_jitter(base: Duration, attempt: u32, cap: Duration) -> Duration {
    jitter_with(base, attempt, cap, rand::random::<f64>())
}

/// The ceiling the jittered delay of `attempt` is drawn under.
pub fn ceiling(base: Duration, attempt: u32, cap: Duration) -> Duration {
    base.saturating_mul(1_u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
        .min(cap)
}

/// `unit` in `[0, 1)` scales the ceiling.
fn jitter_with(base: Duration, attempt: u32, cap: Duration, unit: f64) -> Duration {
    ceiling(base, attempt, cap).mul_f64(unit.clamp(0.0, 1.0))
}

/// Waits [`full_jitter`].
pub async fn sleep(base: Duration, attempt: u32, cap: Duration) {
    tokio::time::sleep(full_jitter(base, attempt, cap)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(50);
    const CAP: Duration = Duration::from_secs(1);

    #[test]
    fn delays_stay_within_the_growing_capped_ceiling_and_differ() {
        for attempt in 1..=8 {
            let ceiling = ceiling(BASE, attempt, CAP);
            assert_eq!(
                ceiling,
                (BASE * 2_u32.pow(attempt)).min(CAP),
                "attempt {attempt}"
            );
            let delays: Vec<Duration> = (0..64).map(|_| full_jitter(BASE, attempt, CAP)).collect();
            assert!(
                delays.iter().all(|d| *d <= ceiling),
                "attempt {attempt}: {delays:?}"
            );
            let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
            assert!(
                distinct.len() > 32,
                "attempt {attempt}: not jittered: {delays:?}"
            );
        }
    }

    #[test]
    fn the_ceiling_never_overflows() {
        assert_eq!(ceiling(BASE, 200, CAP), CAP);
        assert_eq!(jitter_with(BASE, 2, CAP, 0.0), Duration::ZERO);
        assert_eq!(jitter_with(BASE, 2, CAP, 1.0), Duration::from_millis(200));
    }
}
