//! The template's EventBridge buses in the emulator: created under the prefix with the rules
//! that target its queues, deleted with their rules on teardown.

use anyhow::Context;

use super::Provisioned;
use crate::template::LocalTemplate;
use callscope_cloud::aws::load_sdk_config;

pub(super) async fn provision(
    template: &LocalTemplate,
    prefix: &str,
    provisioned: &mut Provisioned,
) -> anyhow::Result<()> {
    if template.event_buses.is_empty() {
        return Ok(());
    }
    let sdk = load_sdk_config().await;
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
    for rule in &template.event_rules {
        let name = format!("{prefix}{}", rule.logical_id);
        let bus = provisioned
            .event_buses
            .get(&rule.bus)
            .with_context(|| format!("rule {}: {} is not a bus", rule.logical_id, rule.bus))?;
        events
            .put_rule()
            .name(&name)
            .event_bus_name(bus)
            .event_pattern(rule.pattern.to_string())
            .send()
            .await
            .with_context(|| format!("creating rule {name}"))?;
        let mut put = events.put_targets().rule(&name).event_bus_name(bus);
        for (id, queue) in &rule.queue_targets {
            let arn = &provisioned
                .queues
                .get(queue)
                .with_context(|| format!("rule {}: {queue} is not a queue", rule.logical_id))?
                .arn;
            put = put.targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id(id)
                    .arn(arn)
                    .build()
                    .context("building a rule target")?,
            );
        }
        put.send()
            .await
            .with_context(|| format!("targeting rule {name}"))?;
    }
    Ok(())
}

/// Deletes the buses with their rules.
pub(super) async fn teardown(provisioned: &Provisioned) -> anyhow::Result<()> {
    if provisioned.event_buses.is_empty() {
        return Ok(());
    }
    let sdk = load_sdk_config().await;
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
