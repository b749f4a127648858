//! Tenant settings in the calls table: one item per tenant, each section a JSON string
//! attribute, one `version` for the whole document (moved on by every section write).
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `TENANT#{t}#SETTINGS` | `SETTINGS` | `version` (N), `updated_at`, `trackers`, `scorecard`, `agents`, `retention`, `alerts`, `webhooks` (JSON) |
//!
//! The webhook signing secret and the parked-delivery records are items of their own under the
//! same key (`webhook_secrets.rs`, `parked_deliveries.rs`): no settings read loads them.
//!
//! The table's stream filter passes only `sk = CALL`, so settings writes never invoke the
//! invalidate function; functions read settings through their own cache (app `settings`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use callscope_app::ports::{SettingsStore, SettingsWriteError, StoreError, StoredSettings};
use callscope_core::domain::{TenantId, Timestamp};
use callscope_core::settings::{Section, SectionValue, TenantSettings};

use super::unavailable;

const SETTINGS_SK: &str = "SETTINGS";

pub fn settings_pk(tenant: &TenantId) -> String {
    format!("TENANT#{tenant}#SETTINGS")
}

#[derive(Debug, Clone)]
pub struct DynamoSettings {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoSettings {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }
}

fn corrupt(tenant: &TenantId, reason: String) -> StoreError {
    StoreError::Unavailable {
        operation: format!("reading the settings of tenant {tenant}"),
        detail: format!("the stored settings cannot be read back: {reason}"),
    }
}

fn read(
    tenant: &TenantId,
    item: &HashMap<String, AttributeValue>,
) -> Result<StoredSettings, StoreError> {
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| corrupt(tenant, "no version".into()))?;
    let mut settings = TenantSettings {
        version,
        ..TenantSettings::default()
    };
    for section in Section::ALL {
        let Some(json) = item.get(section.as_str()).and_then(|v| v.as_s().ok()) else {
            continue;
        };
        // Validated when written; read back without the limits (they may have changed since).
        let parse_error =
            |e: serde_json::Error| corrupt(tenant, format!("{}: {e}", section.as_str()));
        let value = match section {
            Section::Trackers => {
                SectionValue::Trackers(serde_json::from_str(json).map_err(parse_error)?)
            }
            Section::Scorecard => {
                SectionValue::Scorecard(serde_json::from_str(json).map_err(parse_error)?)
            }
            Section::Agents => {
                SectionValue::Agents(serde_json::from_str(json).map_err(parse_error)?)
            }
            Section::Retention => {
                SectionValue::Retention(serde_json::from_str(json).map_err(parse_error)?)
            }
            Section::Alerts => {
                SectionValue::Alerts(serde_json::from_str(json).map_err(parse_error)?)
            }
            Section::Webhooks => {
                SectionValue::Webhooks(serde_json::from_str(json).map_err(parse_error)?)
            }
        };
        settings.set(value);
    }
    let updated_at = item
        .get("updated_at")
        .and_then(|v| v.as_s().ok())
        .and_then(|s| Timestamp::parse("updated_at", s).ok());
    Ok(StoredSettings {
        settings,
        updated_at,
    })
}

#[async_trait]
impl SettingsStore for DynamoSettings {
    async fn load(&self, tenant: &TenantId) -> Result<Option<StoredSettings>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(settings_pk(tenant)))
            .key("sk", AttributeValue::S(SETTINGS_SK.to_owned()))
            // Read after a write by the same client (the API's GET after its PUT).
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(format!("reading the settings of tenant {tenant}"), e))?;
        output
            .item
            .as_ref()
            .map(|item| read(tenant, item))
            .transpose()
    }

    async fn put_section(
        &self,
        tenant: &TenantId,
        value: &SectionValue,
        expected: Option<u64>,
        at: Timestamp,
    ) -> Result<u64, SettingsWriteError> {
        let section = value.section().as_str();
        let json = serde_json::to_string(value).map_err(|e| StoreError::Unavailable {
            operation: format!("writing the {section} settings"),
            detail: e.to_string(),
        })?;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(settings_pk(tenant)))
            .key("sk", AttributeValue::S(SETTINGS_SK.to_owned()))
            .update_expression("SET #section = :value, updated_at = :now ADD version :one")
            .expression_attribute_names("#section", section)
            .expression_attribute_values(":value", AttributeValue::S(json))
            .expression_attribute_values(":now", AttributeValue::S(at.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew);
        request = match expected {
            None => request,
            Some(0) => request.condition_expression("attribute_not_exists(pk)"),
            Some(v) => request
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", AttributeValue::N(v.to_string())),
        };
        match request.send().await {
            Ok(output) => output
                .attributes
                .as_ref()
                .and_then(|a| a.get("version"))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    SettingsWriteError::Store(corrupt(
                        tenant,
                        "the write returned no version".into(),
                    ))
                }),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let current = self.load(tenant).await?.map_or(0, |s| s.settings.version);
                Err(SettingsWriteError::Stale {
                    expected: expected.unwrap_or_default(),
                    current,
                })
            }
            Err(error) => Err(SettingsWriteError::Store(unavailable(
                format!("writing the {section} settings of tenant {tenant}"),
                error,
            ))),
        }
    }
}
