//! What a call costs, measured: generated calls of a given length go through the local pipeline
//! with the request meter on every client, and the metered usage becomes units and dollars per
//! call (and per million calls) at list prices.

use std::collections::BTreeMap;

use callscope_cloud::aws::AwsClients;
use callscope_meter::{
    Bill, IndexModel, LambdaUsage, Meter, Prices, Projection, TableModel, Usage,
};
use serde::Serialize;
use serde_json::json;

use crate::template::LocalTemplate;
use crate::LocalPipeline;

/// The meter's view of the template's tables, under the names they were provisioned with.
pub fn table_models(template: &LocalTemplate, prefix: &str) -> Vec<TableModel> {
    template
        .tables
        .iter()
        .map(|table| TableModel {
            name: format!("{prefix}{}", table.logical_id),
            key: table.key_schema.iter().map(|(a, _)| a.clone()).collect(),
            indexes: table
                .indexes
                .iter()
                .map(|index| IndexModel {
                    name: index.name.clone(),
                    key: index.key_schema.iter().map(|(a, _)| a.clone()).collect(),
                    projection: match index.projection.as_str() {
                        "KEYS_ONLY" => Projection::KeysOnly,
                        "INCLUDE" => Projection::Include(index.non_key_attributes.clone()),
                        _ => Projection::All,
                    },
                })
                .collect(),
        })
        .collect()
}

/// A metered local pipeline.
pub async fn metered_pipeline(
    sdk: &aws_config::SdkConfig,
    template: &LocalTemplate,
    prefix: &str,
) -> anyhow::Result<(LocalPipeline, Meter)> {
    let meter = Meter::new(table_models(template, prefix));
    let clients = AwsClients::from_config_with(sdk, meter.clone());
    let pipeline = LocalPipeline::start(clients, template, prefix).await?;
    Ok((pipeline, meter))
}

/// Usage of one kind of call, per call.
#[derive(Debug, Clone, Serialize)]
pub struct CallCost {
    pub minutes: u32,
    pub calls: u64,
    pub usage: Usage,
    pub bill: Bill,
}

/// Billed Lambda time assumed per invocation (the meter cannot see durations locally).
pub const ASSUMED_MS_PER_INVOCATION: f64 = 50.0;
/// Memory billed per invocation: the template's 256 MB default, an upper bound for aggregate
/// (128 MB), the one function on this path configured smaller.
pub const ASSUMED_MEMORY_GB: f64 = 0.25;

/// Ingests `calls` generated calls of `minutes` minutes one POST each, drains the pipeline,
/// and prices what the meter saw.
pub async fn measure(
    pipeline: &LocalPipeline,
    meter: &Meter,
    minutes: u32,
    calls: u64,
    tenant: &str,
) -> anyhow::Result<CallCost> {
    meter.reset();
    for i in 0..calls {
        let mut doc = callscope_samples::generate_call_document(
            minutes,
            u64::from(minutes) * 1_000 + i,
            &format!("cost-{minutes}-{i}"),
        );
        doc["agent_id"] = json!(format!("agent-{}", i % 3));
        let reply = pipeline
            .post("/api/v1/calls", &doc.to_string(), Some(tenant))
            .await;
        anyhow::ensure!(reply.status == 202, "ingest failed: {}", reply.body);
    }
    let reports = pipeline.drain().await?;
    let usage = meter.usage();
    let invocations = calls as f64 + reports.values().map(|r| r.invocations as f64).sum::<f64>();
    let lambda = LambdaUsage {
        invocations,
        gb_seconds: invocations * ASSUMED_MEMORY_GB * ASSUMED_MS_PER_INVOCATION / 1_000.0,
    };
    let bill = Bill::per_million_calls(&usage, calls, calls, lambda, Prices::US_EAST_1);
    Ok(CallCost {
        minutes,
        calls,
        usage,
        bill,
    })
}

/// Per-operation usage divided by calls, for reports.
pub fn per_call(usage: &Usage, calls: u64) -> BTreeMap<String, (f64, f64)> {
    usage
        .operations
        .iter()
        .map(|(op, u)| {
            (
                op.clone(),
                (
                    u.write_units as f64 / calls as f64,
                    u.read_units / calls as f64,
                ),
            )
        })
        .collect()
}
