//! A `spawn_app`-style harness: the local pipeline under a unique prefix per test, with a small
//! maxReceiveCount so poison messages reach their DLQ within a test's time.

// Shared with `callscope local chaos`, so they live with the local cloud.
pub use callscope_local::{flaky, redis};

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::PathBuf;

use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_local::faults::FaultInjector;
use callscope_local::template::{LocalTemplate, Stack};
use callscope_local::LocalPipeline;

pub use callscope_local::{attribute, HttpReply};

/// The tenant the fixture token carries.
pub const TENANT: &str = "acme";
/// Tests use a small maxReceiveCount so poison messages reach the DLQ quickly.
pub const TEST_MAX_RECEIVE_COUNT: &str = "2";
/// The template's default, for tests of transient faults.
pub const DEPLOYED_MAX_RECEIVE_COUNT: &str = "5";

#[derive(Debug)]
pub struct TestCloud(LocalPipeline);

impl Deref for TestCloud {
    type Target = LocalPipeline;

    fn deref(&self) -> &LocalPipeline {
        &self.0
    }
}

/// Where the workspace root is (tests run with the crate dir as cwd).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixture(path: &str) -> String {
    let full = workspace_root().join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", full.display()))
}

impl TestCloud {
    /// Provisions a fresh, uniquely named copy of the template's queues and tables, with the
    /// local Redis (`REDIS_URL`) as the cache.
    pub async fn start() -> Self {
        let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        Self::start_with_cache(&redis).await
    }

    /// The same with the cache at `cache_url`; keys are namespaced by the test's prefix, so tests
    /// sharing one Redis never read each other's entries.
    pub async fn start_with_cache(cache_url: &str) -> Self {
        Self::start_with(cache_url, None).await
    }

    /// With `faults` injected into every DynamoDB and SQS request the functions make, and the
    /// deployed maxReceiveCount: transient faults get the retries they get in production.
    pub async fn start_with_faults(faults: FaultInjector) -> Self {
        let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        Self::start_with(&redis, Some(faults)).await
    }

    async fn start_with(cache_url: &str, faults: Option<FaultInjector>) -> Self {
        let max_receive_count = if faults.is_some() {
            DEPLOYED_MAX_RECEIVE_COUNT
        } else {
            TEST_MAX_RECEIVE_COUNT
        };
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok(),
            "AWS_ENDPOINT_URL is not set: run `make test`, or `make local-up` and export `infra/local-cloud.sh env`"
        );
        let sdk = load_sdk_config().await;
        let clients = match faults {
            Some(faults) => AwsClients::from_config_with(&sdk, faults),
            None => AwsClients::from_config(&sdk),
        };
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let overrides = BTreeMap::from([
            ("MaxReceiveCount".to_owned(), max_receive_count.to_owned()),
            ("CacheUrl".to_owned(), cache_url.to_owned()),
        ]);
        let template = LocalTemplate::load_for_stack(
            &workspace_root().join("infra/template.yaml"),
            &Stack::local(&prefix),
            overrides,
        )
        .expect("infra/template.yaml reads");
        let pipeline = LocalPipeline::start(clients, &template, &prefix)
            .await
            .expect("starting the local pipeline");
        Self(pipeline)
    }

    /// POSTs calls in bulk as a well-behaved client does: the items answered `retry` (the
    /// store or queue was slow) are sent again, until every call is accepted.
    pub async fn post_bulk_until_accepted(&self, documents: &[serde_json::Value]) {
        let mut pending: Vec<serde_json::Value> = documents.to_vec();
        for _ in 0..5 {
            let reply = self
                .0
                .post(
                    "/api/v1/calls/bulk",
                    &serde_json::Value::from(pending.clone()).to_string(),
                    Some(TENANT),
                )
                .await;
            assert_eq!(reply.status, 202, "{}", reply.body);
            let results = reply.body["results"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                results
                    .iter()
                    .all(|r| r["status"] == "accepted" || r["status"] == "retry"),
                "{}",
                reply.body
            );
            pending = results
                .iter()
                .zip(&pending)
                .filter(|(r, _)| r["status"] == "retry")
                .map(|(_, doc)| doc.clone())
                .collect();
            if pending.is_empty() {
                return;
            }
        }
        panic!("{} calls still not accepted after 5 tries", pending.len());
    }

    /// GETs from the query API.
    pub async fn get(&self, path_and_query: &str, tenant: Option<&str>) -> HttpReply {
        self.0.get(path_and_query, tenant).await
    }

    /// Delivers the table streams to invalidate and waits for the generation moves it
    /// coalesced, so the next read shows every change (within the bounds of `docs/api.md`).
    pub async fn drain_streams(&self) {
        self.0
            .drain_streams()
            .await
            .expect("draining the table streams");
        self.0.settle().await;
    }

    /// Sends a message to a queue as an external producer would.
    pub async fn send(&self, queue_logical_id: &str, body: &str, attributes: &[(&str, &str)]) {
        self.0
            .send(queue_logical_id, body, attributes)
            .await
            .expect("sending a message");
    }

    /// Runs intake → process → aggregate until every queue is idle, then the streams into
    /// invalidate, and waits for the generation moves it coalesced.
    pub async fn drain(&self) -> BTreeMap<&'static str, callscope_local::runner::PollReport> {
        let reports = self.0.drain().await.expect("draining the pipeline");
        self.0.settle().await;
        reports
    }

    pub async fn peek_all(&self, queue_logical_id: &str) -> Vec<aws_sdk_sqs::types::Message> {
        self.0
            .peek_all(queue_logical_id)
            .await
            .expect("peeking a queue")
    }

    pub async fn cleanup(self) {
        if let Err(error) = self.0.teardown().await {
            eprintln!(
                "cleanup failed (resources are uniquely named, so no test is affected): {error:#}"
            );
        }
    }
}

/// A local pipeline under a prefix of its own with the request meter on its clients, for the
/// tests that count what requests cost (units per call, index pages per list).
pub async fn metered_local_pipeline() -> (LocalPipeline, callscope_meter::Meter) {
    let sdk = load_sdk_config().await;
    let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let template = LocalTemplate::load_for_stack(
        &workspace_root().join("infra/template.yaml"),
        &Stack::local(&prefix),
        BTreeMap::new(),
    )
    .expect("infra/template.yaml reads");
    callscope_local::cost::metered_pipeline(&sdk, &template, &prefix)
        .await
        .expect("a metered local pipeline")
}
