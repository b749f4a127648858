//! A request meter: an SDK interceptor on the DynamoDB and SQS clients that counts, per
//! operation, the requests, items and bytes, and the DynamoDB capacity units they cost by the
//! published rules — an item's size is its attribute names plus values; writes cost one unit
//! per KB rounded up per item, twice inside a transaction, plus one write per KB of projection
//! in every GSI that holds the changed item (index writes are standard, in a transaction too); reads cost one unit per 4 KB rounded up per request
//! (Query) or per item (GetItem, BatchGetItem), half when eventually consistent. (The emulator's
//! own `ConsumedCapacity` is not realistic: it reports 1.0 for a 5 KB put.)
//!
//! An update's cost depends on the whole item, which the request does not carry: the meter
//! remembers the size of every item it saw written or read, attribute by attribute, and applies
//! updates to that; an item it never saw is sized from the update alone (a lower bound).

mod bill;
mod size;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use bill::{Bill, LambdaUsage, Prices};
use size::{read_units, sizes_of, total, update_effect, write_units, Sizes};

/// What a GSI holds of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexModel {
    pub name: String,
    pub key: Vec<String>,
    pub projection: Projection,
}

/// A table's keys and indexes, as the meter needs them to price writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableModel {
    pub name: String,
    pub key: Vec<String>,
    pub indexes: Vec<IndexModel>,
}

/// Counts of one operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationUsage {
    pub requests: u64,
    pub items: u64,
    pub bytes_written: u64,
    pub bytes_read: u64,
    pub write_units: u64,
    pub read_units: f64,
    /// SQS requests as billed: one per 64 KB of payload.
    pub billed_requests: u64,
}

impl std::ops::AddAssign for OperationUsage {
    fn add_assign(&mut self, other: Self) {
        self.requests += other.requests;
        self.items += other.items;
        self.bytes_written += other.bytes_written;
        self.bytes_read += other.bytes_read;
        self.write_units += other.write_units;
        self.read_units += other.read_units;
        self.billed_requests += other.billed_requests;
    }
}

/// Everything metered, by operation (`dynamodb:PutItem`, `sqs:SendMessageBatch`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub operations: BTreeMap<String, OperationUsage>,
}

impl Usage {
    pub fn write_units(&self) -> u64 {
        self.operations.values().map(|o| o.write_units).sum()
    }

    pub fn read_units(&self) -> f64 {
        self.operations.values().map(|o| o.read_units).sum()
    }

    pub fn sqs_requests(&self) -> u64 {
        self.operations
            .iter()
            .filter(|(op, _)| op.starts_with("sqs:"))
            .map(|(_, o)| o.billed_requests)
            .sum()
    }
}

#[derive(Debug, Default)]
struct State {
    usage: Usage,
    /// (table, key values) → attribute sizes.
    items: HashMap<(String, String), Sizes>,
}

#[derive(Debug, Clone)]
pub struct Meter {
    tables: Arc<Vec<TableModel>>,
    state: Arc<Mutex<State>>,
}

/// The request of the current attempt, kept for pricing once its answer is in.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    body: Value,
}

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

impl Meter {
    pub fn new(tables: Vec<TableModel>) -> Self {
        Self {
            tables: Arc::new(tables),
            state: Arc::default(),
        }
    }

    pub fn usage(&self) -> Usage {
        self.state
            .lock()
            .map(|s| s.usage.clone())
            .unwrap_or_default()
    }

    /// Starts counting afresh (remembered item sizes are kept).
    pub fn reset(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.usage = Usage::default();
        }
    }

    fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.name == name)
    }

    fn record(&self, operation: &str, body: &Value, answer: &Value) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (service, name) = operation.split_once('.').unwrap_or(("", operation));
        let key = if service.starts_with("AmazonSQS") {
            format!("sqs:{name}")
        } else {
            format!("dynamodb:{name}")
        };
        let mut usage = OperationUsage {
            requests: 1,
            ..OperationUsage::default()
        };
        match key.as_str() {
            "dynamodb:PutItem" => self.put(&mut state, body, 1, &mut usage),
            "dynamodb:UpdateItem" => self.update(&mut state, body, 1, &mut usage),
            "dynamodb:TransactWriteItems" => {
                for item in body["TransactItems"].as_array().into_iter().flatten() {
                    if item.get("Put").is_some() {
                        self.put(&mut state, &item["Put"], 2, &mut usage);
                    } else if item.get("Update").is_some() {
                        self.update(&mut state, &item["Update"], 2, &mut usage);
                    } else if let Some(check) = item.get("ConditionCheck") {
                        usage.items += 1;
                        usage.write_units += 2 * write_units(self.known_size(&state, check));
                    }
                }
            }
            "dynamodb:GetItem" => {
                let consistent = body["ConsistentRead"].as_bool().unwrap_or(false);
                if let Some(item) = answer["Item"].as_object() {
                    self.read_items(
                        &mut state,
                        body["TableName"].as_str(),
                        [item],
                        consistent,
                        &mut usage,
                    );
                }
            }
            "dynamodb:BatchGetItem" => {
                for (table, items) in answer["Responses"].as_object().into_iter().flatten() {
                    let items = items
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_object);
                    self.read_items(&mut state, Some(table), items, false, &mut usage);
                }
            }
            "dynamodb:Query" => {
                let consistent = body["ConsistentRead"].as_bool().unwrap_or(false);
                let table = body["TableName"].as_str();
                if body["Select"] == "COUNT" {
                    // No items come back; DynamoDB charges for those it evaluated, sized here as
                    // the average of this table's items the meter has seen.
                    let scanned = answer["ScannedCount"].as_u64().unwrap_or(0);
                    let average = table.map_or(0, |t| average_size(&state, t));
                    let bytes = scanned as usize * average;
                    usage.bytes_read += bytes as u64;
                    usage.read_units += units_read(read_units(bytes), consistent);
                } else {
                    let items: Vec<&Map<String, Value>> = answer["Items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_object)
                        .collect();
                    // A Query is priced on the sum of what it returns, rounded up once; index
                    // answers are projections, so they do not replace the remembered items.
                    let on_index = body.get("IndexName").is_some();
                    let bytes: usize = items.iter().map(|i| total(&sizes_of(i))).sum();
                    usage.items += items.len() as u64;
                    usage.bytes_read += bytes as u64;
                    usage.read_units += units_read(read_units(bytes), consistent);
                    if !on_index {
                        for item in items {
                            remember(
                                &mut state,
                                self.table(table.unwrap_or_default()),
                                table,
                                item,
                            );
                        }
                    }
                }
            }
            "sqs:SendMessageBatch" | "sqs:SendMessage" => {
                let entries: Vec<&Value> = match body["Entries"].as_array() {
                    Some(entries) => entries.iter().collect(),
                    None => vec![body],
                };
                let bytes: usize = entries
                    .iter()
                    .map(|e| e["MessageBody"].as_str().map_or(0, str::len))
                    .sum();
                usage.items += entries.len() as u64;
                usage.bytes_written += bytes as u64;
                usage.billed_requests = (bytes.max(1) as u64).div_ceil(64 * 1024);
            }
            "sqs:ReceiveMessage" => {
                let messages = answer["Messages"].as_array().map_or(0, Vec::len);
                // Lambda's pollers wait on empty queues at a fixed cost per hour, not per call.
                if messages == 0 {
                    return;
                }
                usage.items += messages as u64;
                usage.billed_requests = 1;
            }
            _ if key.starts_with("sqs:") => usage.billed_requests = 1,
            _ => {}
        }
        // RUST_LOG=callscope_meter=debug shows what each request cost.
        tracing::debug!(
            operation = %key,
            table = body["TableName"].as_str().unwrap_or_default(),
            items = usage.items,
            bytes_written = usage.bytes_written,
            write_units = usage.write_units,
            read_units = usage.read_units,
            "metered"
        );
        *state.usage.operations.entry(key).or_default() += usage;
    }

    fn put(&self, state: &mut State, put: &Value, factor: u64, usage: &mut OperationUsage) {
        let Some(item) = put["Item"].as_object() else {
            return;
        };
        let table_name = put["TableName"].as_str().unwrap_or_default();
        let table = self.table(table_name);
        let new = sizes_of(item);
        let key = item_key(table, item);
        let old = state
            .items
            .get(&(table_name.to_owned(), key.clone()))
            .cloned();
        let changed: Vec<String> = new.keys().cloned().collect();
        usage.items += 1;
        usage.bytes_written += total(&new) as u64;
        usage.write_units += self.write_cost(factor, table, old.as_ref(), &new, &changed);
        state.items.insert((table_name.to_owned(), key), new);
    }

    fn update(&self, state: &mut State, update: &Value, factor: u64, usage: &mut OperationUsage) {
        let table_name = update["TableName"].as_str().unwrap_or_default();
        let table = self.table(table_name);
        let Some(key_item) = update["Key"].as_object() else {
            return;
        };
        let key = item_key(table, key_item);
        let old = state
            .items
            .get(&(table_name.to_owned(), key.clone()))
            .cloned();
        let mut new = old.clone().unwrap_or_else(|| sizes_of(key_item));
        let empty = Map::new();
        let names = update["ExpressionAttributeNames"]
            .as_object()
            .unwrap_or(&empty);
        let values = update["ExpressionAttributeValues"]
            .as_object()
            .unwrap_or(&empty);
        let effect = update_effect(
            update["UpdateExpression"].as_str().unwrap_or_default(),
            names,
        );
        let mut changed = Vec::new();
        for (name, placeholders) in &effect.set {
            let value: usize = placeholders
                .iter()
                .filter_map(|p| values.get(p))
                .map(size::value_size)
                .max()
                .unwrap_or(0);
            new.insert(name.clone(), name.len() + value);
            changed.push(name.clone());
        }
        for name in &effect.removed {
            new.remove(name);
            changed.push(name.clone());
        }
        usage.items += 1;
        usage.bytes_written += total(&new) as u64;
        usage.write_units += self.write_cost(factor, table, old.as_ref(), &new, &changed);
        state.items.insert((table_name.to_owned(), key), new);
    }

    /// The table write (`factor` times: 2 inside a transaction) and every index write a change
    /// to an item costs. Index writes are propagated outside the transaction and billed as
    /// standard writes.
    fn write_cost(
        &self,
        factor: u64,
        table: Option<&TableModel>,
        old: Option<&Sizes>,
        new: &Sizes,
        changed: &[String],
    ) -> u64 {
        let mut units = factor * write_units(total(new).max(old.map_or(0, total)));
        for index in table.map(|t| t.indexes.as_slice()).unwrap_or_default() {
            let in_index = |item: &Sizes| index.key.iter().all(|k| item.contains_key(k));
            let had = old.is_some_and(in_index);
            let has = in_index(new);
            let key_changed = changed.iter().any(|c| index.key.contains(c));
            let projected_changed = changed.iter().any(|c| match &index.projection {
                Projection::All => true,
                Projection::KeysOnly => false,
                Projection::Include(attributes) => attributes.contains(c),
            });
            if has && (!had || key_changed || projected_changed) {
                units += write_units(projected_size(table, index, new));
            }
            if had && (!has || key_changed) {
                // The old entry is deleted (a changed key is a delete and a put).
                units += 1;
            }
        }
        units
    }

    fn known_size(&self, state: &State, check: &Value) -> usize {
        let table_name = check["TableName"].as_str().unwrap_or_default();
        let Some(key) = check["Key"].as_object() else {
            return 1;
        };
        let key = item_key(self.table(table_name), key);
        state
            .items
            .get(&(table_name.to_owned(), key))
            .map_or(1, total)
    }

    fn read_items<'a>(
        &self,
        state: &mut State,
        table: Option<&str>,
        items: impl IntoIterator<Item = &'a Map<String, Value>>,
        consistent: bool,
        usage: &mut OperationUsage,
    ) {
        for item in items {
            let bytes = total(&sizes_of(item));
            usage.items += 1;
            usage.bytes_read += bytes as u64;
            usage.read_units += units_read(read_units(bytes), consistent);
            remember(state, table.and_then(|t| self.table(t)), table, item);
        }
    }
}

fn units_read(units: u64, consistent: bool) -> f64 {
    if consistent {
        units as f64
    } else {
        units as f64 / 2.0
    }
}

/// The key of an item: its key attributes' values, as text.
fn item_key(table: Option<&TableModel>, item: &Map<String, Value>) -> String {
    let names: Vec<&str> = match table {
        Some(t) => t.key.iter().map(String::as_str).collect(),
        None => vec!["pk", "sk"],
    };
    names
        .iter()
        .map(|k| item.get(*k).map(Value::to_string).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|")
}

fn remember(
    state: &mut State,
    table: Option<&TableModel>,
    table_name: Option<&str>,
    item: &Map<String, Value>,
) {
    let Some(name) = table_name else {
        return;
    };
    state
        .items
        .insert((name.to_owned(), item_key(table, item)), sizes_of(item));
}

fn average_size(state: &State, table: &str) -> usize {
    let sizes: Vec<usize> = state
        .items
        .iter()
        .filter(|((t, _), _)| t == table)
        .map(|(_, s)| total(s))
        .collect();
    if sizes.is_empty() {
        return 0;
    }
    sizes.iter().sum::<usize>() / sizes.len()
}

/// What an index holds of an item: its keys, the table's keys, and the projected attributes.
fn projected_size(table: Option<&TableModel>, index: &IndexModel, item: &Sizes) -> usize {
    let table_key: &[String] = table.map(|t| t.key.as_slice()).unwrap_or_default();
    item.iter()
        .filter(|(name, _)| {
            index.key.contains(name)
                || table_key.contains(name)
                || match &index.projection {
                    Projection::All => true,
                    Projection::KeysOnly => false,
                    Projection::Include(attributes) => attributes.contains(name),
                }
        })
        .map(|(_, size)| size)
        .sum()
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "Meter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if let Some(operation) = request.headers().get("x-amz-target") {
            let body = request
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            cfg.interceptor_state().store_put(Sent {
                operation: operation.to_owned(),
                body,
            });
        }
        Ok(())
    }

    /// After deserialization the answer's body has been read into memory.
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        // Only what succeeded is priced: a refused request writes nothing.
        if !response.status().is_success() {
            return Ok(());
        }
        if let Some(sent) = cfg.load::<Sent>() {
            let answer = response
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            self.record(&sent.operation, &sent.body, &answer);
        }
        Ok(())
    }
}
