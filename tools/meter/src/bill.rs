//! What metered usage costs, in dollars per million calls, at list prices kept in one place:
//! us-east-1, on-demand DynamoDB, Lambda on arm64, standard SQS, HTTP API (2026 list prices).

use serde::Serialize;

use super::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// DynamoDB on-demand, per write request unit.
    pub write_unit: f64,
    /// DynamoDB on-demand, per read request unit.
    pub read_unit: f64,
    /// SQS standard, per request (each 64 KB of payload is a request).
    pub sqs_request: f64,
    /// API Gateway HTTP API, per request (first 300 M a month).
    pub http_request: f64,
    /// Lambda, per invocation.
    pub lambda_request: f64,
    /// Lambda on arm64, per GB-second.
    pub lambda_gb_second: f64,
}

impl Prices {
    pub const US_EAST_1: Prices = Prices {
        write_unit: 0.625 / 1e6,
        read_unit: 0.125 / 1e6,
        sqs_request: 0.40 / 1e6,
        http_request: 1.00 / 1e6,
        lambda_request: 0.20 / 1e6,
        lambda_gb_second: 0.000_013_333_4,
    };
}

/// Lambda's share: invocations and GB-seconds (memory × billed duration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LambdaUsage {
    pub invocations: f64,
    pub gb_seconds: f64,
}

/// Cost per million calls, by service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bill {
    pub write_units_per_call: f64,
    pub read_units_per_call: f64,
    pub sqs_requests_per_call: f64,
    pub dynamodb_writes: f64,
    pub dynamodb_reads: f64,
    pub sqs: f64,
    pub api_gateway: f64,
    pub lambda: f64,
    pub total: f64,
}

impl Bill {
    /// `usage` for `calls` calls, `http_requests` of them through API Gateway.
    pub fn per_million_calls(
        usage: &Usage,
        calls: u64,
        http_requests: u64,
        lambda: LambdaUsage,
        prices: Prices,
    ) -> Self {
        let per_call = |v: f64| v / calls.max(1) as f64;
        let million = 1e6;
        let write_units_per_call = per_call(usage.write_units() as f64);
        let read_units_per_call = per_call(usage.read_units());
        let sqs_requests_per_call = per_call(usage.sqs_requests() as f64);
        let dynamodb_writes = write_units_per_call * prices.write_unit * million;
        let dynamodb_reads = read_units_per_call * prices.read_unit * million;
        let sqs = sqs_requests_per_call * prices.sqs_request * million;
        let api_gateway = per_call(http_requests as f64) * prices.http_request * million;
        let lambda = per_call(lambda.invocations) * prices.lambda_request * million
            + per_call(lambda.gb_seconds) * prices.lambda_gb_second * million;
        Self {
            write_units_per_call,
            read_units_per_call,
            sqs_requests_per_call,
            dynamodb_writes,
            dynamodb_reads,
            sqs,
            api_gateway,
            lambda,
            total: dynamodb_writes + dynamodb_reads + sqs + api_gateway + lambda,
        }
    }
}
