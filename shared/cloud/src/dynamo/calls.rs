//! The calls table: one call as three items under one partition key, so a call, its
//! transcript and its analysis load in one Query while listings never read transcripts.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | call (listing attributes, status, fingerprint, GSI keys) | `TENANT#{t}#CALL#{id}` | `CALL` |
//! | transcript (redacted utterances as one JSON string) | same | `TRANSCRIPT` |
//! | analysis (the full analysis as one JSON string) | same | `ANALYSIS` |
//!
//! GSIs: `ByAgent` (`gsi1pk = TENANT#{t}#AGENT#{a}`), `ByDay` (`gsi2pk = TENANT#{t}#DAY#{d}`) and
//! `ByTeam` (`gsi3pk = TENANT#{t}#TEAM#{team}`), each sorted by `{start_time}#{call_id}`; and
//! the sparse `Pending` (`pending_pk = PENDING#{shard}`, `pending_sk = {received_at}#{correlation}`)
//! that holds a call only while it is RECEIVED, for the sweeper.

mod items;

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{Call, CallId, TenantId};
use callscope_core::redaction::RedactionCounts;

pub use items::CallStatus;
use items::{
    call_item, call_pk, parse_call_pk, pending_pk, transcript_item, ANALYSIS_SK, CALL_SK,
    PENDING_SHARDS,
};

/// The sparse index of calls still RECEIVED.
const PENDING_INDEX: &str = "Pending";

/// Largest item we write; DynamoDB's limit is 400 KB including attribute names.
pub const MAX_ITEM_BYTES: usize = 380_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the {what} of call {call_id} is {bytes} bytes; items are limited to {MAX_ITEM_BYTES}"
    )]
    TooLarge {
        what: &'static str,
        call_id: String,
        bytes: usize,
    },
    #[error("stored call {0} cannot be read back: {1}")]
    Corrupt(String, String),
    #[error(transparent)]
    Aws(#[from] anyhow::Error),
}

/// What a conditional put of a new call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    AlreadyExists {
        same_content: bool,
        status: CallStatus,
        correlation_id: String,
    },
}

/// A call still RECEIVED, as the `Pending` index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCall {
    pub tenant: TenantId,
    pub call_id: CallId,
    pub correlation_id: String,
    pub received_at: String,
}

/// A call as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub call: Call,
    pub status: CallStatus,
    pub correlation_id: String,
    pub redactions: RedactionCounts,
    pub content_hash: String,
}

#[derive(Debug, Clone)]
pub struct CallsStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl CallsStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    /// Stores a new call as RECEIVED (call and transcript items in one transaction), unless the
    /// id exists: then says whether the stored content is the same.
    pub async fn put_received(
        &self,
        tenant: &TenantId,
        call: &Call,
        content_hash: &str,
        redactions: &RedactionCounts,
        correlation_id: &str,
    ) -> Result<PutOutcome, StoreError> {
        let call_item = call_item(tenant, call, content_hash, redactions, correlation_id)?;
        let transcript_item = transcript_item(tenant, call)?;
        let size = items::approximate_size(&transcript_item);
        if size > MAX_ITEM_BYTES {
            return Err(StoreError::TooLarge {
                what: "transcript",
                call_id: call.call_id.to_string(),
                bytes: size,
            });
        }
        let put_call = Put::builder()
            .table_name(&self.table)
            .set_item(Some(call_item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building the call put")?;
        let put_transcript = Put::builder()
            .table_name(&self.table)
            .set_item(Some(transcript_item))
            .build()
            .context("building the transcript put")?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_call).build())
            .transact_items(TransactWriteItem::builder().put(put_transcript).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Created),
            Err(error) if condition_failed_on_first(&error) => {
                let existing = self
                    .get_call_item(tenant, &call.call_id)
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "call {} failed its condition but cannot be read back",
                            call.call_id
                        )
                    })?;
                Ok(PutOutcome::AlreadyExists {
                    same_content: items::string(&existing, "content_hash") == Some(content_hash),
                    status: items::status(&existing),
                    correlation_id: items::string(&existing, "correlation_id")
                        .unwrap_or_default()
                        .to_owned(),
                })
            }
            Err(error) => Err(anyhow::Error::new(error)
                .context(format!("storing call {}", call.call_id))
                .into()),
        }
    }

    /// The call with its transcript, or `None` when it was never stored.
    pub async fn load(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<StoredCall>, StoreError> {
        let items = self.query_call(tenant, call_id).await?;
        let (Some(call_item), Some(transcript)) =
            (items.get(CALL_SK), items.get(items::TRANSCRIPT_SK))
        else {
            return Ok(None);
        };
        items::stored_call(call_item, transcript)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(call_id.to_string(), e))
    }

    /// Stores the analysis and marks the call PROCESSED (one transaction). Idempotent: the
    /// analysis is deterministic, so writing it again writes the same thing.
    pub async fn store_analysis(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        analysis: &CallAnalysis,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(analysis).context("serialising the analysis")?;
        if json.len() > MAX_ITEM_BYTES {
            return Err(StoreError::TooLarge {
                what: "analysis",
                call_id: call_id.to_string(),
                bytes: json.len(),
            });
        }
        let pk = call_pk(tenant, call_id);
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(pk.clone()))
            .item("sk", AttributeValue::S(ANALYSIS_SK.to_owned()))
            .item("analysis", AttributeValue::S(json))
            .build()
            .context("building the analysis put")?;
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(CALL_SK.to_owned()))
            .condition_expression("attribute_exists(pk)")
            .update_expression(
                "SET #status = :processed, processed_at = :now, agent_talk_ratio = :ratio, customer_sentiment_score = :sentiment, score = :score REMOVE pending_pk, pending_sk",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":processed", AttributeValue::S(CallStatus::Processed.as_str().to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(chrono::Utc::now().to_rfc3339()))
            .expression_attribute_values(":ratio", AttributeValue::N(analysis.agent_talk_ratio.to_string()))
            .expression_attribute_values(":sentiment", AttributeValue::N(analysis.customer_sentiment_score.to_string()))
            .expression_attribute_values(":score", AttributeValue::N(analysis.score.to_string()))
            .build()
            .context("building the status update")?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await
            .with_context(|| format!("storing the analysis of call {call_id}"))?;
        Ok(())
    }

    pub async fn get_analysis(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallAnalysis>, StoreError> {
        let items = self.query_call(tenant, call_id).await?;
        let Some(item) = items.get(ANALYSIS_SK) else {
            return Ok(None);
        };
        let json = items::string(item, "analysis").unwrap_or_default();
        serde_json::from_str(json)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(call_id.to_string(), e.to_string()))
    }

    async fn get_call_item(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(call_pk(tenant, call_id)))
            .key("sk", AttributeValue::S(CALL_SK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .with_context(|| format!("reading call {call_id}"))?;
        Ok(output.item)
    }

    /// Calls received before `cutoff` and still not processed, oldest first within each shard.
    pub async fn pending_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<PendingCall>, StoreError> {
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut pending = Vec::new();
        for shard in PENDING_SHARDS {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(PENDING_INDEX)
                .key_condition_expression("pending_pk = :shard AND pending_sk < :cutoff")
                .expression_attribute_values(":shard", AttributeValue::S(pending_pk(shard)))
                .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.clone()))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let item =
                    item.with_context(|| format!("listing pending calls of shard {shard}"))?;
                let pk = items::string(&item, "pk").unwrap_or_default();
                let sort_key = items::string(&item, "pending_sk").unwrap_or_default();
                let (Some((tenant, call_id)), Some((received_at, correlation_id))) =
                    (parse_call_pk(pk), sort_key.split_once('#'))
                else {
                    // One bad entry must not stop the sweep for every other call.
                    tracing::error!(pk, sort_key, "unreadable Pending index entry; skipped");
                    continue;
                };
                pending.push(PendingCall {
                    tenant,
                    call_id,
                    correlation_id: correlation_id.to_owned(),
                    received_at: received_at.to_owned(),
                });
            }
        }
        Ok(pending)
    }

    /// Every item of one call, by sort key.
    async fn query_call(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<HashMap<String, HashMap<String, AttributeValue>>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(call_pk(tenant, call_id)))
            .consistent_read(true)
            .send()
            .await
            .with_context(|| format!("loading call {call_id}"))?;
        Ok(output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| Some((items::string(&item, "sk")?.to_owned(), item)))
            .collect())
    }
}

/// Whether a transaction was cancelled because its first item's condition failed.
fn condition_failed_on_first<R>(
    error: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .first()
            .and_then(|reason| reason.code())
            .is_some_and(|code| code == "ConditionalCheckFailed"),
        _ => false,
    }
}
