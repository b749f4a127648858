//! The outbound use case (the outbound function): each call that became PROCESSED leaves
//! callscope twice — as a `CallAnalysed` event on the EventBridge bus, and as a row of the
//! Parquet export in S3 (one file per tenant and day per batch) — and raises a `CallAlert` event
//! for each of its tenant's alert rules it fires ([`alerts`]).
//!
//! Exactly once per analysis: the function reads the calls table's stream, and only the change
//! that turns a call PROCESSED (its old image was not) is a [`Processed`] transition. Process
//! running twice writes that change once (the second run finds it PROCESSED, or rewrites an
//! item that already was), so a second run is no second transition. The stream is read in
//! order per call and a batch is checkpointed up to the first record that failed, so a record
//! is published again only when the function dies between the bus accepting it and the batch
//! returning, or when the bus refused (after retries) an earlier entry of the same 10-entry
//! request; for those, and for EventBridge's own at-least-once delivery to targets, each event
//! carries a stable `event_id`.
//!
//! Order: load every call of the batch, write the export files (an overwrite on retry: the
//! file is named after the batch's first record), then publish in stream order (a call's
//! `CallAnalysed`, then its alerts); the batch reports the first record not fully published,
//! so Lambda retries from there.

mod alerts;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use callscope_core::domain::{CallId, Day, TenantId, Timestamp};
use callscope_core::pipeline::events::{AnalysedCall, CallAnalysedDetail, CALL_ANALYSED};
use callscope_export::{object_key, to_parquet, CallFacts, ExportRow};
use futures::stream::{self, StreamExt};

pub use alerts::Alerts;

use crate::ports::{BusEvent, CallQueries, CallRecord, EventBus, ExportStore, OutboundError, Read};
use crate::telemetry;

mod compaction;
mod erasure;
pub use compaction::{Compacted, ExportCompaction, FULL_BYTES};
pub use erasure::{ErasedCall, ErasureReport, ExportErasure, Removal};

/// Calls of one batch read at once.
const LOAD_CONCURRENCY: usize = 8;
/// Entries of one PutEvents request (EventBridge's limit).
const EVENTS_PER_REQUEST: usize = 10;

/// A call the stream shows becoming PROCESSED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub tenant: TenantId,
    pub call_id: CallId,
    /// The analysis's time, from the new image: what makes the event id stable.
    pub analysed_at: Timestamp,
}

/// What became of a batch: `Some(i)` when transitions `i..` must be retried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundReport {
    pub published: usize,
    /// `CallAlert` events among `published`.
    pub alerts: usize,
    pub exported_rows: usize,
    pub files: Vec<String>,
    /// The partitions (tenant, day) those files went to: what compaction looks at next.
    pub partitions: Vec<(TenantId, Day)>,
    pub retry_from: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Outbound {
    calls: Arc<dyn CallQueries>,
    bus: Arc<dyn EventBus>,
    export: Arc<dyn ExportStore>,
    /// Tenants that opted in to the transcript column.
    transcript_tenants: BTreeSet<TenantId>,
    alerts: Option<Alerts>,
}

/// A call with its analysis, ready to leave.
struct Leaving {
    detail: CallAnalysedDetail,
    row: ExportRow,
    alerts: Vec<BusEvent>,
}

impl Outbound {
    pub fn new(
        calls: Arc<dyn CallQueries>,
        bus: Arc<dyn EventBus>,
        export: Arc<dyn ExportStore>,
        transcript_tenants: BTreeSet<TenantId>,
    ) -> Self {
        Self {
            calls,
            bus,
            export,
            transcript_tenants,
            alerts: None,
        }
    }

    /// Raises `CallAlert`s from the tenants' alert rules, read through `alerts`.
    pub fn with_alerts(mut self, alerts: Alerts) -> Self {
        self.alerts = Some(alerts);
        self
    }

    /// Sends the batch's transitions out; `batch_name` (the first record's sequence number)
    /// names the files, so a retry of the same records overwrites them.
    pub async fn handle(&self, batch: &[Processed], batch_name: &str) -> OutboundReport {
        let mut report = OutboundReport::default();
        let rules = match &self.alerts {
            Some(alerts) => alerts.load(batch).await,
            None => alerts::BatchRules::default(),
        };
        let loads: Vec<_> = batch
            .iter()
            .map(|p| self.calls.record(&p.tenant, &p.call_id, Read::Eventual))
            .collect();
        let loaded: Vec<_> = stream::iter(loads)
            .buffered(LOAD_CONCURRENCY)
            .collect()
            .await;
        // Everything up to the first call that could not be read leaves now; the rest is retried.
        let mut leaving: Vec<(usize, Leaving)> = Vec::new();
        for (index, (transition, result)) in batch.iter().zip(loaded).enumerate() {
            if rules.unreadable_from == Some(index) {
                report.retry_from = Some(index);
                break;
            }
            match result {
                Ok(Some(record)) => match self.leaving(transition, record, &rules) {
                    Some(l) => leaving.push((index, l)),
                    None => {
                        tracing::warn!(call_id = %transition.call_id, tenant = %transition.tenant,
                        "processed call has no analysis stored; nothing to send")
                    }
                },
                // Erased since: nothing of it may leave any more.
                Ok(None) => {
                    tracing::info!(call_id = %transition.call_id, tenant = %transition.tenant,
                    "processed call is gone; nothing to send")
                }
                Err(error) => {
                    tracing::warn!(%error, call_id = %transition.call_id, "could not read a processed call; will retry from it");
                    report.retry_from = Some(index);
                    break;
                }
            }
        }
        if let Err(error) = self.export(&leaving, batch_name, &mut report).await {
            tracing::warn!(%error, "export files not written; the batch will be retried");
            report.files.clear();
            report.partitions.clear();
            report.exported_rows = 0;
            report.retry_from = Some(0);
            return report;
        }
        // Each event with the position in `leaving` of the call it belongs to.
        let events: Vec<(usize, BusEvent)> = leaving
            .iter()
            .enumerate()
            .flat_map(|(at, (_, l))| {
                let analysed = BusEvent {
                    detail_type: CALL_ANALYSED.to_owned(),
                    detail: serde_json::to_string(&l.detail).unwrap_or_default(),
                    tenant: l.detail.tenant.clone(),
                };
                std::iter::once(analysed)
                    .chain(l.alerts.iter().cloned())
                    .map(move |e| (at, e))
            })
            .collect();
        // A request at a time, stopping at the first that had an entry refused: what follows is
        // retried from that entry. Entries after it in the same request that the bus accepted
        // are sent again then, with the same event id.
        for chunk in events.chunks(EVENTS_PER_REQUEST) {
            let entries: Vec<BusEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
            let results = self.bus.put(&entries).await;
            let mut refused = false;
            for ((at, event), result) in chunk.iter().zip(results) {
                let (index, l) = &leaving[*at];
                match result {
                    Ok(()) => {
                        report.published += 1;
                        report.alerts += usize::from(event.detail_type != CALL_ANALYSED);
                    }
                    Err(error) if !refused => {
                        tracing::warn!(%error, call_id = %l.detail.call_id, detail_type = %event.detail_type, "event not published; will retry from its call");
                        report.retry_from =
                            Some(report.retry_from.map_or(*index, |r| r.min(*index)));
                        refused = true;
                    }
                    Err(_) => {}
                }
            }
            if refused {
                break;
            }
        }
        telemetry::count(telemetry::EVENTS_PUBLISHED, report.published as u64);
        telemetry::count(telemetry::ROWS_EXPORTED, report.exported_rows as u64);
        report
    }

    fn leaving(
        &self,
        transition: &Processed,
        record: CallRecord,
        rules: &alerts::BatchRules,
    ) -> Option<Leaving> {
        let analysis = record.analysis?;
        let listing = &record.listing;
        let call = AnalysedCall {
            tenant: &listing.tenant,
            call_id: &listing.call_id,
            agent_id: &listing.agent_id,
            team_id: listing.team_id.as_ref(),
            customer_id: &listing.customer_id,
            start_time: listing.start_time,
            duration_seconds: listing.duration_seconds,
            outcome: listing.outcome,
            analysed_at: transition.analysed_at,
        };
        let facts = CallFacts {
            call_id: &listing.call_id,
            agent_id: &listing.agent_id,
            team_id: listing.team_id.as_ref(),
            customer_id: &listing.customer_id,
            language: &listing.language,
            start_time: listing.start_time,
            duration_seconds: listing.duration_seconds,
            outcome: listing.outcome,
            analysed_at: transition.analysed_at,
        };
        // An expired transcript (the tenant's retention) exports no text.
        let transcript = self
            .transcript_tenants
            .contains(&listing.tenant)
            .then(|| record.transcript.as_ref().map(|t| t.to_lines()))
            .flatten();
        Some(Leaving {
            detail: CallAnalysedDetail::new(&call, &analysis),
            row: ExportRow::new(&facts, &analysis, transcript),
            alerts: rules.events(&call, &analysis),
        })
    }

    /// One Parquet file per tenant and day of the calls leaving.
    async fn export(
        &self,
        leaving: &[(usize, Leaving)],
        batch_name: &str,
        report: &mut OutboundReport,
    ) -> Result<(), OutboundError> {
        let mut partitions: BTreeMap<(TenantId, Day), Vec<ExportRow>> = BTreeMap::new();
        for (_, l) in leaving {
            partitions
                .entry((l.detail.tenant.clone(), l.detail.day))
                .or_default()
                .push(l.row.clone());
        }
        for ((tenant, day), rows) in partitions {
            let key = object_key(&tenant, day, batch_name);
            let bytes = to_parquet(&rows).map_err(|e| OutboundError {
                operation: format!("encoding {key}"),
                detail: e.to_string(),
            })?;
            self.export.put(&key, bytes).await?;
            report.exported_rows += rows.len();
            report.files.push(key);
            report.partitions.push((tenant, day));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
