//! What a phase of a load run cost: the difference between two readings of the request meter
//! of `callscope local serve` (see [`crate::local::serve::meter`]), priced per million calls
//! for the write path and per million queries for the read path.

use callscope_local::cost::{ASSUMED_MEMORY_GB, ASSUMED_MS_PER_INVOCATION};
use callscope_meter::{Bill, LambdaUsage, OperationUsage, Prices, Usage};
use serde::Serialize;

use crate::local::serve::meter::MeterReading;

/// What was metered between two readings.
pub fn since(before: &Usage, after: &Usage) -> Usage {
    let operations = after
        .operations
        .iter()
        .map(|(op, a)| {
            let b = before.operations.get(op).cloned().unwrap_or_default();
            let delta = OperationUsage {
                requests: a.requests.saturating_sub(b.requests),
                items: a.items.saturating_sub(b.items),
                bytes_written: a.bytes_written.saturating_sub(b.bytes_written),
                bytes_read: a.bytes_read.saturating_sub(b.bytes_read),
                write_units: a.write_units.saturating_sub(b.write_units),
                read_units: (a.read_units - b.read_units).max(0.0),
                billed_requests: a.billed_requests.saturating_sub(b.billed_requests),
            };
            (op.clone(), delta)
        })
        .filter(|(_, d)| d.requests > 0)
        .collect();
    Usage { operations }
}

fn invocations_since(before: &MeterReading, after: &MeterReading) -> u64 {
    after
        .invocations
        .iter()
        .map(|(f, n)| n.saturating_sub(before.invocations.get(f).copied().unwrap_or(0)))
        .sum()
}

fn lambda(invocations: u64) -> LambdaUsage {
    let invocations = invocations as f64;
    LambdaUsage {
        invocations,
        gb_seconds: invocations * ASSUMED_MEMORY_GB * ASSUMED_MS_PER_INVOCATION / 1_000.0,
    }
}

/// The write path's bill for `calls` calls that took `http_requests` ingest requests, and what
/// each request of the run cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteBill {
    pub calls: u64,
    pub http_requests: u64,
    pub invocations: u64,
    pub usage: Usage,
    /// Per call, and dollars per million calls.
    pub bill: Bill,
}

pub fn write_bill(
    before: &MeterReading,
    after: &MeterReading,
    calls: u64,
    http_requests: u64,
) -> WriteBill {
    let usage = since(&before.write_path, &after.write_path);
    let invocations = http_requests + invocations_since(before, after);
    let bill = Bill::per_million_calls(
        &usage,
        calls,
        http_requests,
        lambda(invocations),
        Prices::US_EAST_1,
    );
    WriteBill {
        calls,
        http_requests,
        invocations,
        usage,
        bill,
    }
}

/// The query API's bill for `queries` requests: its fields "per call" are per query here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadBill {
    pub queries: u64,
    pub usage: Usage,
    pub bill_per_million_queries: Bill,
}

pub fn read_bill(before: &MeterReading, after: &MeterReading, queries: u64) -> ReadBill {
    let usage = since(&before.read_path, &after.read_path);
    let bill =
        Bill::per_million_calls(&usage, queries, queries, lambda(queries), Prices::US_EAST_1);
    ReadBill {
        queries,
        usage,
        bill_per_million_queries: bill,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(op: &str, requests: u64, write_units: u64, read_units: f64) -> Usage {
        let mut usage = Usage::default();
        usage.operations.insert(
            op.into(),
            OperationUsage {
                requests,
                write_units,
                read_units,
                ..OperationUsage::default()
            },
        );
        usage
    }

    #[test]
    fn a_bill_prices_only_what_happened_between_the_readings() {
        let before = MeterReading {
            write_path: usage("dynamodb:PutItem", 10, 40, 0.0),
            invocations: [("ProcessFunction".to_owned(), 3)].into(),
            ..MeterReading::default()
        };
        let after = MeterReading {
            write_path: usage("dynamodb:PutItem", 30, 140, 0.0),
            invocations: [("ProcessFunction".to_owned(), 8)].into(),
            ..MeterReading::default()
        };
        let bill = write_bill(&before, &after, 10, 4);
        assert_eq!(bill.usage.write_units(), 100);
        assert_eq!(bill.invocations, 4 + 5);
        assert!((bill.bill.write_units_per_call - 10.0).abs() < 1e-9);
        // 10 write units at $0.625 per million = $6.25 per million calls.
        assert!((bill.bill.dynamodb_writes - 6.25).abs() < 1e-9);
    }

    #[test]
    fn the_reading_round_trips_as_json() {
        let reading = MeterReading {
            read_path: usage("dynamodb:Query", 2, 0, 1.5),
            ..MeterReading::default()
        };
        let text = serde_json::to_string(&reading).expect("serializes");
        assert_eq!(
            serde_json::from_str::<MeterReading>(&text).expect("parses"),
            reading
        );
    }
}
