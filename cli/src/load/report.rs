//! The load report: one value that `--json` writes as it is and the terminal gets as text.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::bill::{ReadBill, WriteBill};
use super::stats::{EndpointReport, Latency};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub base_url: String,
    /// Prefix of every id this run created (calls, agents, customers).
    pub run: String,
    pub seed: u64,
    pub concurrency: usize,
    pub calls: CallsReport,
    pub ingest: PhaseReport,
    pub aggregation: AggregationReport,
    pub queries: PhaseReport,
    pub endpoints: Vec<EndpointReport>,
    /// Errors by status (`503`, `transport:timeout`) or kind (`bulk item retry`, `not counted`).
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
    pub bill: Option<BillReport>,
    /// Why there is no bill, when there is none.
    pub bill_note: Option<String>,
    /// `--mix dashboard`: the readers' phase.
    pub dashboard: Option<super::dashboard::DashboardReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallsReport {
    pub planned: usize,
    /// Calls of each length: `{minutes: calls}`.
    pub by_minutes: BTreeMap<u32, usize>,
    pub sent_in_bulk: usize,
    pub agents: usize,
    pub teams: usize,
    pub days: i64,
}

/// A phase's throughput.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PhaseReport {
    pub requests: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    /// Ingest: calls accepted (202). Queries: answers through the cache that were hits.
    pub accepted_calls: Option<u64>,
    pub cache_hits: Option<u64>,
    pub cache_lookups: Option<u64>,
    pub cache_hit_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregationReport {
    /// How "aggregated" is observed.
    pub observed_as: String,
    pub counted: u64,
    pub not_counted: u64,
    /// From the first 202 to the last call seen counted.
    pub seconds: f64,
    /// Per call, from its 202 to the first poll that saw it counted, in seconds.
    pub end_to_end_seconds: Option<Latency>,
    pub polls: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillReport {
    pub write_path: WriteBill,
    pub read_path: Option<ReadBill>,
}

fn rate(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

impl PhaseReport {
    pub fn new(requests: u64, seconds: f64) -> Self {
        Self {
            requests,
            seconds,
            requests_per_second: rate(requests, seconds),
            ..Self::default()
        }
    }
}

/// The report as text, for the terminal.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let lengths: Vec<String> = r
        .calls
        .by_minutes
        .iter()
        .map(|(m, n)| format!("{n}×{m} min"))
        .collect();
    let _ = writeln!(
        out,
        "callscope load against {} (run {}, seed {}, concurrency {})",
        r.base_url, r.run, r.seed, r.concurrency
    );
    let _ = writeln!(
        out,
        "calls: {} ({}), {} agents in {} teams over {} day(s), {} sent in bulk",
        r.calls.planned,
        lengths.join(", "),
        r.calls.agents,
        r.calls.teams,
        r.calls.days,
        r.calls.sent_in_bulk
    );
    let i = &r.ingest;
    let _ = writeln!(
        out,
        "ingest:      {} requests, {} calls accepted in {:.1} s: {:.1} requests/s, {:.1} calls/s",
        i.requests,
        i.accepted_calls.unwrap_or(0),
        i.seconds,
        i.requests_per_second,
        rate(i.accepted_calls.unwrap_or(0), i.seconds)
    );
    let a = &r.aggregation;
    let e2e = a.end_to_end_seconds.map_or("none counted".into(), |l| {
        format!(
            "p50 {:.1} s, p95 {:.1} s (min {:.1}, max {:.1})",
            l.p50, l.p95, l.min, l.max
        )
    });
    let _ = writeln!(
        out,
        "aggregated:  {}/{} calls counted {:.1} s after the first 202 ({} polls); 202 → counted {e2e}",
        a.counted,
        a.counted + a.not_counted,
        a.seconds,
        a.polls
    );
    let _ = writeln!(out, "             counted = {}", a.observed_as);
    let q = &r.queries;
    let cache = match (q.cache_hit_rate, q.cache_hits, q.cache_lookups) {
        (Some(rate), Some(hits), Some(lookups)) => {
            format!("cache hit rate {:.1}% ({hits} of {lookups})", rate * 100.0)
        }
        _ => "no cache answers".into(),
    };
    let _ = writeln!(
        out,
        "queries:     {} in {:.1} s: {:.1} requests/s; {cache}",
        q.requests, q.seconds, q.requests_per_second
    );
    let _ = writeln!(
        out,
        "\n{:<52} {:>6} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8}  {:>9}",
        "endpoint (latency in ms)", "reqs", "errs", "min", "p50", "p95", "p99", "max", "cache hit"
    );
    for e in &r.endpoints {
        let l = &e.latency_ms;
        let (hits, through) = e.cache_counts();
        let hit = if through > 0 {
            format!("{:.0}%", 100.0 * hits as f64 / through as f64)
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "{:<52} {:>6} {:>5} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {:>9}",
            e.endpoint, e.requests, e.errors, l.min, l.p50, l.p95, l.p99, l.max, hit
        );
    }
    let errors: Vec<String> = r.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let _ = writeln!(
        out,
        "\nerrors: {}",
        if errors.is_empty() {
            "0".into()
        } else {
            format!("{} ({})", r.error_count, errors.join(", "))
        }
    );
    match (&r.bill, &r.bill_note) {
        (Some(bill), _) => render_bill(&mut out, bill),
        (None, Some(note)) => {
            let _ = writeln!(out, "bill: {note}");
        }
        (None, None) => {}
    }
    if let Some(dashboard) = &r.dashboard {
        out.push_str(&super::dashboard::render(dashboard));
    }
    out
}

fn render_bill(out: &mut String, bill: &BillReport) {
    let w = &bill.write_path;
    let b = &w.bill;
    let per_call = |n: u64| n as f64 / w.calls.max(1) as f64;
    let _ = writeln!(
        out,
        "bill (request meter of `local serve`, write path from before the first POST to the last call counted, {} calls):",
        w.calls
    );
    let _ = writeln!(
        out,
        "  per call: {:.1} write units, {:.1} read units, {:.1} SQS requests, {:.2} HTTP requests, {:.1} invocations",
        b.write_units_per_call,
        b.read_units_per_call,
        b.sqs_requests_per_call,
        per_call(w.http_requests),
        per_call(w.invocations)
    );
    let _ = writeln!(
        out,
        "  $ per million calls: DynamoDB writes {:.2} + reads {:.2} + SQS {:.2} + API Gateway {:.2} + Lambda {:.2} = {:.2}",
        b.dynamodb_writes, b.dynamodb_reads, b.sqs, b.api_gateway, b.lambda, b.total
    );
    if let Some(read) = &bill.read_path {
        let b = &read.bill_per_million_queries;
        let _ = writeln!(
            out,
            "  read path ({} queries): {:.2} read units per query; $ per million queries: DynamoDB {:.2} + API Gateway {:.2} + Lambda {:.2} = {:.2}",
            read.queries, b.read_units_per_call, b.dynamodb_reads, b.api_gateway, b.lambda, b.total
        );
    }
    let _ = writeln!(
        out,
        "  (us-east-1 list prices; Lambda at an assumed {} ms and {} GB per invocation)",
        callscope_local::cost::ASSUMED_MS_PER_INVOCATION,
        callscope_local::cost::ASSUMED_MEMORY_GB
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let endpoint = EndpointReport {
            endpoint: "GET /api/v1/calls".into(),
            requests: 4,
            errors: 1,
            latency_ms: Latency::of(&[1.0, 2.0, 3.0, 40.0]).expect("samples"),
            statuses: [("200".to_owned(), 3), ("503".to_owned(), 1)].into(),
            cache: [("hit".to_owned(), 1), ("miss".to_owned(), 2)].into(),
        };
        Report {
            base_url: "http://127.0.0.1:3000".into(),
            run: "load-1".into(),
            seed: 1,
            concurrency: 8,
            calls: CallsReport {
                planned: 2,
                by_minutes: [(5, 2)].into(),
                sent_in_bulk: 0,
                agents: 2,
                teams: 2,
                days: 1,
            },
            ingest: PhaseReport::new(2, 1.0),
            aggregation: AggregationReport {
                observed_as: "the agent's series".into(),
                counted: 2,
                not_counted: 0,
                seconds: 3.0,
                end_to_end_seconds: Latency::of(&[2.0, 3.0]),
                polls: 4,
            },
            queries: PhaseReport::new(4, 2.0),
            endpoints: vec![endpoint],
            errors: [("503".to_owned(), 1)].into(),
            error_count: 1,
            bill: None,
            bill_note: Some("skipped: no meter".into()),
            dashboard: None,
        }
    }

    #[test]
    fn the_json_report_holds_every_figure_the_text_shows() {
        let json = serde_json::to_value(report()).expect("serializes");
        assert_eq!(json["ingest"]["requests_per_second"], 2.0);
        assert_eq!(json["aggregation"]["end_to_end_seconds"]["p95"], 3.0);
        assert_eq!(json["endpoints"][0]["latency_ms"]["p99"], 40.0);
        assert_eq!(json["endpoints"][0]["cache"]["hit"], 1);
        assert_eq!(json["errors"]["503"], 1);
        assert!(json["bill"].is_null());
        assert_eq!(json["calls"]["by_minutes"]["5"], 2);
    }

    #[test]
    fn the_text_report_names_errors_and_why_there_is_no_bill() {
        let text = render(&report());
        assert!(text.contains("errors: 1 (503: 1)"), "{text}");
        assert!(text.contains("bill: skipped: no meter"), "{text}");
        assert!(text.contains("p50 2.0 s, p95 3.0 s"), "{text}");
        let row = text
            .lines()
            .find(|l| l.starts_with("GET /api/v1/calls"))
            .expect("an endpoint row");
        assert!(row.contains("33%"), "{row}");
    }
}
