//! The read side of the calls table: listings by index newest first and counts, each within a
//! read budget (skipped calls counted past, not held), the page's transcripts in BatchGetItem,
//! and one call with everything stored about it.
//!
//! | filters | index | key condition |
//! |---|---|---|
//! | `agent_id` (and `team_id`: filtered) | `ByAgent` | `gsi1pk = TENANT#t#AGENT#a`, time range on `gsi1sk` |
//! | `team_id` | `ByTeam` | `gsi3pk = TENANT#t#TEAM#team`, time range on `gsi3sk` |
//! | neither | `ByTenant` | `gsi2pk = TENANT#t`, time range on `gsi2sk` |
//!
//! Sort keys are `{start_time}#{call_id}` with a fixed-width time, so a time range is a key
//! range; sentiment bounds are a filter expression on the range.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Select};
use callscope_app::ports::{
    CallListing, CallQueries, CallRecord, Count, ListFilter, Page, PageRequest, Position, Read,
    StoreError,
};
use callscope_core::domain::{CallId, TenantId, Timestamp, Transcript};

use super::items::{
    self, call_pk, parse_call_pk, ListingItem, ANALYSIS_SK, CALL_SK, TRANSCRIPT_SK,
};
use super::{corrupt, unavailable, unbuildable, DynamoCalls};

/// BatchGetItem's limit on keys per request.
const BATCH_GET_KEYS: usize = 100;
const BATCH_GET_ATTEMPTS: u32 = 5;

/// The index a filter reads and its key attributes.
struct IndexRange {
    index: &'static str,
    pk_name: &'static str,
    sk_name: &'static str,
    pk: String,
}

fn index_for(filter: &ListFilter) -> IndexRange {
    let tenant = &filter.tenant;
    match (&filter.agent, &filter.team) {
        (Some(agent), _) => IndexRange {
            index: "ByAgent",
            pk_name: "gsi1pk",
            sk_name: "gsi1sk",
            pk: format!("TENANT#{tenant}#AGENT#{agent}"),
        },
        (None, Some(team)) => IndexRange {
            index: "ByTeam",
            pk_name: "gsi3pk",
            sk_name: "gsi3sk",
            pk: format!("TENANT#{tenant}#TEAM#{team}"),
        },
        (None, None) => IndexRange {
            index: "ByTenant",
            pk_name: "gsi2pk",
            sk_name: "gsi2sk",
            pk: format!("TENANT#{tenant}"),
        },
    }
}

fn sort_key(position: &Position) -> String {
    format!("{}#{}", position.start_time, position.call_id)
}

impl DynamoCalls {
    /// A Query of the filter's index range, with its filter expression, newest first.
    fn range_query(&self, filter: &ListFilter) -> QueryFluentBuilder {
        let range = index_for(filter);
        let mut key_condition = "#pk = :pk".to_owned();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(range.index)
            .scan_index_forward(false)
            .expression_attribute_names("#pk", range.pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(range.pk));
        // `#` sorts below every id character and `~` above them, so these bounds take in every
        // call of the first and of the last instant.
        let from = filter.from.map(|t| format!("{t}#"));
        let to = filter.to.map(|t| format!("{t}#~"));
        if from.is_some() || to.is_some() {
            query = query.expression_attribute_names("#sk", range.sk_name);
        }
        match (from, to) {
            (Some(from), Some(to)) => {
                key_condition.push_str(" AND #sk BETWEEN :from AND :to");
                query = query
                    .expression_attribute_values(":from", AttributeValue::S(from))
                    .expression_attribute_values(":to", AttributeValue::S(to));
            }
            (Some(from), None) => {
                key_condition.push_str(" AND #sk >= :from");
                query = query.expression_attribute_values(":from", AttributeValue::S(from));
            }
            (None, Some(to)) => {
                key_condition.push_str(" AND #sk <= :to");
                query = query.expression_attribute_values(":to", AttributeValue::S(to));
            }
            (None, None) => {}
        }
        let mut conditions = Vec::new();
        if let (Some(_), Some(team)) = (&filter.agent, &filter.team) {
            conditions.push("team_id = :team");
            query = query.expression_attribute_values(":team", AttributeValue::S(team.to_string()));
        }
        let number = |v: f64| AttributeValue::N(v.to_string());
        if let Some(min) = filter.min_sentiment {
            conditions.push("customer_sentiment_score >= :min");
            query = query.expression_attribute_values(":min", number(min));
        }
        if let Some(max) = filter.max_sentiment {
            conditions.push("customer_sentiment_score <= :max");
            query = query.expression_attribute_values(":max", number(max));
        }
        if !conditions.is_empty() {
            query = query.filter_expression(conditions.join(" AND "));
        }
        query.key_condition_expression(key_condition)
    }

    /// The exclusive start key that resumes a listing just below `position`.
    fn start_key(
        &self,
        filter: &ListFilter,
        position: &Position,
    ) -> HashMap<String, AttributeValue> {
        let range = index_for(filter);
        HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(call_pk(&filter.tenant, &position.call_id)),
            ),
            ("sk".to_owned(), AttributeValue::S(CALL_SK.to_owned())),
            (range.pk_name.to_owned(), AttributeValue::S(range.pk)),
            (
                range.sk_name.to_owned(),
                AttributeValue::S(sort_key(position)),
            ),
        ])
    }
}

/// A call's listing attributes, from a listing index's projection or the call item itself.
fn listing(item: HashMap<String, AttributeValue>) -> Result<CallListing, StoreError> {
    let pk = items::string(&item, "pk").unwrap_or_default().to_owned();
    let unreadable = |reason: String| match parse_call_pk(&pk) {
        Some((_, call_id)) => corrupt(&call_id, reason),
        None => StoreError::Unavailable {
            operation: "reading a listing".into(),
            detail: format!("item {pk} is not a call: {reason}"),
        },
    };
    let listed: ListingItem =
        serde_dynamo::from_item(item).map_err(|e| unreadable(e.to_string()))?;
    listed
        .listing()
        .ok_or_else(|| unreadable("its key names no tenant and call".into()))
}

/// The position of the index item a Query stopped at (its `LastEvaluatedKey`).
fn position_of(
    filter: &ListFilter,
    key: &HashMap<String, AttributeValue>,
) -> Result<Position, StoreError> {
    let range = index_for(filter);
    key.get(range.sk_name)
        .and_then(|v| v.as_s().ok())
        .and_then(|sk| parse_sort_key(sk))
        .ok_or_else(|| StoreError::Unavailable {
            operation: "listing calls".into(),
            detail: format!("a LastEvaluatedKey without a readable {}", range.sk_name),
        })
}

/// `{start_time}#{call_id}` (ids refuse `#`, so the last `#` splits it).
fn parse_sort_key(sk: &str) -> Option<Position> {
    let (time, call_id) = sk.rsplit_once('#')?;
    Some(Position {
        start_time: Timestamp::parse("start_time", time).ok()?,
        call_id: CallId::parse("call_id", call_id).ok()?,
    })
}

/// Items a Query may read under what is left of a budget.
fn limit(budget: usize) -> i32 {
    i32::try_from(budget).unwrap_or(i32::MAX)
}

fn evaluated(scanned: i32) -> usize {
    usize::try_from(scanned).unwrap_or(0).max(1)
}

#[async_trait]
impl CallQueries for DynamoCalls {
    async fn page(&self, request: &PageRequest) -> Result<Page, StoreError> {
        let filter = &request.filter;
        let mut budget = request.budget;
        let mut start = request
            .after
            .as_ref()
            .map(|position| self.start_key(filter, position));
        // Skipped calls are counted past (Select COUNT), never read into memory.
        let mut skip = request.skip;
        while skip > 0 {
            if budget == 0 {
                return Ok(Page {
                    calls: Vec::new(),
                    next: start.as_ref().map(|k| position_of(filter, k)).transpose()?,
                    skip_left: skip,
                });
            }
            let output = self
                .range_query(filter)
                .select(Select::Count)
                .limit(limit(skip.min(budget)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("listing calls", e))?;
            budget = budget.saturating_sub(evaluated(output.scanned_count));
            skip = skip.saturating_sub(usize::try_from(output.count).unwrap_or(0));
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(Page {
                    calls: Vec::new(),
                    next: None,
                    skip_left: 0,
                });
            }
        }
        // One more than the page, to know whether another page follows.
        let wanted = request.limit + 1;
        let mut found: Vec<CallListing> = Vec::with_capacity(wanted);
        loop {
            if budget == 0 {
                break;
            }
            let output = self
                .range_query(filter)
                .limit(limit((wanted - found.len()).min(budget)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("listing calls", e))?;
            budget = budget.saturating_sub(evaluated(output.scanned_count));
            for item in output.items.unwrap_or_default() {
                found.push(listing(item)?);
            }
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                break;
            }
        }
        let next = if found.len() >= wanted {
            found.truncate(request.limit);
            found.last().map(CallListing::position)
        } else {
            // Out of budget before the page filled: go on after the last item read.
            start.as_ref().map(|k| position_of(filter, k)).transpose()?
        };
        Ok(Page {
            calls: found,
            next,
            skip_left: 0,
        })
    }

    async fn count(&self, filter: &ListFilter, budget: usize) -> Result<Count, StoreError> {
        let mut matched = 0_u64;
        let mut budget = budget;
        let mut start = None;
        loop {
            if budget == 0 {
                return Ok(Count {
                    matched,
                    exact: false,
                });
            }
            let output = self
                .range_query(filter)
                .select(Select::Count)
                .limit(limit(budget))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("counting calls", e))?;
            matched += u64::try_from(output.count).unwrap_or(0);
            budget = budget.saturating_sub(evaluated(output.scanned_count));
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(Count {
                    matched,
                    exact: true,
                });
            }
        }
    }

    async fn transcripts(
        &self,
        tenant: &TenantId,
        calls: &[CallId],
    ) -> Result<HashMap<CallId, Transcript>, StoreError> {
        let mut transcripts = HashMap::with_capacity(calls.len());
        for chunk in calls.chunks(BATCH_GET_KEYS) {
            let keys: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|call_id| {
                    HashMap::from([
                        ("pk".to_owned(), AttributeValue::S(call_pk(tenant, call_id))),
                        ("sk".to_owned(), AttributeValue::S(TRANSCRIPT_SK.to_owned())),
                    ])
                })
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("pk, transcript")
                    .build()
                    .map_err(|e| unbuildable("building a transcript read", e))?,
            );
            let mut attempt = 0;
            while let Some(keys) = request.take() {
                attempt += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(|e| unavailable("reading transcripts", e))?;
                for item in output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    let pk = items::string(&item, "pk").unwrap_or_default();
                    if let Some((_, call_id)) = parse_call_pk(pk) {
                        let transcript = items::transcript(&item)
                            .map_err(|e| corrupt(&call_id, e.to_string()))?;
                        transcripts.insert(call_id, transcript);
                    }
                }
                // What DynamoDB did not get to this time (throughput, 16 MB) is asked again.
                request = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                if request.is_some() {
                    if attempt >= BATCH_GET_ATTEMPTS {
                        return Err(StoreError::Unavailable {
                            operation: "reading transcripts".into(),
                            detail: format!("still unprocessed after {attempt} attempts"),
                        });
                    }
                    crate::backoff::sleep(
                        Duration::from_millis(25),
                        attempt,
                        Duration::from_secs(1),
                    )
                    .await;
                }
            }
        }
        Ok(transcripts)
    }

    async fn record(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        read: Read,
    ) -> Result<Option<CallRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(read == Read::Strong)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(call_pk(tenant, call_id)))
            .send()
            .await
            .map_err(|e| unavailable(format!("reading call {call_id}"), e))?;
        let mut by_sk: HashMap<String, HashMap<String, AttributeValue>> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| Some((items::string(&item, "sk")?.to_owned(), item)))
            .collect();
        let Some(call) = by_sk.remove(CALL_SK) else {
            return Ok(None);
        };
        // Ingest writes the transcript with the call item; only retention (TTL) removes it.
        let transcript = match by_sk.get(TRANSCRIPT_SK) {
            Some(item) => {
                Some(items::transcript(item).map_err(|e| corrupt(call_id, e.to_string()))?)
            }
            None => None,
        };
        let analysis = match by_sk.get(ANALYSIS_SK) {
            Some(item) => Some(items::analysis(item).map_err(|e| corrupt(call_id, e.to_string()))?),
            None => None,
        };
        Ok(Some(CallRecord {
            listing: listing(call)?,
            transcript,
            analysis,
        }))
    }
}
