//! The invalidate function's event adapter: DynamoDB Streams records of the calls and analytics
//! tables read into changes for the invalidate use case. Records that are neither a call item
//! nor a rollup (transcripts, analyses, idempotency markers) change nothing cached and are
//! skipped; the template's filter criteria keep most of them from invoking at all.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_app::invalidate::{Change, Invalidate};
use callscope_app::ports::Cache;
use callscope_cloud::cache::RedisCache;
use callscope_cloud::config::{ConfigError, InvalidateConfig};
use callscope_core::domain::{AgentId, CallId, TeamId, TenantId};
use callscope_core::pipeline::RollupScope;
use serde::Deserialize;

/// The function as its composition root builds it.
pub fn handler(config: &InvalidateConfig) -> Result<StreamHandler, ConfigError> {
    let cache =
        RedisCache::connect_lazily(&config.cache_url, &config.cache_namespace).map_err(|e| {
            ConfigError::Invalid {
                name: "CACHE_URL".into(),
                reason: e.to_string(),
            }
        })?;
    Ok(StreamHandler::new(Arc::new(cache)))
}

#[derive(Debug, Clone)]
pub struct StreamHandler {
    invalidate: Invalidate,
}

impl StreamHandler {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self {
            invalidate: Invalidate::new(cache),
        }
    }

    /// Bumps what the batch's records touch. If the cache cannot be reached the whole batch is
    /// reported failed from its first record, so Lambda retries it (bisecting, then sending
    /// what still fails to the on-failure destination); bumping twice is harmless.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let changes: Vec<Change> = event.records.iter().filter_map(change_of).collect();
        let mut response = DynamoDbEventResponse::default();
        if changes.is_empty() {
            return response;
        }
        match self.invalidate.apply(&changes).await {
            Ok(bumped) => tracing::info!(
                records = event.records.len(),
                bumped,
                "cache generations bumped"
            ),
            Err(error) => {
                tracing::warn!(%error, "could not bump cache generations; the batch will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = event
                    .records
                    .first()
                    .and_then(|r| r.change.sequence_number.clone());
                response.batch_item_failures.push(failure);
            }
        }
        response
    }
}

/// The attributes invalidation reads from a new image.
#[derive(Debug, Deserialize)]
struct Image {
    pk: String,
    sk: String,
    agent_id: Option<AgentId>,
    team_id: Option<TeamId>,
}

fn change_of(record: &EventRecord) -> Option<Change> {
    let item: HashMap<String, serde_dynamo::AttributeValue> = if record.change.new_image.is_empty()
    {
        record.change.keys.clone().into_inner()
    } else {
        record.change.new_image.clone().into_inner()
    };
    let image: Image = serde_dynamo::from_item(serde_dynamo::Item::from(item)).ok()?;
    let rest = image.pk.strip_prefix("TENANT#")?;
    let (tenant, rest) = rest.split_once('#')?;
    let tenant = TenantId::parse("tenant", tenant).ok()?;
    if let Some(call_id) = rest.strip_prefix("CALL#") {
        if image.sk != "CALL" {
            return None;
        }
        return Some(Change::Call {
            tenant,
            call_id: CallId::parse("call_id", call_id).ok()?,
            agent_id: image.agent_id,
            team_id: image.team_id,
        });
    }
    let scope = rest.strip_prefix("ROLLUP#")?;
    if !image.sk.starts_with("DAY#") {
        return None;
    }
    let scope = match scope.split('#').collect::<Vec<_>>()[..] {
        ["TENANT"] => RollupScope::Tenant,
        ["AGENT", agent] => RollupScope::Agent(AgentId::parse("agent_id", agent).ok()?),
        ["TEAM", team] => RollupScope::Team(TeamId::parse("team_id", team).ok()?),
        ["TEAM", team, "AGENT", agent] => RollupScope::TeamAgent(
            TeamId::parse("team_id", team).ok()?,
            AgentId::parse("agent_id", agent).ok()?,
        ),
        _ => return None,
    };
    Some(Change::Rollup { tenant, scope })
}

#[cfg(test)]
mod tests;
