//! Where erased calls still show in the tables: the proof of an erasure the erasure tests and the
//! chaos run share. Every item of the calls and analytics tables is read (a scan: proof, not a
//! query path) and any item naming an erased call in any string or number attribute is a trace,
//! except the call's rollup-ledger tombstone (ids and versions, no measures), which is what makes
//! a late or repeated event of the erased call count nothing.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::LocalPipeline;

/// The ledger revision an erasure's tombstone holds (`u32::MAX`: newer than any analysis).
const TOMBSTONE_REVISION: &str = "4294967295";

/// Every item of a table, with its string and number attributes.
async fn scan(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let mut pages = dynamodb
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    let mut items = Vec::new();
    while let Some(item) = pages.next().await {
        let item = item.with_context(|| format!("scanning {table}"))?;
        items.push(
            item.into_iter()
                .filter_map(|(k, v)| match v {
                    AttributeValue::S(s) | AttributeValue::N(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
        );
    }
    Ok(items)
}

/// For each of `calls` (ids) that still shows in the pipeline's calls or analytics table, the
/// items that show it (`CallsTable pk sk`); a call absent from the answer left no trace. One
/// scan of each table for all of them. Reads through `dynamodb` (a client without injected
/// faults, in the chaos run).
pub async fn traces_of(
    pipeline: &LocalPipeline,
    dynamodb: &aws_sdk_dynamodb::Client,
    calls: &BTreeSet<String>,
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for table in ["CallsTable", "AnalyticsTable"] {
        for item in scan(dynamodb, pipeline.table(table)).await? {
            let (Some(pk), Some(sk)) = (item.get("pk"), item.get("sk")) else {
                continue;
            };
            for call in calls {
                let mentions = item.values().any(|v| v.contains(call.as_str()));
                let tombstone = table == "AnalyticsTable"
                    && pk.ends_with(&format!("#APPLIED#{call}"))
                    && !item.contains_key("counted")
                    && item.get("rev").map(String::as_str) == Some(TOMBSTONE_REVISION);
                if mentions && !tombstone {
                    found
                        .entry(call.clone())
                        .or_default()
                        .push(format!("{table} {pk} {sk}"));
                }
            }
        }
    }
    Ok(found)
}

/// Whether the drop-in bucket still holds `key` (an erased call's raw object must not).
pub async fn in_drop_in_bucket(
    pipeline: &LocalPipeline,
    s3: &aws_sdk_s3::Client,
    key: &str,
) -> anyhow::Result<bool> {
    match s3
        .head_object()
        .bucket(pipeline.bucket("DropInBucket"))
        .key(key)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context(format!("HeadObject {key}"))),
    }
}
