//! The calls table: one call as three items under one partition key, so a call, its
//! transcript and its analysis load in one Query while listings never read transcripts.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | call (listing attributes, status, fingerprint, GSI keys) | `TENANT#{t}#CALL#{id}` | `CALL` |
//! | transcript (redacted utterances as one JSON string) | same | `TRANSCRIPT` |
//! | analysis (the full analysis as one JSON string) | same | `ANALYSIS` |
//!
//! GSIs: `ByAgent` (`gsi1pk = TENANT#{t}#AGENT#{a}`), `ByTenant` (`gsi2pk = TENANT#{t}`) and
//! `ByTeam` (`gsi3pk = TENANT#{t}#TEAM#{team}`), each sorted by `{start_time}#{call_id}`; and
//! the sparse `Pending` (`pending_pk = PENDING#{shard}`, `pending_sk = {received_at}#{correlation}`)
//! that holds a call only while it is RECEIVED, for the sweeper.

mod inspect;
mod items;
mod queries;

pub(super) use inspect::BY_TENANT_INDEX;
pub use inspect::{CallBookkeeping, FailedCall, FailedCalls};
pub(super) use items::parse_call_pk as parse_pk;
pub use items::LISTING_ATTRIBUTES;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, ReturnValue, TransactWriteItem,
};
use callscope_app::ports::{
    CallHead, CallRepository, CallStatus, PendingCall, ProcessedCall, PutOutcome, ReceivedCall,
    StoreError, StoredCall,
};
use callscope_core::analysis::CallAnalysis;
use callscope_core::domain::{CallId, CorrelationId, TenantId, Timestamp};

use super::{unavailable, unbuildable};
use items::{
    call_pk, parse_call_pk, pending_pk, transcript_item, CallItem, CALL_SK, PENDING_SHARDS,
};

/// The sparse index of calls still RECEIVED.
const PENDING_INDEX: &str = "Pending";

/// Largest item we write; DynamoDB's limit is 400 KB including attribute names.
pub const MAX_ITEM_BYTES: usize = 380_000;

#[derive(Debug, Clone)]
pub struct DynamoCalls {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoCalls {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    /// The client and table, for the adapters that read the calls' indexes beside this one.
    pub(super) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    pub(super) fn table(&self) -> &str {
        &self.table
    }

    /// The stored analysis of a call, if it was processed.
    pub async fn get_analysis(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallAnalysis>, StoreError> {
        let items = self.query_call(tenant, call_id).await?;
        let Some(item) = items.get(items::ANALYSIS_SK) else {
            return Ok(None);
        };
        items::analysis(item)
            .map(Some)
            .map_err(|e| corrupt(call_id, e.to_string()))
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
            .map_err(|e| unavailable(format!("reading call {call_id}"), e))?;
        Ok(output.item)
    }

    /// The call item, conditional on the call being new, then its transcript (see
    /// [`CallRepository::put_received`]): the one write of a new call, RECEIVED or FAILED.
    async fn put_new(
        &self,
        received: &ReceivedCall,
        item: CallItem,
    ) -> Result<PutOutcome, StoreError> {
        let call = &received.call;
        let transcript_item = transcript_item(&received.tenant, call)
            .map_err(|e| corrupt(&call.call_id, e.to_string()))?;
        let size = items::approximate_size(&transcript_item);
        if size > MAX_ITEM_BYTES {
            return Err(StoreError::TooLarge {
                what: "transcript",
                call_id: call.call_id.clone(),
                bytes: size,
                limit: MAX_ITEM_BYTES,
            });
        }
        let call_item =
            serde_dynamo::to_item(item).map_err(|e| corrupt(&call.call_id, e.to_string()))?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(call_item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        let outcome = match put {
            Ok(_) => PutOutcome::Created,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let existing = self
                    .get_call_item(&received.tenant, &call.call_id)
                    .await?
                    .ok_or_else(|| {
                        corrupt(
                            &call.call_id,
                            "failed its condition but cannot be read back",
                        )
                    })?;
                let correlation_id = items::string(&existing, "correlation_id")
                    .and_then(|raw| CorrelationId::parse("correlation_id", raw).ok())
                    .ok_or_else(|| corrupt(&call.call_id, "no readable correlation_id"))?;
                PutOutcome::AlreadyExists {
                    same_content: items::string(&existing, "content_hash")
                        == Some(received.content_hash.as_str()),
                    status: items::status(&existing),
                    correlation_id,
                }
            }
            Err(error) => return Err(unavailable(format!("storing call {}", call.call_id), error)),
        };
        // A new call, or the same call sent again while still RECEIVED or FAILED, gets its
        // transcript (again: the earlier request may have failed before writing it). A processed
        // call has its transcript, and another content's transcript is not ours to write.
        let owes_transcript = matches!(
            outcome,
            PutOutcome::Created
                | PutOutcome::AlreadyExists {
                    same_content: true,
                    status: CallStatus::Received | CallStatus::Failed,
                    ..
                }
        );
        if !owes_transcript {
            return Ok(outcome);
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(transcript_item))
            .send()
            .await
            .map_err(|e| {
                unavailable(
                    format!("storing the transcript of call {}", call.call_id),
                    e,
                )
            })?;
        Ok(outcome)
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
            .map_err(|e| unavailable(format!("loading call {call_id}"), e))?;
        Ok(output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| Some((items::string(&item, "sk")?.to_owned(), item)))
            .collect())
    }
}

fn corrupt(call_id: &CallId, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        call_id: call_id.clone(),
        reason: reason.into(),
    }
}

#[async_trait]
impl CallRepository for DynamoCalls {
    /// The call item, conditional on the call being new, then its transcript. No transaction:
    /// a call is accepted only once both are stored, a retry of the same content stores the
    /// transcript again, and a call whose transcript never arrived fails when processed with a
    /// reason that says to send it again.
    async fn put_received(&self, received: &ReceivedCall) -> Result<PutOutcome, StoreError> {
        self.put_new(received, CallItem::received(received)).await
    }

    /// The same writes as [`CallRepository::put_received`], the call item FAILED: a repeated
    /// failure finds it and writes its (empty) transcript again; another call under the id is
    /// left as it is.
    async fn put_failed(
        &self,
        received: &ReceivedCall,
        reason: &str,
        at: Timestamp,
    ) -> Result<PutOutcome, StoreError> {
        self.put_new(received, CallItem::failed(received, reason, at))
            .await
    }

    async fn load(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<StoredCall>, StoreError> {
        let mut items = self.query_call(tenant, call_id).await?;
        let Some(call_item) = items.remove(CALL_SK) else {
            return Ok(None);
        };
        let Some(transcript) = items.get(items::TRANSCRIPT_SK) else {
            // The ingest request that stored the call failed before its transcript: the client
            // was told to retry, and sending the call again stores it.
            return Err(corrupt(
                call_id,
                "its transcript was never stored (the ingest request failed); send the call again",
            ));
        };
        items::stored_call(call_item, transcript)
            .map(Some)
            .map_err(|e| corrupt(call_id, e.to_string()))
    }

    /// The analysis item, compressed. The call item is left as it is until
    /// [`CallRepository::mark_processed`]. Under the tenant's retention the analysis and the
    /// transcript carry `expires_at`, the table's TTL attribute (the call item never does: the
    /// listing and the rollups keep the call).
    async fn store_analysis(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        let ProcessedCall {
            tenant,
            call_id,
            analysis,
            expires_at,
            ..
        } = *processed;
        let compressed = items::compressed_json(analysis)
            .map_err(|e| corrupt(call_id, format!("the analysis cannot be stored: {e}")))?;
        if compressed.len() > MAX_ITEM_BYTES {
            return Err(StoreError::TooLarge {
                what: "analysis",
                call_id: call_id.clone(),
                bytes: compressed.len(),
                limit: MAX_ITEM_BYTES,
            });
        }
        let expiry = expires_at.map(|t| AttributeValue::N(t.to_string()));
        let mut item = HashMap::from([
            ("pk".to_owned(), AttributeValue::S(call_pk(tenant, call_id))),
            (
                "sk".to_owned(),
                AttributeValue::S(items::ANALYSIS_SK.to_owned()),
            ),
            (
                "analysis".to_owned(),
                AttributeValue::B(Blob::new(compressed)),
            ),
        ]);
        if let Some(expiry) = &expiry {
            item.insert("expires_at".to_owned(), expiry.clone());
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable(format!("storing the analysis of call {call_id}"), e))?;
        if let Some(expiry) = expiry {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(call_pk(tenant, call_id)))
                .key("sk", AttributeValue::S(items::TRANSCRIPT_SK.to_owned()))
                .condition_expression("attribute_exists(pk)")
                .update_expression("SET expires_at = :at")
                .expression_attribute_values(":at", expiry)
                .send()
                .await
                .map_err(|e| unavailable(format!("setting the expiry of call {call_id}"), e))?;
        }
        Ok(())
    }

    /// The call item alone, read consistently.
    async fn head(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallHead>, StoreError> {
        let Some(item) = self.get_call_item(tenant, call_id).await? else {
            return Ok(None);
        };
        let item: CallItem =
            serde_dynamo::from_item(item).map_err(|e| corrupt(call_id, e.to_string()))?;
        Ok(Some(CallHead {
            status: item.status,
            correlation_id: item.correlation_id,
            received_at: item.received_at,
            revision: item.revision.unwrap_or(0),
            source: item.source_object,
        }))
    }

    /// Every item under the call's key, the call item last (one Query for the keys, one
    /// DeleteItem each: three at most).
    async fn erase(&self, tenant: &TenantId, call_id: &CallId) -> Result<bool, StoreError> {
        let items = self.query_call(tenant, call_id).await?;
        let mut sort_keys: Vec<&String> = items.keys().collect();
        // `CALL` last: while it exists the erasure can be found and finished.
        sort_keys.sort_by_key(|sk| sk.as_str() == CALL_SK);
        for sk in &sort_keys {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(call_pk(tenant, call_id)))
                .key("sk", AttributeValue::S((*sk).clone()))
                .send()
                .await
                .map_err(|e| unavailable(format!("erasing the {sk} item of call {call_id}"), e))?;
        }
        Ok(!sort_keys.is_empty())
    }

    /// The analysis item deleted in one transaction with a check that the call item is absent,
    /// so a call admitted again under the id between the read and the delete keeps its items.
    async fn erase_leftovers(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<bool, StoreError> {
        let items = self.query_call(tenant, call_id).await?;
        if items.contains_key(CALL_SK) || !items.contains_key(items::ANALYSIS_SK) {
            return Ok(false);
        }
        let key = |sk: &str| {
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(call_pk(tenant, call_id))),
                ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
            ])
        };
        let built = |e: aws_sdk_dynamodb::error::BuildError| corrupt(call_id, e.to_string());
        let no_call = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(CALL_SK)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(built)?;
        let analysis = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(items::ANALYSIS_SK)))
            .build()
            .map_err(built)?;
        let erased = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(no_call)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().delete(analysis).build())
            .send()
            .await;
        match erased {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(
                format!("erasing what was left of call {call_id}"),
                error,
            )),
        }
    }

    /// One update: PROCESSED with the listing's metrics and the signature, out of the `Pending`
    /// index, attempts and failure cleared; a re-analysis also records its revision, over an
    /// earlier one only.
    async fn mark_processed(&self, processed: &ProcessedCall<'_>) -> Result<(), StoreError> {
        let ProcessedCall {
            tenant,
            call_id,
            analysis,
            signature,
            processed_at,
            revision,
            ..
        } = *processed;
        let number = |v: f64| AttributeValue::N(v.to_string());
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(call_pk(tenant, call_id)))
            .key("sk", AttributeValue::S(CALL_SK.to_owned()));
        let set_revision = if revision == 0 {
            update = update.condition_expression("attribute_exists(pk)");
            ""
        } else {
            update = update
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(revision) OR revision < :revision)",
                )
                .expression_attribute_values(":revision", AttributeValue::N(revision.to_string()));
            ", revision = :revision"
        };
        update
            .update_expression(format!(
                "SET #status = :processed, processed_at = :now, agent_talk_ratio = :ratio, customer_sentiment_score = :sentiment, score = :score, signature = :signature{set_revision} REMOVE pending_pk, pending_sk, attempts, failure_reason, failed_at",
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":processed",
                AttributeValue::S(CallStatus::Processed.as_str().to_owned()),
            )
            .expression_attribute_values(":now", AttributeValue::S(processed_at.to_string()))
            .expression_attribute_values(":ratio", number(analysis.agent_talk_ratio))
            .expression_attribute_values(":sentiment", number(analysis.customer_sentiment_score))
            .expression_attribute_values(":score", number(f64::from(analysis.score)))
            .expression_attribute_values(
                ":signature",
                AttributeValue::B(Blob::new(signature.to_bytes())),
            )
            .send()
            .await
            .map_err(|e| unavailable(format!("marking call {call_id} processed"), e))?;
        Ok(())
    }

    /// Calls pending since before `cutoff`, oldest first within each shard, shards in turn from
    /// the one `rotation` picks, until `limit`.
    async fn pending_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
        rotation: u64,
    ) -> Result<Vec<PendingCall>, StoreError> {
        let cutoff = cutoff.to_string();
        let mut pending = Vec::new();
        let first = usize::try_from(rotation % PENDING_SHARDS.len() as u64).unwrap_or(0);
        for i in 0..PENDING_SHARDS.len() {
            let shard = PENDING_SHARDS[(first + i) % PENDING_SHARDS.len()];
            let mut start = None;
            loop {
                let remaining = limit.saturating_sub(pending.len());
                if remaining == 0 {
                    return Ok(pending);
                }
                let output = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(PENDING_INDEX)
                    .key_condition_expression("pending_pk = :shard AND pending_sk < :cutoff")
                    .expression_attribute_values(":shard", AttributeValue::S(pending_pk(shard)))
                    .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.clone()))
                    .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| {
                        unavailable(format!("listing pending calls of shard {shard}"), e)
                    })?;
                for item in output.items.unwrap_or_default() {
                    let pk = items::string(&item, "pk").unwrap_or_default();
                    let sort_key = items::string(&item, "pending_sk").unwrap_or_default();
                    match (parse_call_pk(pk), items::parse_pending_sk(sort_key)) {
                        (Some((tenant, call_id)), Some((since, correlation_id))) => {
                            pending.push(PendingCall {
                                tenant,
                                call_id,
                                correlation_id,
                                since,
                            })
                        }
                        // One bad entry must not stop the sweep for every other call.
                        _ => {
                            tracing::error!(pk, sort_key, "unreadable Pending index entry; skipped")
                        }
                    }
                }
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(pending)
    }

    async fn record_failure(&self, tenant: &TenantId, call_id: &CallId) -> Result<u32, StoreError> {
        let attributes = self
            .update_call(
                tenant,
                call_id,
                "ADD attempts :one",
                [(":one", AttributeValue::N("1".into()))],
                "counting a failed attempt",
            )
            .await?;
        attributes
            .get("attempts")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt(call_id, "attempts is not a number"))
    }

    async fn mark_failed(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.update_call(
            tenant,
            call_id,
            "SET #status = :failed, failure_reason = :reason, failed_at = :at REMOVE pending_pk, pending_sk",
            [
                (":failed", AttributeValue::S(CallStatus::Failed.as_str().to_owned())),
                (":reason", AttributeValue::S(items::failure_reason(reason))),
                (":at", AttributeValue::S(at.to_string())),
            ],
            "marking a call FAILED",
        )
        .await
        .map(|_| ())
    }

    async fn mark_requeued(&self, call: &PendingCall, at: Timestamp) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(
                "pk",
                AttributeValue::S(call_pk(&call.tenant, &call.call_id)),
            )
            .key("sk", AttributeValue::S(CALL_SK.to_owned()))
            // Only while still pending: a call handed off meanwhile must not re-enter the index.
            .condition_expression("attribute_exists(pending_pk)")
            .update_expression("SET last_requeued_at = :at, pending_sk = :sk")
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
            .expression_attribute_values(
                ":sk",
                AttributeValue::S(items::pending_sk(at, &call.correlation_id)),
            )
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(unavailable(
                format!("marking call {} requeued", call.call_id),
                error,
            )),
        }
    }
}

impl DynamoCalls {
    /// One UpdateItem on an existing call item; returns the updated attributes.
    async fn update_call<const N: usize>(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        expression: &str,
        values: [(&str, AttributeValue); N],
        operation: &str,
    ) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(call_pk(tenant, call_id)))
            .key("sk", AttributeValue::S(CALL_SK.to_owned()))
            .condition_expression("attribute_exists(pk)")
            .update_expression(expression)
            .return_values(ReturnValue::UpdatedNew);
        if expression.contains("#status") {
            update = update.expression_attribute_names("#status", "status");
        }
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        let output = update
            .send()
            .await
            .map_err(|e| unavailable(format!("{operation} ({call_id})"), e))?;
        Ok(output.attributes.unwrap_or_default())
    }
}
