//! Every function of the template in-process, built as its composition root builds it (config
//! from the provisioned environment), with HTTP delivered as API Gateway payload v2 events and
//! the queues and streams drained through the same event-source runners Lambda's mappings are
//! modelled by.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::Context;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use axum::Router;
use callscope_aggregate as aggregate;
use callscope_app::aggregate::AggregateRollups;
use callscope_app::dropin::DropIn;
use callscope_app::erasure::CustomerErasures;
use callscope_app::intake::IntakeCalls;
use callscope_app::process::ProcessCalls;
use callscope_app::recordings::StartTranscriptions;
use callscope_app::sweep::Sweep;
use callscope_cloud::aws::load_sdk_config;
use callscope_cloud::aws::AwsClients;
use callscope_cloud::config::{
    AggregateConfig, DropInConfig, ErasuresConfig, FromEnv, IngestConfig, IntakeConfig,
    InvalidateConfig, OutboundConfig, ProcessConfig, QueryConfig, RecordingsConfig, SweepConfig,
    WebhooksConfig,
};
use callscope_cloud::dynamo::{DynamoCalls, DynamoRollups};
use callscope_cloud::sqs::{SqsBatchHandler, SqsConsumer};
use callscope_http::lambda::call;
use callscope_http::lambda::HttpEvent;
use callscope_http::lambda::HttpReply;

use crate::provision::{self, Provisioned};
use crate::runner::{EventSource, LocalRunner, PollReport};
use crate::streams::StreamRunner;
use crate::template::{self, LocalTemplate};

/// Failed messages come back at once instead of after the visibility timeout (minutes); SQS
/// still counts every receive towards the DLQ's maxReceiveCount.
pub(crate) const RETRY_DELAY: Duration = Duration::ZERO;
/// The claim the template's `TenantClaim` parameter names by default.
pub const TENANT_CLAIM: &str = "tenant_id";
/// The stage requests arrive under, as with the template's default `Stage`.
const STAGE: &str = "dev";

#[derive(Debug)]
pub struct LocalPipeline {
    pub clients: AwsClients,
    pub provisioned: Provisioned,
    /// The HTTP ingest function's router.
    pub ingest: Router,
    pub intake: SqsConsumer<IntakeCalls>,
    /// The dropin function: objects the drop-in bucket announces.
    pub dropin: SqsConsumer<DropIn>,
    /// The recordings function: audio the drop-in bucket announces, started as Transcribe jobs.
    pub recordings: SqsConsumer<StartTranscriptions>,
    pub process: SqsConsumer<ProcessCalls>,
    pub aggregate: SqsConsumer<AggregateRollups>,
    pub sweep: Sweep,
    /// The query API function's router.
    pub api: Router,
    /// The invalidate function, where the template has a cache for it.
    pub invalidate: Option<callscope_invalidate::StreamHandler>,
    /// The table streams the template wires to invalidate, read from their start.
    pub streams: Vec<StreamRunner>,
    /// The outbound function: events to the bus, rows to the Parquet export.
    pub outbound: callscope_outbound::StreamHandler,
    /// The calls table stream as the template wires it to outbound, read from its start.
    pub outbound_streams: Vec<StreamRunner>,
    /// The webhooks function: the bus's events POSTed to the tenants' endpoints.
    pub webhooks: callscope_cloud::webhooks::BackoffConsumer,
    /// The erasures function: pages of customer erasure requests.
    pub erasures: SqsConsumer<CustomerErasures>,
}

impl LocalPipeline {
    /// Creates the template's resources under `prefix` (idempotent) and builds the functions.
    pub async fn start(
        clients: AwsClients,
        template: &LocalTemplate,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        // The stack the template was read for names the resources, so `!Ref AWS::StackName`
        // (the cache namespace) and the resource names agree.
        anyhow::ensure!(
            template.stack == template::Stack::for_prefix(prefix, &template.stack.region),
            "the template was read for stack {} but is provisioned under prefix {prefix}",
            template.stack.name
        );
        let provisioned = provision::provision(&clients, template, prefix)
            .await
            .context("provisioning the template in the local cloud")?;
        let ingest = callscope_ingest::router(
            &IngestConfig::from_lookup(provisioned.env_of("IngestFunction")?)?,
            &clients,
        );
        let intake = callscope_intake::consumer(
            &IntakeConfig::from_lookup(provisioned.env_of("IntakeFunction")?)?,
            &clients,
        );
        let dropin = callscope_dropin::consumer(
            &DropInConfig::from_lookup(provisioned.env_of("DropInFunction")?)?,
            &clients,
        );
        let process = process_function(&provisioned, &clients)?;
        let aggregate = aggregate::consumer(
            &AggregateConfig::from_lookup(provisioned.env_of("AggregateFunction")?)?,
            &clients,
        );
        let sweep = callscope_sweep::sweep(
            &SweepConfig::from_lookup(provisioned.env_of("SweepFunction")?)?,
            &clients,
        );
        let api = callscope_query::router(
            &QueryConfig::from_lookup(provisioned.env_of("QueryFunction")?)?,
            &clients,
        )?;
        let sdk = load_sdk_config().await;
        let recordings = callscope_recordings::consumer(
            &RecordingsConfig::from_lookup(provisioned.env_of("RecordingsFunction")?)?,
            &sdk,
            &clients,
        );
        let outbound = callscope_outbound::handler(
            &OutboundConfig::from_lookup(provisioned.env_of("OutboundFunction")?)?,
            &clients,
            aws_sdk_eventbridge::Client::new(&sdk),
            aws_sdk_s3::Client::new(&sdk),
        );
        let webhooks = callscope_webhooks::consumer(
            &WebhooksConfig::from_lookup(provisioned.env_of("WebhooksFunction")?)?,
            &clients,
        )
        .map_err(|e| anyhow::anyhow!("building the webhooks function: {e}"))?;
        let erasures = callscope_erasures::consumer(
            &ErasuresConfig::from_lookup(provisioned.env_of("ErasuresFunction")?)?,
            &clients,
        );
        let streams_client = aws_sdk_dynamodbstreams::Client::new(&sdk);
        let outbound_sources = &provisioned
            .functions
            .get("OutboundFunction")
            .context("the template has no OutboundFunction")?
            .stream_sources;
        let outbound_streams = StreamRunner::start_all(&streams_client, outbound_sources).await?;
        let mut invalidate = None;
        let mut streams = Vec::new();
        if let Some(wiring) = provisioned.functions.get("InvalidateFunction") {
            invalidate = Some(callscope_invalidate::handler(
                &InvalidateConfig::from_lookup(provisioned.env_of("InvalidateFunction")?)?,
            )?);
            streams = StreamRunner::start_all(&streams_client, &wiring.stream_sources).await?;
        }
        Ok(Self {
            clients,
            provisioned,
            ingest,
            intake,
            dropin,
            recordings,
            process,
            aggregate,
            sweep,
            api,
            invalidate,
            streams,
            outbound,
            outbound_streams,
            webhooks,
            erasures,
        })
    }

    /// Another sandbox of the process function, cold: its settings cache is empty, so it
    /// analyses with the tenants' settings as they are now (a warm one keeps what it loaded for
    /// up to a minute).
    pub fn process_sandbox(&self) -> anyhow::Result<SqsConsumer<ProcessCalls>> {
        process_function(&self.provisioned, &self.clients)
    }

    /// Deletes what `start` created.
    pub async fn teardown(&self) -> anyhow::Result<()> {
        provision::teardown(&self.clients, &self.provisioned).await
    }

    /// POSTs a JSON body as API Gateway would deliver it, with the tenant claim (or none).
    pub async fn post(&self, path: &str, body: &str, tenant: Option<&str>) -> HttpReply {
        self.post_to(&self.ingest, path, body, tenant, "application/json")
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

    /// POSTs to the given function (one built with other config, say) instead of ours.
    pub async fn post_to(
        &self,
        function: &Router,
        path: &str,
        body: &str,
        tenant: Option<&str>,
        content_type: &str,
    ) -> HttpReply {
        let event = HttpEvent {
            method: "POST".into(),
            path: path.to_owned(),
            headers: vec![("content-type".into(), content_type.to_owned())],
            body: Some(body.to_owned()),
            claims: tenant.map(|t| HashMap::from([(TENANT_CLAIM.to_owned(), t.to_owned())])),
            stage: STAGE.into(),
            ..HttpEvent::default()
        };
        call(function, event).await
    }

    /// Sends a request without a body (DELETE, or a POST that needs none) to the ingest
    /// function, as API Gateway would deliver it.
    pub async fn send_to_ingest(
        &self,
        method: &str,
        path: &str,
        tenant: Option<&str>,
    ) -> HttpReply {
        let event = HttpEvent {
            method: method.into(),
            path: path.to_owned(),
            claims: tenant.map(|t| HashMap::from([(TENANT_CLAIM.to_owned(), t.to_owned())])),
            stage: STAGE.into(),
            ..HttpEvent::default()
        };
        call(&self.ingest, event).await
    }

    /// PUTs a tenant settings section through the query API (`/api/v1/settings/{section}`), as
    /// API Gateway would deliver it, with `If-Match` when given.
    pub async fn put_settings(
        &self,
        section: &str,
        body: &str,
        if_match: Option<&str>,
        tenant: Option<&str>,
    ) -> HttpReply {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        headers.extend(if_match.map(|v| ("if-match".to_owned(), v.to_owned())));
        let event = HttpEvent {
            method: "PUT".into(),
            path: format!("/api/v1/settings/{section}"),
            headers,
            body: Some(body.to_owned()),
            claims: tenant.map(|t| HashMap::from([(TENANT_CLAIM.to_owned(), t.to_owned())])),
            stage: STAGE.into(),
            ..HttpEvent::default()
        };
        call(&self.api, event).await
    }

    /// GETs a path (with its query string) from the query API as API Gateway would deliver it.
    pub async fn get(&self, path_and_query: &str, tenant: Option<&str>) -> HttpReply {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let event = HttpEvent {
            method: "GET".into(),
            path: path.to_owned(),
            query: query.to_owned(),
            claims: tenant.map(|t| HashMap::from([(TENANT_CLAIM.to_owned(), t.to_owned())])),
            stage: STAGE.into(),
            ..HttpEvent::default()
        };
        call(&self.api, event).await
    }

    /// The local name of a bucket of the template.
    pub fn bucket(&self, logical_id: &str) -> &str {
        &self.provisioned.buckets[logical_id]
    }

    /// Writes an object into the drop-in bucket as a producer would (S3 then tells the drop-in
    /// queue, as it does once deployed), with `metadata` as `x-amz-meta-*`.
    pub async fn drop_object(
        &self,
        key: &str,
        bytes: Vec<u8>,
        metadata: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        self.drop_object_with(&self.clients.s3, key, bytes, metadata)
            .await
    }

    /// The same through `s3`: a producer's own client, outside the functions' (faulty) ones.
    pub async fn drop_object_with(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        bytes: Vec<u8>,
        metadata: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let mut put = s3
            .put_object()
            .bucket(self.bucket("DropInBucket"))
            .key(key)
            .body(bytes.into());
        for (name, value) in metadata {
            put = put.metadata(*name, *value);
        }
        put.send()
            .await
            .with_context(|| format!("putting {key} in the drop-in bucket"))?;
        Ok(())
    }

    pub fn queue_url(&self, logical_id: &str) -> &str {
        &self.provisioned.queues[logical_id].url
    }

    pub fn table(&self, logical_id: &str) -> &str {
        &self.provisioned.tables[logical_id]
    }

    /// The calls table, read as the functions read it.
    pub fn calls_store(&self) -> DynamoCalls {
        DynamoCalls::new(
            self.clients.dynamodb.clone(),
            self.table("CallsTable").to_owned(),
        )
    }

    /// The rollups table, read as the functions read it.
    pub fn rollup_store(&self) -> DynamoRollups {
        DynamoRollups::new(
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
        self.send_with(&self.clients.sqs, queue_logical_id, body, attributes)
            .await
    }

    /// The same through `sqs`: a producer's own client, outside the functions' (faulty) ones.
    pub async fn send_with(
        &self,
        sqs: &aws_sdk_sqs::Client,
        queue_logical_id: &str,
        body: &str,
        attributes: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let mut send = sqs
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

    /// The webhook queue's runner: the webhooks function sets each retry's delay (its backoff)
    /// itself, as on Lambda, so the runner does not.
    pub fn webhook_runner(&self) -> LocalRunner {
        self.runner("WebhooksFunction")
            .leaving_retry_delays_to_the_handler()
    }

    /// The event-source runner for a function's (first) SQS event, as the template wires it.
    pub fn runner(&self, function: &str) -> LocalRunner {
        self.runners(function)
            .into_iter()
            .next()
            .expect("the function has an SQS event source")
    }

    /// A runner per SQS event source of the function (process has two: its queue and the
    /// reanalyse queue).
    pub fn runners(&self, function: &str) -> Vec<LocalRunner> {
        self.provisioned.functions[function]
            .sqs_sources
            .iter()
            .map(|source| {
                let source = EventSource::provisioned(&self.provisioned, source)
                    .expect("the pipeline provisioned every queue of the template");
                LocalRunner::new(self.clients.sqs.clone(), source)
                    .with_retry_delay(RETRY_DELAY)
                    // Short polls: the emulator serves one request at a time, and a long poll
                    // would hold every other test's requests behind it for its whole wait.
                    .with_wait(Duration::ZERO)
            })
            .collect()
    }

    /// Runs recordings and dropin, then intake → process → aggregate, then the erasure pages
    /// (and the CallErased events they send) until every queue is idle, then the table streams
    /// into the cache invalidation.
    pub async fn drain(&self) -> anyhow::Result<BTreeMap<&'static str, PollReport>> {
        let recorded = self
            .runner("RecordingsFunction")
            .run_until_idle(&self.recordings, 1, Duration::from_secs(300))
            .await
            .context("running the recordings event source")?;
        let dropped = self
            .runner("DropInFunction")
            .run_until_idle(&self.dropin, 1, Duration::from_secs(300))
            .await
            .context("running the dropin event source")?;
        let mut reports = self
            .drain_through(&self.intake, &self.process, &self.aggregate)
            .await?;
        loop {
            let erased = self
                .runner("ErasuresFunction")
                .run_until_idle(&self.erasures, 1, Duration::from_secs(300))
                .await
                .context("running the erasures event source")?;
            if erased.received == 0 {
                break;
            }
            add(reports.entry("erasures").or_default(), &erased);
            for (name, report) in self
                .drain_through(&self.intake, &self.process, &self.aggregate)
                .await?
            {
                add(reports.entry(name).or_default(), &report);
            }
        }
        reports.insert("dropin", dropped);
        reports.insert("recordings", recorded);
        self.drain_streams().await?;
        Ok(reports)
    }

    /// Waits until the generation moves the invalidate function coalesced are due: each change
    /// delivered then shows to the next read, as it does at most that long after delivery in
    /// the cloud (tests read after this; the serving loop never waits on it).
    pub async fn settle(&self) {
        if let Some(at) = self.invalidate.as_ref().and_then(|i| i.settled_by()) {
            tokio::time::sleep_until(at.into()).await;
        }
    }

    /// Delivers every stream record written so far to the invalidate function (when there is
    /// a cache) and to the outbound function.
    pub async fn drain_streams(&self) -> anyhow::Result<usize> {
        let mut delivered = self.drain_outbound().await?;
        let Some(invalidate) = &self.invalidate else {
            return Ok(delivered);
        };
        loop {
            let mut read = 0;
            for stream in &self.streams {
                let report = stream.poll_once(invalidate).await?;
                read += report.read;
                delivered += report.delivered;
            }
            if read == 0 {
                return Ok(delivered);
            }
        }
    }

    /// Delivers every calls table stream record written so far to the outbound function.
    pub async fn drain_outbound(&self) -> anyhow::Result<usize> {
        let mut delivered = 0;
        loop {
            let mut read = 0;
            for stream in &self.outbound_streams {
                let report = stream.poll_once(&self.outbound).await?;
                read += report.read;
                delivered += report.delivered;
            }
            if read == 0 {
                return Ok(delivered);
            }
        }
    }

    /// Same as [`drain`](Self::drain) with the given handlers standing in for the functions.
    pub async fn drain_through(
        &self,
        intake: &dyn SqsBatchHandler,
        process: &dyn SqsBatchHandler,
        aggregate: &dyn SqsBatchHandler,
    ) -> anyhow::Result<BTreeMap<&'static str, PollReport>> {
        let stages: [(&'static str, &str, &dyn SqsBatchHandler); 3] = [
            ("intake", "IntakeFunction", intake),
            ("process", "ProcessFunction", process),
            ("aggregate", "AggregateFunction", aggregate),
        ];
        let mut reports = BTreeMap::new();
        // Later stages can feed on retries of earlier ones, so go round until a full pass is idle.
        loop {
            let mut pass_received = 0;
            for (name, function, handler) in stages {
                for runner in self.runners(function) {
                    let report = runner
                        .run_until_idle(handler, 1, Duration::from_secs(300))
                        .await
                        .with_context(|| format!("running the {name} event source"))?;
                    pass_received += report.received;
                    add(reports.entry(name).or_default(), &report);
                }
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

fn add(total: &mut PollReport, report: &PollReport) {
    total.received += report.received;
    total.deleted += report.deleted;
    total.failed += report.failed;
    total.invocations += report.invocations;
}

/// The process function as its composition root builds it.
fn process_function(
    provisioned: &Provisioned,
    clients: &AwsClients,
) -> anyhow::Result<SqsConsumer<ProcessCalls>> {
    Ok(callscope_process::consumer(
        &ProcessConfig::from_lookup(provisioned.env_of("ProcessFunction")?)?,
        clients,
    ))
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
