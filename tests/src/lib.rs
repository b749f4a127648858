//! A `spawn_app`-style harness: provisions infra/template.yaml in the local cloud under a unique
//! prefix, builds the three functions exactly as their composition roots do (config from the
//! template's environment wiring), and drives them with the local event-source runner.

pub mod flaky;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::config::{AggregateConfig, IngestConfig, ProcessConfig};
use callscope_cloud::local_runner::{EventSource, LocalRunner, PollReport};
use callscope_cloud::provision::{self, Provisioned};
use callscope_cloud::sqs_batch::SqsBatchHandler;
use callscope_cloud::template::LocalTemplate;
use serde_json::Value;

/// The tenant the fixture token carries.
pub const TENANT: &str = "acme";
/// Retries are made visible again at once locally; SQS still counts receives for the DLQ.
const RETRY_DELAY: Duration = Duration::ZERO;
/// Tests use a small maxReceiveCount so poison messages reach the DLQ quickly.
pub const TEST_MAX_RECEIVE_COUNT: &str = "2";

#[derive(Debug)]
pub struct TestCloud {
    pub clients: AwsClients,
    pub provisioned: Provisioned,
    pub ingest: ingest::Ingestor,
    pub process: process::Processor,
    pub aggregate: aggregate::Aggregator,
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
    /// Provisions a fresh, uniquely named copy of the template's queues and tables.
    pub async fn start() -> Self {
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok(),
            "AWS_ENDPOINT_URL is not set: start the local cloud with `make local-up` and export `infra/local-cloud.sh env`, or run `make test`"
        );
        let sdk = load_sdk_config().await;
        let clients = AwsClients::from_config(&sdk);
        let overrides = BTreeMap::from([(
            "MaxReceiveCount".to_owned(),
            TEST_MAX_RECEIVE_COUNT.to_owned(),
        )]);
        let template = LocalTemplate::load_with_overrides(
            &workspace_root().join("infra/template.yaml"),
            overrides,
        )
        .expect("infra/template.yaml reads");
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let provisioned = provision::provision(&clients, &template, &prefix)
            .await
            .expect("provisioning the template in the local cloud");
        let env = |function: &str| {
            let mut env = provisioned.functions[function].env.clone();
            // Local mode: no authorizer in front of the in-process handler for requests without claims.
            env.remove("LOCAL_DEFAULT_TENANT");
            move |name: &str| env.get(name).cloned()
        };
        let ingest = ingest::Ingestor::new(
            &clients,
            IngestConfig::from_lookup(env("IngestFunction")).expect("ingest config"),
        );
        let process = process::Processor::new(
            &clients,
            ProcessConfig::from_lookup(env("ProcessFunction")).expect("process config"),
        );
        let aggregate = aggregate::Aggregator::new(
            &clients,
            AggregateConfig::from_lookup(env("AggregateFunction")).expect("aggregate config"),
        );
        Self {
            clients,
            provisioned,
            ingest,
            process,
            aggregate,
        }
    }

    /// POSTs a body as API Gateway would deliver it, with the tenant claim (or none).
    pub async fn post(&self, path: &str, body: &str, tenant: Option<&str>) -> HttpReply {
        self.post_with_content_type(path, body, tenant, "application/json")
            .await
    }

    pub async fn post_with_content_type(
        &self,
        path: &str,
        body: &str,
        tenant: Option<&str>,
        content_type: &str,
    ) -> HttpReply {
        let mut event: Value = serde_json::from_str(&fixture("events/apigw/create_call.json"))
            .expect("fixture is JSON");
        event["rawPath"] = Value::from(format!("/dev{path}"));
        event["requestContext"]["http"]["path"] = Value::from(format!("/dev{path}"));
        event["routeKey"] = Value::from(format!("POST {path}"));
        event["headers"]["content-type"] = Value::from(content_type);
        event["body"] = Value::from(body);
        match tenant {
            Some(t) => {
                event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] = Value::from(t)
            }
            None => {
                if let Some(claims) =
                    event["requestContext"]["authorizer"]["jwt"]["claims"].as_object_mut()
                {
                    claims.remove("tenant_id");
                }
            }
        }
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).expect("a valid HTTP API event");
        let response = self.ingest.handle_http(request).await;
        let body = match &response.body {
            Some(aws_lambda_events::encodings::Body::Text(text)) => {
                serde_json::from_str(text).expect("JSON response body")
            }
            _ => Value::Null,
        };
        HttpReply {
            status: response.status_code as u16,
            location: response
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body,
        }
    }

    pub fn queue_url(&self, logical_id: &str) -> &str {
        &self.provisioned.queues[logical_id].url
    }

    pub fn table(&self, logical_id: &str) -> &str {
        &self.provisioned.tables[logical_id]
    }

    /// Sends a message to a queue as an external producer would.
    pub async fn send(&self, queue_logical_id: &str, body: &str, attributes: &[(&str, &str)]) {
        let mut send = self
            .clients
            .sqs
            .send_message()
            .queue_url(self.queue_url(queue_logical_id))
            .message_body(body);
        for (name, value) in attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .expect("attribute");
            send = send.message_attributes(*name, value);
        }
        send.send().await.expect("sending a message");
    }

    /// The local event-source runner for a function's SQS event (as the template wires it).
    pub fn runner(&self, function: &str) -> LocalRunner {
        let source = &self.provisioned.functions[function].sqs_sources[0];
        let queue = &self.provisioned.queues[&source.queue_logical_id];
        LocalRunner::new(
            self.clients.sqs.clone(),
            EventSource {
                queue_url: queue.url.clone(),
                queue_arn: queue.arn.clone(),
                batch_size: source.batch_size,
            },
        )
        .with_retry_delay(RETRY_DELAY)
        .with_wait(Duration::from_secs(1))
    }

    /// Runs intake → process → aggregate until every queue is idle.
    pub async fn drain(&self) -> BTreeMap<&'static str, PollReport> {
        self.drain_through(&self.ingest, &self.process, &self.aggregate)
            .await
    }

    /// Same as [`drain`](Self::drain) with the given handlers standing in for the functions.
    pub async fn drain_through(
        &self,
        ingest: &dyn SqsBatchHandler,
        process: &dyn SqsBatchHandler,
        aggregate: &dyn SqsBatchHandler,
    ) -> BTreeMap<&'static str, PollReport> {
        let stages: [(&'static str, &str, &dyn SqsBatchHandler); 3] = [
            ("ingest", "IngestFunction", ingest),
            ("process", "ProcessFunction", process),
            ("aggregate", "AggregateFunction", aggregate),
        ];
        let mut reports = BTreeMap::new();
        // Later stages can feed on retries of earlier ones, so go round until a full pass is idle.
        loop {
            let mut pass_received = 0;
            for (name, function, handler) in stages {
                let report = self
                    .runner(function)
                    .run_until_idle(handler, 1, Duration::from_secs(300))
                    .await
                    .expect("running the event source");
                pass_received += report.received;
                let total: &mut PollReport = reports.entry(name).or_default();
                total.received += report.received;
                total.deleted += report.deleted;
                total.failed += report.failed;
            }
            if pass_received == 0 {
                return reports;
            }
        }
    }

    /// Every message now in a queue (received and left in place for the visibility timeout).
    pub async fn peek_all(&self, queue_logical_id: &str) -> Vec<Message> {
        let mut messages = Vec::new();
        loop {
            let batch = self
                .clients
                .sqs
                .receive_message()
                .queue_url(self.queue_url(queue_logical_id))
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receiving");
            let batch = batch.messages.unwrap_or_default();
            if batch.is_empty() {
                return messages;
            }
            messages.extend(batch);
        }
    }

    pub async fn cleanup(self) {
        if let Err(error) = provision::teardown(&self.clients, &self.provisioned).await {
            eprintln!(
                "cleanup failed (resources are uniquely named, so no test is affected): {error:#}"
            );
        }
    }
}

/// What an HTTP call returned.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub location: Option<String>,
    pub body: Value,
}

/// A string message attribute of a received message.
pub fn attribute<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message
        .message_attributes
        .as_ref()?
        .get(name)?
        .string_value
        .as_deref()
}
