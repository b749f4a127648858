//! The stream adapter on an in-memory cache, with stream events shaped as Lambda delivers them.

use std::sync::Arc;

use callscope_app::memory::MemoryCache;
use callscope_app::ports::{Cache, Scope};

use super::*;

fn event(file: &str) -> Event {
    let path = format!(
        "{}/../../events/dynamodb/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse("tenant", id).expect("tenant")
}

#[tokio::test]
async fn a_processed_call_and_its_rollup_bump_the_scopes_they_touch() {
    let cache = Arc::new(MemoryCache::default());
    let response = StreamHandler::new(cache.clone())
        .handle(event("call_processed.json"))
        .await;
    assert!(response.batch_item_failures.is_empty());
    let scopes = [
        Scope::Tenant,
        Scope::Call(CallId::parse("c", "call-0001").expect("id")),
        Scope::Agent(AgentId::parse("a", "agent-7").expect("id")),
        Scope::Team(TeamId::parse("t", "team-west").expect("id")),
        Scope::Call(CallId::parse("c", "call-0002").expect("id")),
    ];
    let generations = cache
        .generations(&tenant("acme"), &scopes)
        .await
        .expect("read");
    // The analysis item and the idempotency marker in the same batch change nothing cached.
    assert_eq!(generations, [1, 1, 1, 1, 0]);
}

#[tokio::test]
async fn records_of_other_items_bump_nothing() {
    let cache = Arc::new(MemoryCache::default());
    let response = StreamHandler::new(cache.clone())
        .handle(event("sam_generated_update.json"))
        .await;
    assert!(response.batch_item_failures.is_empty());
    let generations = cache
        .generations(&tenant("acme"), &[Scope::Tenant])
        .await
        .expect("read");
    assert_eq!(generations, [0]);
}

#[tokio::test]
async fn a_cache_that_is_down_fails_the_batch_from_its_first_record() {
    let cache = Arc::new(MemoryCache::default());
    cache.set_down(true);
    let response = StreamHandler::new(cache)
        .handle(event("call_processed.json"))
        .await;
    let failed: Vec<Option<&str>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_deref())
        .collect();
    assert_eq!(failed, [Some("4421584500000000017450439101")]);
}
