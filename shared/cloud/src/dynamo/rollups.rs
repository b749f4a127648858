//! The analytics table: daily rollups per agent, team and tenant, applied exactly once per call.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | rollup | `TENANT#{t}#ROLLUP#AGENT#{a}` / `…#ROLLUP#TEAM#{team}` / `…#ROLLUP#TENANT` | `DAY#{yyyy-mm-dd}` |
//! | idempotency marker (the call's ledger entry) | `TENANT#{t}#APPLIED#{call_id}` | `APPLIED` |
//!
//! A batch is deduplicated, coalesced into one delta per rollup key, and written as one
//! transaction per chunk: a marker per call (`attribute_not_exists`) plus one `ADD` update per
//! key. If a marker exists the transaction is cancelled; its reasons, read item by item, name
//! the calls already applied, which are dropped before the rest is retried. Numbers are added
//! with `ADD`, so deltas commute; tracker and outcome counts are flat attributes
//! (`tracker:{name}`, `outcome:{name}`) because `ADD` cannot create a nested map path.
//! A marker is the call's ledger entry: the version applied (`inc`, `rev`) and the event it
//! counted (`counted`, JSON), so an erasure or a re-analysis can subtract exactly that
//! ([`ledger`]). A counted entry never expires; an erasure's tombstone expires after 35 days
//! ([`MARKER_TTL_DAYS`](callscope_app::aggregate::MARKER_TTL_DAYS)): longer than any message lives (14 days from its first enqueue); a
//! redriven change older than 30 days is parked by the use case.

mod applied;
mod keys;
mod ledger;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use callscope_app::ports::{
    ApplyReport, RollupError, RollupQueries, RollupRepository, StoreError, TenantCall,
};
use callscope_app::telemetry;
use callscope_core::domain::{AgentId, Day, TeamId, TenantId};
use callscope_core::pipeline::{
    coalesce, CallAnalysed, RollupDelta, RollupKey, RollupScope, RollupTotals,
};

pub use keys::{marker_key, rollup_pk, rollup_sk};

use super::unavailable;

/// Every agent's (or team's) daily rollups of a tenant, by day.
const SCOPE_DAY_INDEX: &str = "ByScopeDay";
/// DynamoDB's limit on items per transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;
/// Each call adds one marker and touches at most four rollups (agent, team, agent in team,
/// tenant).
const EVENTS_PER_TRANSACTION: usize = MAX_TRANSACTION_ITEMS / 5;
const ATTEMPTS: u32 = 4;
/// Retry delays: drawn under 50 ms · 2^attempt, at most 1 s.
const RETRY_BASE: Duration = Duration::from_millis(25);
const RETRY_CAP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct DynamoRollups {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoRollups {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    /// Applies one chunk; the error is the reason it could not be written.
    async fn apply_chunk(
        &self,
        chunk: &[&CallAnalysed],
        report: &mut ApplyReport,
    ) -> Result<(), String> {
        let mut pending: Vec<&CallAnalysed> = chunk.to_vec();
        for attempt in 1..=ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            let deltas = coalesce(pending.iter().copied());
            let mut items = Vec::with_capacity(pending.len() + deltas.len());
            for event in &pending {
                items.push(
                    TransactWriteItem::builder()
                        .put(self.marker(event)?)
                        .build(),
                );
            }
            for (key, totals) in &deltas {
                items.push(
                    TransactWriteItem::builder()
                        .update(self.update(key, &RollupDelta::from(totals))?)
                        .build(),
                );
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => {
                    report
                        .applied
                        .extend(pending.iter().map(|e| tenant_call(e)));
                    return Ok(());
                }
                Err(error) => {
                    let reasons: Vec<Option<String>> = match error.as_service_error() {
                        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                            cancelled
                                .cancellation_reasons()
                                .iter()
                                .map(|r| r.code().map(str::to_owned))
                                .collect()
                        }
                        _ => {
                            return Err(format!(
                                "applying rollups: {}",
                                DisplayErrorContext(&error)
                            ))
                        }
                    };
                    // Markers come first, in the order of `pending`.
                    let duplicate: Vec<bool> = (0..pending.len())
                        .map(|i| {
                            reasons.get(i).and_then(Option::as_deref)
                                == Some("ConditionalCheckFailed")
                        })
                        .collect();
                    if duplicate.iter().any(|d| *d) {
                        let (dupes, rest): (Vec<_>, Vec<_>) = pending
                            .iter()
                            .zip(&duplicate)
                            .partition(|(_, is_duplicate)| **is_duplicate);
                        report
                            .duplicates
                            .extend(dupes.into_iter().map(|(e, _)| tenant_call(e)));
                        pending = rest.into_iter().map(|(e, _)| *e).collect();
                        continue;
                    }
                    // Conflicts with a concurrent writer or throttling: back off and retry.
                    telemetry::count(telemetry::ROLLUP_CONFLICTS, 1);
                    tracing::warn!(attempt, reasons = ?reasons, "rollup transaction cancelled; retrying");
                    // Full jitter: writers that conflicted on a hot row do not retry in
                    // lockstep and conflict again.
                    crate::backoff::sleep(RETRY_BASE, attempt, RETRY_CAP).await;
                }
            }
        }
        Err(format!(
            "rollup transaction still cancelled after {ATTEMPTS} attempts"
        ))
    }

    fn marker(&self, event: &CallAnalysed) -> Result<Put, String> {
        let (pk, sk) = marker_key(&event.tenant, &event.call_id);
        ledger::entry_put(
            self.table.clone(),
            pk,
            sk,
            &callscope_app::ports::LedgerEntry {
                version: callscope_core::pipeline::Version::new(event.received_at, event.revision),
                counted: Some(event.clone()),
                legacy: false,
            },
            &event.correlation_id,
        )?
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(|e| format!("building an idempotency marker: {e}"))
    }

    /// One `ADD` of a (signed) delta to a rollup, creating it with its keys if new.
    fn update(&self, key: &RollupKey, totals: &RollupDelta) -> Result<Update, String> {
        let mut adds = vec![
            ("calls", totals.calls.to_string()),
            ("duration_seconds", totals.duration_seconds.to_string()),
            ("talk_ratio_sum", totals.talk_ratio_sum.to_string()),
            ("sentiment_sum", totals.sentiment_sum.to_string()),
            ("score_sum", totals.score_sum.to_string()),
            ("questions_agent", totals.questions_agent.to_string()),
            ("questions_customer", totals.questions_customer.to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect::<Vec<_>>();
        adds.extend(
            totals
                .tracker_hits
                .iter()
                .map(|(k, v)| (format!("tracker:{k}"), v.to_string())),
        );
        adds.extend(
            totals
                .outcomes
                .iter()
                .map(|(k, v)| (format!("outcome:{k}"), v.to_string())),
        );
        let mut builder = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(rollup_pk(key)))
            .key("sk", AttributeValue::S(rollup_sk(key.day)));
        let mut clauses = Vec::with_capacity(adds.len());
        for (i, (name, value)) in adds.into_iter().enumerate() {
            clauses.push(format!("#a{i} :a{i}"));
            builder = builder
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":a{i}"), AttributeValue::N(value));
        }
        let (scope_kind, scope_id, agent) = keys::scope_parts(&key.scope);
        let mut sets = vec![
            "tenant = :tenant",
            "scope_kind = :kind",
            "scope_id = :id",
            "#day = :day",
        ];
        if let Some(agent) = agent {
            sets.push("agent_id = :agent");
            builder =
                builder.expression_attribute_values(":agent", AttributeValue::S(agent.to_string()));
        }
        if let Some((gsi1pk, gsi1sk)) = keys::scope_day_keys(key) {
            sets.push("gsi1pk = :gsi1pk, gsi1sk = :gsi1sk");
            builder = builder
                .expression_attribute_values(":gsi1pk", AttributeValue::S(gsi1pk))
                .expression_attribute_values(":gsi1sk", AttributeValue::S(gsi1sk));
        }
        builder
            .update_expression(format!(
                "ADD {} SET {}",
                clauses.join(", "),
                sets.join(", ")
            ))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":tenant", AttributeValue::S(key.tenant.to_string()))
            .expression_attribute_values(":kind", AttributeValue::S(scope_kind.to_owned()))
            .expression_attribute_values(":id", AttributeValue::S(scope_id))
            .expression_attribute_values(":day", AttributeValue::S(key.day.to_string()))
            .build()
            .map_err(|e| format!("building a rollup update: {e}"))
    }

    pub async fn get(&self, key: &RollupKey) -> Result<Option<RollupTotals>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(rollup_pk(key)))
            .key("sk", AttributeValue::S(rollup_sk(key.day)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("reading a rollup", e))?;
        Ok(output.item.as_ref().map(keys::totals_of))
    }
}

fn tenant_call(event: &CallAnalysed) -> TenantCall {
    (event.tenant.clone(), event.call_id.clone())
}

#[async_trait]
impl RollupRepository for DynamoRollups {
    /// Writes the events a chunk at a time: markers and coalesced `ADD`s in one transaction.
    async fn apply(&self, events: &[CallAnalysed]) -> Result<ApplyReport, RollupError> {
        let mut seen = HashSet::new();
        let distinct: Vec<&CallAnalysed> = events
            .iter()
            .filter(|e| seen.insert((e.tenant.clone(), e.call_id.clone())))
            .collect();
        let mut report = ApplyReport::default();
        for (i, chunk) in distinct.chunks(EVENTS_PER_TRANSACTION).enumerate() {
            if let Err(reason) = self.apply_chunk(chunk, &mut report).await {
                let done: HashSet<&TenantCall> =
                    report.applied.iter().chain(&report.duplicates).collect();
                let not_applied = distinct[i * EVENTS_PER_TRANSACTION..]
                    .iter()
                    .map(|e| tenant_call(e))
                    .filter(|c| !done.contains(c))
                    .collect();
                return Err(RollupError {
                    not_applied,
                    report,
                    reason,
                });
            }
        }
        Ok(report)
    }

    async fn ledger(
        &self,
        tenant: &TenantId,
        call_id: &callscope_core::domain::CallId,
    ) -> Result<Option<callscope_app::ports::LedgerEntry>, StoreError> {
        self.read_ledger(tenant, call_id).await
    }

    async fn settle(
        &self,
        settlement: &callscope_app::ports::Settlement,
    ) -> Result<callscope_app::ports::Settled, StoreError> {
        self.write_settlement(settlement).await
    }
}

/// `DAY#{from}` .. `DAY#{to}` (`~` sorts above every day and id character, for open ends).
fn day_bounds(from: Option<Day>, to: Option<Day>) -> (String, String) {
    (
        from.map_or_else(|| "DAY#".to_owned(), |d| format!("DAY#{d}")),
        to.map_or_else(|| "DAY#~".to_owned(), |d| format!("DAY#{d}#~")),
    )
}

#[async_trait]
impl RollupQueries for DynamoRollups {
    async fn series(
        &self,
        tenant: &TenantId,
        scope: &RollupScope,
        from: Option<Day>,
        to: Option<Day>,
    ) -> Result<BTreeMap<Day, RollupTotals>, StoreError> {
        let (from, to) = day_bounds(from, to);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(keys::scope_pk(tenant, scope)))
            .expression_attribute_values(":from", AttributeValue::S(from))
            .expression_attribute_values(":to", AttributeValue::S(to))
            .into_paginator()
            .items()
            .send();
        let mut series = BTreeMap::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| unavailable("reading a rollup series", e))?;
            if let Some(day) = keys::day_of(&item) {
                series.insert(day, keys::totals_of(&item));
            }
        }
        Ok(series)
    }

    async fn latest_agent_day(
        &self,
        tenant: &TenantId,
        team: Option<&TeamId>,
    ) -> Result<Option<Day>, StoreError> {
        // One index item: the agents' rows sort by `DAY#{day}#{agent}`.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(SCOPE_DAY_INDEX)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(keys::agents_pk(tenant, team)))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(|e| unavailable("reading the agents' latest day", e))?;
        Ok(output
            .items
            .unwrap_or_default()
            .first()
            .and_then(|item| item.get("gsi1sk")?.as_s().ok().cloned())
            .and_then(|sk| {
                let day = sk.strip_prefix("DAY#")?.split('#').next()?.to_owned();
                Day::parse("day", &day).ok()
            }))
    }

    async fn agents(
        &self,
        tenant: &TenantId,
        from: Option<Day>,
        to: Option<Day>,
        team: Option<&TeamId>,
    ) -> Result<BTreeMap<AgentId, RollupTotals>, StoreError> {
        let (from, to) = day_bounds(from, to);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(SCOPE_DAY_INDEX)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(keys::agents_pk(tenant, team)))
            .expression_attribute_values(":from", AttributeValue::S(from))
            .expression_attribute_values(":to", AttributeValue::S(to))
            .into_paginator()
            .items()
            .send();
        let mut agents: BTreeMap<AgentId, RollupTotals> = BTreeMap::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| unavailable("reading the agents' rollups", e))?;
            let agent = item
                .get("agent_id")
                .and_then(|v| v.as_s().ok())
                .and_then(|a| AgentId::parse("agent_id", a.as_str()).ok());
            match agent {
                Some(agent) => agents
                    .entry(agent)
                    .or_default()
                    .merge(&keys::totals_of(&item)),
                None => tracing::error!(
                    ?item,
                    "an agent rollup without a readable agent_id; skipped"
                ),
            }
        }
        Ok(agents)
    }
}
