//! A bucket's queue notifications, expiration and CORS rules from its `AWS::S3::Bucket` resource: what the
//! provisioner puts on the same bucket in the emulator, so objects announce themselves locally
//! to the queues they do when deployed.

use anyhow::Context;
use serde_norway::Value;

use super::intrinsics::{get_att, Evaluator};

#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    pub logical_id: String,
    pub notifications: Vec<QueueNotification>,
    /// The lifecycle rules' expiration, per rule prefix ("" for the whole bucket).
    pub expirations: Vec<(String, i32)>,
    /// `CorsConfiguration.CorsRules`, as browsers are answered.
    pub cors: Vec<CorsRule>,
}

/// One `CorsConfiguration.CorsRules` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorsRule {
    pub methods: Vec<String>,
    pub origins: Vec<String>,
    pub headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

/// One `NotificationConfiguration.QueueConfigurations` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueNotification {
    /// The queue's logical id (`Queue: !GetAtt X.Arn`).
    pub queue: String,
    pub event: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

pub(super) fn bucket(id: &str, props: &Value, evaluator: &Evaluator) -> anyhow::Result<BucketSpec> {
    let mut notifications = Vec::new();
    let configurations = props
        .get("NotificationConfiguration")
        .and_then(|n| n.get("QueueConfigurations"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten();
    for (i, configuration) in configurations.enumerate() {
        let at = || format!("NotificationConfiguration.QueueConfigurations[{i}]");
        let (queue, _) = configuration
            .get("Queue")
            .and_then(get_att)
            .with_context(|| format!("{}.Queue must be !GetAtt Queue.Arn", at()))?;
        let event = configuration
            .get("Event")
            .and_then(Value::as_str)
            .with_context(|| format!("{}.Event is required", at()))?
            .to_owned();
        let mut notification = QueueNotification {
            queue,
            event,
            prefix: None,
            suffix: None,
        };
        let rules = configuration
            .get("Filter")
            .and_then(|f| f.get("S3Key"))
            .and_then(|k| k.get("Rules"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten();
        for rule in rules {
            let name = rule.get("Name").and_then(Value::as_str).unwrap_or_default();
            let value = rule.get("Value").and_then(Value::as_str).map(str::to_owned);
            match name.to_ascii_lowercase().as_str() {
                "prefix" => notification.prefix = value,
                "suffix" => notification.suffix = value,
                other => anyhow::bail!("{}: unknown filter rule {other:?}", at()),
            }
        }
        notifications.push(notification);
    }
    let mut expirations = Vec::new();
    let rules = props
        .get("LifecycleConfiguration")
        .and_then(|l| l.get("Rules"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten();
    for rule in rules {
        let Some(days) = rule.get("ExpirationInDays") else {
            continue;
        };
        let days = super::known(Some(days), evaluator)?
            .context("ExpirationInDays must be known")?
            .parse()
            .context("ExpirationInDays")?;
        let prefix = rule
            .get("Prefix")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        expirations.push((prefix, days));
    }
    let strings = |rule: &Value, key: &str| -> Vec<String> {
        rule.get(key)
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let cors = props
        .get("CorsConfiguration")
        .and_then(|c| c.get("CorsRules"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|rule| CorsRule {
            methods: strings(rule, "AllowedMethods"),
            origins: strings(rule, "AllowedOrigins"),
            headers: strings(rule, "AllowedHeaders"),
            max_age_seconds: rule
                .get("MaxAge")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
        })
        .collect();
    Ok(BucketSpec {
        logical_id: id.to_owned(),
        notifications,
        expirations,
        cors,
    })
}
