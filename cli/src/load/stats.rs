//! What a load run saw, per endpoint: latencies, statuses and how the cache served each answer,
//! and the errors that are not a status (transport failures, bulk items not accepted, calls never
//! counted). Percentiles are nearest-rank over every sample (runs are bounded, so all are kept).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Nearest-rank percentile of sorted samples: the smallest value with at least `p`% of the
/// samples at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// min, p50, p95, p99, max of some samples, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            min: *sorted.first()?,
            p50: percentile(&sorted, 50.0)?,
            p95: percentile(&sorted, 95.0)?,
            p99: percentile(&sorted, 99.0)?,
            max: *sorted.last()?,
        })
    }
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Status(u16),
    /// No answer: connection refused, reset, or the request timeout.
    Transport(&'static str),
}

#[derive(Debug, Default)]
struct Endpoint {
    millis: Vec<f64>,
    statuses: BTreeMap<String, u64>,
    cache: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct Seen {
    endpoints: BTreeMap<&'static str, Endpoint>,
    other_errors: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Recorder(Mutex<Seen>);

/// One endpoint's figures in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointReport {
    pub endpoint: String,
    pub requests: u64,
    pub errors: u64,
    pub latency_ms: Latency,
    /// Answers by status (`200`, `202`, `503`, `transport:timeout`).
    pub statuses: BTreeMap<String, u64>,
    /// Answers by `x-cache` (`hit`, `miss`, `error`, `disabled`), where the API says.
    pub cache: BTreeMap<String, u64>,
}

impl EndpointReport {
    /// Hits over answers that went through the cache (hit, miss or error).
    pub fn cache_counts(&self) -> (u64, u64) {
        let hits = self.cache.get("hit").copied().unwrap_or(0);
        let through: u64 = ["hit", "miss", "error"]
            .iter()
            .filter_map(|k| self.cache.get(*k))
            .sum();
        (hits, through)
    }
}

fn is_error(status: &str) -> bool {
    !status.starts_with('2')
}

impl Recorder {
    pub fn record(
        &self,
        endpoint: &'static str,
        elapsed: Duration,
        outcome: Outcome,
        cache: Option<&str>,
    ) {
        let Ok(mut seen) = self.0.lock() else { return };
        let entry = seen.endpoints.entry(endpoint).or_default();
        entry.millis.push(elapsed.as_secs_f64() * 1_000.0);
        let status = match outcome {
            Outcome::Status(code) => code.to_string(),
            Outcome::Transport(kind) => format!("transport:{kind}"),
        };
        *entry.statuses.entry(status).or_default() += 1;
        if let Some(cache) = cache {
            *entry.cache.entry(cache.to_owned()).or_default() += 1;
        }
    }

    /// An error that is not an answer's status (`bulk item retry`, `not aggregated`).
    pub fn error(&self, kind: &str, count: u64) {
        if count == 0 {
            return;
        }
        if let Ok(mut seen) = self.0.lock() {
            *seen.other_errors.entry(kind.to_owned()).or_default() += count;
        }
    }

    pub fn endpoints(&self) -> Vec<EndpointReport> {
        let Ok(seen) = self.0.lock() else {
            return Vec::new();
        };
        seen.endpoints
            .iter()
            .map(|(name, e)| EndpointReport {
                endpoint: (*name).to_owned(),
                requests: e.millis.len() as u64,
                errors: e
                    .statuses
                    .iter()
                    .filter(|(s, _)| is_error(s))
                    .map(|(_, n)| n)
                    .sum(),
                latency_ms: Latency::of(&e.millis).unwrap_or_default(),
                statuses: e.statuses.clone(),
                cache: e.cache.clone(),
            })
            .collect()
    }

    /// Every error: non-2xx statuses and transport failures summed over endpoints, and the rest.
    pub fn errors_by_kind(&self) -> BTreeMap<String, u64> {
        let mut errors = BTreeMap::new();
        let Ok(seen) = self.0.lock() else {
            return errors;
        };
        for endpoint in seen.endpoints.values() {
            for (status, n) in endpoint.statuses.iter().filter(|(s, _)| is_error(s)) {
                *errors.entry(status.clone()).or_default() += n;
            }
        }
        for (kind, n) in &seen.other_errors {
            *errors.entry(kind.clone()).or_default() += n;
        }
        errors
    }

    pub fn requests_to(&self, endpoints: &[&str]) -> u64 {
        self.0.lock().map_or(0, |seen| {
            endpoints
                .iter()
                .filter_map(|e| seen.endpoints.get(e))
                .map(|e| e.millis.len() as u64)
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let latency = Latency::of(&samples).expect("samples");
        assert_eq!(
            (
                latency.min,
                latency.p50,
                latency.p95,
                latency.p99,
                latency.max
            ),
            (1.0, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn unsorted_samples_are_sorted_first() {
        let latency = Latency::of(&[30.0, 10.0, 20.0]).expect("samples");
        assert_eq!((latency.min, latency.p50, latency.max), (10.0, 20.0, 30.0));
    }

    #[test]
    fn errors_are_counted_by_status_across_endpoints_and_by_kind() {
        let recorder = Recorder::default();
        let ms = Duration::from_millis(5);
        recorder.record("a", ms, Outcome::Status(200), Some("hit"));
        recorder.record("a", ms, Outcome::Status(503), None);
        recorder.record("b", ms, Outcome::Status(503), Some("miss"));
        recorder.record("b", ms, Outcome::Transport("timeout"), None);
        recorder.error("bulk item retry", 2);
        let errors = recorder.errors_by_kind();
        assert_eq!(errors["503"], 2);
        assert_eq!(errors["transport:timeout"], 1);
        assert_eq!(errors["bulk item retry"], 2);
        assert!(!errors.contains_key("200"));
        let endpoints = recorder.endpoints();
        assert_eq!((endpoints[0].requests, endpoints[0].errors), (2, 1));
        assert_eq!(endpoints[0].cache_counts(), (1, 1));
        assert_eq!(endpoints[1].cache_counts(), (0, 1));
    }
}
