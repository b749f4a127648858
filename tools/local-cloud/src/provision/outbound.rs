//! The template's S3 buckets and EventBridge buses in the emulator: created under the prefix
//! (buckets lower-cased, as S3 requires), emptied and deleted on teardown.

use anyhow::Context;

use super::Provisioned;
use crate::template::LocalTemplate;
use callscope_cloud::aws::load_sdk_config;

/// S3's rules for a bucket name: lower case, no underscores, at most 63 characters.
pub fn bucket_name(prefix: &str, logical_id: &str) -> String {
    let mut name = format!("{prefix}{logical_id}")
        .to_ascii_lowercase()
        .replace('_', "-");
    name.truncate(63);
    name
}

pub(super) async fn provision(
    template: &LocalTemplate,
    prefix: &str,
    provisioned: &mut Provisioned,
) -> anyhow::Result<()> {
    if template.buckets.is_empty() && template.event_buses.is_empty() {
        return Ok(());
    }
    let sdk = load_sdk_config().await;
    let s3 = aws_sdk_s3::Client::new(&sdk);
    for logical_id in &template.buckets {
        let name = bucket_name(prefix, logical_id);
        match s3.create_bucket().bucket(&name).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error().is_some_and(|e| {
                    e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                }) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("creating bucket {name}"))),
        }
        provisioned.buckets.insert(logical_id.clone(), name);
    }
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    for logical_id in &template.event_buses {
        let name = format!("{prefix}{logical_id}");
        match events.create_event_bus().name(&name).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("creating event bus {name}")))
            }
        }
        provisioned.event_buses.insert(logical_id.clone(), name);
    }
    Ok(())
}

/// Empties and deletes the buckets; deletes the buses with their rules.
pub(super) async fn teardown(provisioned: &Provisioned) -> anyhow::Result<()> {
    if provisioned.buckets.is_empty() && provisioned.event_buses.is_empty() {
        return Ok(());
    }
    let sdk = load_sdk_config().await;
    let s3 = aws_sdk_s3::Client::new(&sdk);
    for bucket in provisioned.buckets.values() {
        let listed = s3
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .with_context(|| format!("listing {bucket}"))?;
        for object in listed.contents.unwrap_or_default() {
            if let Some(key) = object.key {
                s3.delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .with_context(|| format!("deleting s3://{bucket}/{key}"))?;
            }
        }
        s3.delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .with_context(|| format!("deleting bucket {bucket}"))?;
    }
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    for bus in provisioned.event_buses.values() {
        let rules = events
            .list_rules()
            .event_bus_name(bus)
            .send()
            .await
            .with_context(|| format!("listing the rules of {bus}"))?;
        for rule in rules.rules.unwrap_or_default() {
            let Some(name) = rule.name else { continue };
            let targets = events
                .list_targets_by_rule()
                .rule(&name)
                .event_bus_name(bus)
                .send()
                .await
                .with_context(|| format!("listing the targets of {name}"))?;
            let ids: Vec<String> = targets
                .targets
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.id)
                .collect();
            if !ids.is_empty() {
                events
                    .remove_targets()
                    .rule(&name)
                    .event_bus_name(bus)
                    .set_ids(Some(ids))
                    .send()
                    .await
                    .with_context(|| format!("removing the targets of {name}"))?;
            }
            events
                .delete_rule()
                .name(&name)
                .event_bus_name(bus)
                .send()
                .await
                .with_context(|| format!("deleting rule {name}"))?;
        }
        events
            .delete_event_bus()
            .name(bus)
            .send()
            .await
            .with_context(|| format!("deleting event bus {bus}"))?;
    }
    Ok(())
}
