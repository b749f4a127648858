//! A table's keys, indexes, TTL and stream from its `AWS::DynamoDB::Table` resource: what the
//! provisioner needs to create the same table in the emulator.

use anyhow::Context;
use serde_norway::Value;

use super::intrinsics::scalar;

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    /// (attribute, HASH | RANGE)
    pub key_schema: Vec<(String, String)>,
    /// (attribute, S | N | B)
    pub attributes: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
    /// `StreamSpecification.StreamViewType`, when the table has a stream.
    pub stream_view_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
    /// `Projection.NonKeyAttributes`, for `INCLUDE`.
    pub non_key_attributes: Vec<String>,
}

pub(super) fn table(id: &str, props: &Value) -> anyhow::Result<TableSpec> {
    let pairs =
        |value: Option<&Value>, a: &str, b: &str| -> anyhow::Result<Vec<(String, String)>> {
            value
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .map(|entry| {
                    let first = entry
                        .get(a)
                        .and_then(scalar)
                        .with_context(|| format!("{a} is required"))?;
                    let second = entry
                        .get(b)
                        .and_then(scalar)
                        .with_context(|| format!("{b} is required"))?;
                    Ok((first, second))
                })
                .collect()
        };
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|index| {
            Ok(IndexSpec {
                name: index
                    .get("IndexName")
                    .and_then(scalar)
                    .context("IndexName is required")?,
                key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType")?,
                projection: index
                    .get("Projection")
                    .and_then(|p| p.get("ProjectionType"))
                    .and_then(scalar)
                    .unwrap_or_else(|| "ALL".to_owned()),
                non_key_attributes: index
                    .get("Projection")
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(scalar)
                    .collect(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ttl = props.get("TimeToLiveSpecification");
    let ttl_enabled = ttl
        .and_then(|t| t.get("Enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(TableSpec {
        logical_id: id.to_owned(),
        key_schema: pairs(props.get("KeySchema"), "AttributeName", "KeyType")?,
        attributes: pairs(
            props.get("AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        )?,
        indexes,
        ttl_attribute: ttl
            .filter(|_| ttl_enabled)
            .and_then(|t| t.get("AttributeName"))
            .and_then(scalar),
        stream_view_type: props
            .get("StreamSpecification")
            .and_then(|s| s.get("StreamViewType"))
            .and_then(scalar),
    })
}
