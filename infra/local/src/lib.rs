//! The local pipeline without Docker or a Lambda emulator: infra/template.yaml's queues and tables
//! in the AWS emulator, the three functions built exactly as their composition roots build them
//! (config from the template's environment wiring), and the event-source runner that invokes
//! them the way Lambda's SQS event source mappings do. Tests and `callscope local demo` share it.

pub mod runner;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::calls_store::CallsStore;
use callscope_cloud::config::{AggregateConfig, IngestConfig, ProcessConfig, SweepConfig};
use callscope_cloud::provision::{self, Provisioned};
use callscope_cloud::rollup_store::RollupStore;
use callscope_cloud::sqs_batch::SqsBatchHandler;
use callscope_cloud::template::LocalTemplate;
use serde_json::Value;

use crate::runner::{EventSource, LocalRunner, PollReport};

/// A real-shaped HTTP API (payload v2) request with a verified JWT; `post` fills in the rest.
const HTTP_EVENT: &str = include_str!("../../../events/apigw/create_call.json");
/// Failed messages come back at once instead of after the visibility timeout (minutes); SQS
/// still counts every receive towards the DLQ's maxReceiveCount.
const RETRY_DELAY: Duration = Duration::ZERO;
/// The claim the template's `TenantClaim` parameter names by default.
const TENANT_CLAIM: &str = "tenant_id";

#[derive(Debug)]
pub struct LocalPipeline {
    pub clients: AwsClients,
    pub provisioned: Provisioned,
    pub ingest: ingest::Ingestor,
    pub process: process::Processor,
    pub aggregate: aggregate::Aggregator,
    pub sweep: sweep::Sweeper,
}

impl LocalPipeline {
    /// Creates the template's resources under `prefix` (idempotent) and builds the functions.
    pub async fn start(
        clients: AwsClients,
        template: &LocalTemplate,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let provisioned = provision::provision(&clients, template, prefix)
            .await
            .context("provisioning the template in the local cloud")?;
        let env = |function: &str| -> anyhow::Result<_> {
            let mut env = provisioned
                .functions
                .get(function)
                .with_context(|| format!("the template has no {function}"))?
                .env
                .clone();
            // Requests without a tenant claim are refused locally too: the default tenant is a
            // switch for `cargo lambda watch` sessions, never on behind this harness.
            env.remove("LOCAL_DEFAULT_TENANT");
            Ok(move |name: &str| env.get(name).cloned())
        };
        let ingest =
            ingest::Ingestor::new(&clients, IngestConfig::from_lookup(env("IngestFunction")?)?);
        let process = process::Processor::new(
            &clients,
            ProcessConfig::from_lookup(env("ProcessFunction")?)?,
        );
        let aggregate = aggregate::Aggregator::new(
            &clients,
            AggregateConfig::from_lookup(env("AggregateFunction")?)?,
        );
        let sweep = sweep::Sweeper::new(&clients, SweepConfig::from_lookup(env("SweepFunction")?)?);
        Ok(Self {
            clients,
            provisioned,
            ingest,
            process,
            aggregate,
            sweep,
        })
    }

    /// Deletes what `start` created.
    pub async fn teardown(&self) -> anyhow::Result<()> {
        provision::teardown(&self.clients, &self.provisioned).await
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
        self.post_to(&self.ingest, path, body, tenant, content_type)
            .await
    }

    /// POSTs to the given ingest function (one built with other config, say) instead of ours.
    pub async fn post_to(
        &self,
        ingest: &ingest::Ingestor,
        path: &str,
        body: &str,
        tenant: Option<&str>,
        content_type: &str,
    ) -> HttpReply {
        let mut event: Value =
            serde_json::from_str(HTTP_EVENT).expect("the embedded HTTP event is JSON");
        event["rawPath"] = Value::from(format!("/dev{path}"));
        event["requestContext"]["http"]["path"] = Value::from(format!("/dev{path}"));
        event["routeKey"] = Value::from(format!("POST {path}"));
        event["headers"]["content-type"] = Value::from(content_type);
        event["body"] = Value::from(body);
        let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
        match tenant {
            Some(tenant) => claims[TENANT_CLAIM] = Value::from(tenant),
            None => {
                if let Some(claims) = claims.as_object_mut() {
                    claims.remove(TENANT_CLAIM);
                }
            }
        }
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).expect("the embedded HTTP event has the v2 shape");
        let response = ingest.handle_http(request).await;
        let body = match &response.body {
            Some(Body::Text(text)) => {
                serde_json::from_str(text).unwrap_or(Value::from(text.clone()))
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

    /// The calls table, read as the functions read it.
    pub fn calls_store(&self) -> CallsStore {
        CallsStore::new(
            self.clients.dynamodb.clone(),
            self.table("CallsTable").to_owned(),
        )
    }

    /// The rollups table, read as the functions read it.
    pub fn rollup_store(&self) -> RollupStore {
        RollupStore::new(
            self.clients.dynamodb.clone(),
            self.table("AnalyticsTable").to_owned(),
        )
    }

    /// Sends a message to a queue as an external producer would.
    pub async fn send(
        &self,
        queue_logical_id: &str,
        body: &str,
        attributes: &[(&str, &str)],
    ) -> anyhow::Result<()> {
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
                .context("building a message attribute")?;
            send = send.message_attributes(*name, value);
        }
        send.send()
            .await
            .with_context(|| format!("sending to {queue_logical_id}"))?;
        Ok(())
    }

    /// The event-source runner for a function's SQS event, as the template wires it.
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
    pub async fn drain(&self) -> anyhow::Result<BTreeMap<&'static str, PollReport>> {
        self.drain_through(&self.ingest, &self.process, &self.aggregate)
            .await
    }

    /// Same as [`drain`](Self::drain) with the given handlers standing in for the functions.
    pub async fn drain_through(
        &self,
        ingest: &dyn SqsBatchHandler,
        process: &dyn SqsBatchHandler,
        aggregate: &dyn SqsBatchHandler,
    ) -> anyhow::Result<BTreeMap<&'static str, PollReport>> {
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
                    .with_context(|| format!("running the {name} event source"))?;
                pass_received += report.received;
                let total: &mut PollReport = reports.entry(name).or_default();
                total.received += report.received;
                total.deleted += report.deleted;
                total.failed += report.failed;
            }
            if pass_received == 0 {
                return Ok(reports);
            }
        }
    }

    /// Every message now in a queue (received and left in place for a minute).
    pub async fn peek_all(&self, queue_logical_id: &str) -> anyhow::Result<Vec<Message>> {
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
                .with_context(|| format!("receiving from {queue_logical_id}"))?;
            let batch = batch.messages.unwrap_or_default();
            if batch.is_empty() {
                return Ok(messages);
            }
            messages.extend(batch);
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
