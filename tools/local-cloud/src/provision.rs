//! Creates the template's queues and tables in the local cloud (moto or LocalStack) under a
//! name prefix, and resolves each function's environment to the created names and URLs.
//!
//! Idempotent: existing queues (same attributes) and tables are reused. Attributes the
//! emulator ignores (SSE, PITR, billing) are deployment concerns and are left to CloudFormation.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, CorsConfiguration, CorsRule, Event, ExpirationStatus, FilterRule,
    FilterRuleName, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use crate::template::{BucketSpec, EnvValue, LocalTemplate, TableSpec};

mod buses;
use callscope_cloud::aws::AwsClients;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Provisioned {
    pub prefix: String,
    pub queues: BTreeMap<String, QueueRef>,
    pub tables: BTreeMap<String, String>,
    /// Stream ARN of each table that has a stream.
    pub streams: BTreeMap<String, String>,
    /// Each bucket's name (lower-case: `{prefix}{logical id}`).
    pub buckets: BTreeMap<String, String>,
    /// Name of each EventBridge bus.
    pub event_buses: BTreeMap<String, String>,
    pub functions: BTreeMap<String, FunctionWiring>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRef {
    pub url: String,
    pub arn: String,
}

impl Provisioned {
    /// A function's resolved environment as a variable lookup (for its typed config).
    /// `LOCAL_DEFAULT_TENANT` is left out: requests without a tenant claim are refused locally
    /// too unless a command turns the default on explicitly.
    pub fn env_of(
        &self,
        function: &str,
    ) -> anyhow::Result<impl Fn(&str) -> Option<String> + use<>> {
        let mut env = self
            .functions
            .get(function)
            .with_context(|| format!("the template has no {function}"))?
            .env
            .clone();
        env.remove("LOCAL_DEFAULT_TENANT");
        // Where the SDK sends the in-process function's calls is this process's say (its
        // AWS_ENDPOINT_URL…), as a function's own environment is on Lambda: the guards that
        // allow local-only settings (loopback webhook endpoints) read the same variables.
        Ok(move |name: &str| {
            env.get(name).cloned().or_else(|| {
                (name.starts_with("AWS_ENDPOINT_URL")
                    || name == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                    .then(|| std::env::var(name).ok())
                    .flatten()
            })
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FunctionWiring {
    /// Its cargo binary: its name under `cargo lambda watch`.
    pub binary: Option<String>,
    /// The function's environment with every `!Ref` resolved.
    pub env: BTreeMap<String, String>,
    pub sqs_sources: Vec<SqsSource>,
    pub stream_sources: Vec<StreamSourceWiring>,
    pub http_routes: Vec<HttpRoute>,
    pub schedules: Vec<Schedule>,
}

/// A timer that invokes the function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub expression: String,
    /// The period of a `rate(…)`; none for a `cron(…)`.
    pub every_seconds: Option<u64>,
}

/// A table stream feeding the function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamSourceWiring {
    pub table_logical_id: String,
    pub stream_arn: String,
    pub batch_size: i32,
    pub max_retry_attempts: i32,
    pub filter_patterns: Vec<serde_json::Value>,
}

/// An HTTP API route the function serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpRoute {
    pub method: String,
    pub path: String,
    pub authorized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqsSource {
    pub queue_logical_id: String,
    pub queue_url: String,
    pub batch_size: i32,
    pub batching_window_seconds: i32,
    pub max_concurrency: Option<i32>,
    pub report_batch_item_failures: bool,
}

pub async fn provision(
    clients: &AwsClients,
    template: &LocalTemplate,
    prefix: &str,
) -> anyhow::Result<Provisioned> {
    let mut provisioned = Provisioned {
        prefix: prefix.to_owned(),
        ..Default::default()
    };
    // Dead-letter queues first, so redrive policies can name their ARNs.
    let mut queues: Vec<_> = template.queues.iter().collect();
    queues.sort_by_key(|q| q.redrive.is_some());
    for queue in queues {
        let mut attributes: BTreeMap<QueueAttributeName, String> = queue
            .attributes
            .iter()
            .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v.clone()))
            .collect();
        if let Some(redrive) = &queue.redrive {
            let dlq = provisioned
                .queues
                .get(&redrive.dead_letter_queue)
                .with_context(|| {
                    format!(
                        "{}: dead-letter queue {} is not a queue",
                        queue.logical_id, redrive.dead_letter_queue
                    )
                })?;
            attributes.insert(
                QueueAttributeName::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": redrive.max_receive_count}).to_string(),
            );
        }
        let name = format!("{prefix}{}", queue.logical_id);
        let created = clients
            .sqs
            .create_queue()
            .queue_name(&name)
            .set_attributes(Some(attributes.into_iter().collect()))
            .send()
            .await
            .with_context(|| format!("creating queue {name}"))?;
        let url = created
            .queue_url
            .with_context(|| format!("queue {name} has no URL"))?;
        let arn = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .with_context(|| format!("reading the ARN of {name}"))?
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .with_context(|| format!("queue {name} has no ARN"))?;
        provisioned
            .queues
            .insert(queue.logical_id.clone(), QueueRef { url, arn });
    }
    for table in &template.tables {
        let name = format!("{prefix}{}", table.logical_id);
        create_table(&clients.dynamodb, table, &name).await?;
        if table.stream_view_type.is_some() {
            let arn = clients
                .dynamodb
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .with_context(|| format!("describing {name}"))?
                .table
                .and_then(|t| t.latest_stream_arn)
                .with_context(|| format!("table {name} has no stream"))?;
            provisioned.streams.insert(table.logical_id.clone(), arn);
        }
        provisioned.tables.insert(table.logical_id.clone(), name);
    }
    for bucket in &template.buckets {
        let name = bucket_name(prefix, &bucket.logical_id);
        create_bucket(clients, bucket, &name, &provisioned).await?;
        provisioned.buckets.insert(bucket.logical_id.clone(), name);
    }
    buses::provision(template, prefix, &mut provisioned).await?;
    for function in &template.functions {
        function.ensure_environment_resolvable()?;
        let mut wiring = FunctionWiring {
            binary: function.binary.clone(),
            schedules: function
                .schedules
                .iter()
                .map(|s| Schedule {
                    expression: s.expression.clone(),
                    every_seconds: s.every.map(|every| every.as_secs()),
                })
                .collect(),
            ..FunctionWiring::default()
        };
        for (var, value) in &function.environment {
            let resolved = match value {
                EnvValue::Literal(v) => v.clone(),
                EnvValue::Ref(target) => resolve(template, &provisioned, target)
                    .with_context(|| format!("{}: {var} = !Ref {target}", function.logical_id))?,
            };
            wiring.env.insert(var.clone(), resolved);
        }
        for event in &function.sqs_events {
            let queue = provisioned.queues.get(&event.queue).with_context(|| {
                format!("{}: unknown queue {}", function.logical_id, event.queue)
            })?;
            wiring.sqs_sources.push(SqsSource {
                queue_logical_id: event.queue.clone(),
                queue_url: queue.url.clone(),
                batch_size: event.batch_size,
                batching_window_seconds: event.batching_window_seconds,
                max_concurrency: event.max_concurrency,
                report_batch_item_failures: event.report_batch_item_failures,
            });
        }
        for event in &function.stream_events {
            let stream_arn = provisioned.streams.get(&event.table).with_context(|| {
                format!(
                    "{}: table {} has no stream",
                    function.logical_id, event.table
                )
            })?;
            wiring.stream_sources.push(StreamSourceWiring {
                table_logical_id: event.table.clone(),
                stream_arn: stream_arn.clone(),
                batch_size: event.batch_size,
                max_retry_attempts: event.max_retry_attempts.unwrap_or(3),
                filter_patterns: event.filter_patterns.clone(),
            });
        }
        wiring.http_routes = function
            .http_events
            .iter()
            .map(|e| HttpRoute {
                method: e.method.clone(),
                path: e.path.clone(),
                authorized: e.authorized,
            })
            .collect();
        provisioned
            .functions
            .insert(function.logical_id.clone(), wiring);
    }
    Ok(provisioned)
}

/// A bucket's local name: S3 names are lower-case, 3–63 characters.
pub fn bucket_name(prefix: &str, logical_id: &str) -> String {
    let name: String = format!("{prefix}{logical_id}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.chars().take(63).collect()
}

/// Creates the bucket (idempotent) with the template's queue notifications and expirations.
async fn create_bucket(
    clients: &AwsClients,
    bucket: &BucketSpec,
    name: &str,
    provisioned: &Provisioned,
) -> anyhow::Result<()> {
    match clients.s3.create_bucket().bucket(name).send().await {
        Ok(_) => {}
        Err(error)
            if error.as_service_error().is_some_and(|e| {
                e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
            }) => {}
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!("creating bucket {name}")))
        }
    }
    let mut configurations = Vec::new();
    for (i, notification) in bucket.notifications.iter().enumerate() {
        let queue = provisioned
            .queues
            .get(&notification.queue)
            .with_context(|| {
                format!(
                    "{}: notification to unknown queue {}",
                    bucket.logical_id, notification.queue
                )
            })?;
        let mut rules = Vec::new();
        for (rule, value) in [
            ("prefix", &notification.prefix),
            ("suffix", &notification.suffix),
        ] {
            if let Some(value) = value {
                rules.push(
                    FilterRule::builder()
                        .name(FilterRuleName::from(rule))
                        .value(value)
                        .build(),
                );
            }
        }
        let mut configuration = QueueConfiguration::builder()
            .id(format!("{}-{i}", bucket.logical_id))
            .queue_arn(&queue.arn)
            .events(Event::from(notification.event.as_str()));
        if !rules.is_empty() {
            configuration = configuration.filter(
                NotificationConfigurationFilter::builder()
                    .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                    .build(),
            );
        }
        configurations.push(
            configuration
                .build()
                .context("building a queue notification")?,
        );
    }
    if !configurations.is_empty() {
        clients
            .s3
            .put_bucket_notification_configuration()
            .bucket(name)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .set_queue_configurations(Some(configurations))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("configuring notifications of {name}"))?;
    }
    if !bucket.expirations.is_empty() {
        let rules = bucket
            .expirations
            .iter()
            .enumerate()
            .map(|(i, (prefix, days))| {
                LifecycleRule::builder()
                    .id(format!("expire-{i}"))
                    .status(ExpirationStatus::Enabled)
                    .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
                    .expiration(LifecycleExpiration::builder().days(*days).build())
                    .build()
                    .context("building a lifecycle rule")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        clients
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .context("building the lifecycle configuration")?,
            )
            .send()
            .await
            .with_context(|| format!("configuring the lifecycle of {name}"))?;
    }
    if !bucket.cors.is_empty() {
        let rules = bucket
            .cors
            .iter()
            .map(|rule| {
                CorsRule::builder()
                    .set_allowed_methods(Some(rule.methods.clone()))
                    .set_allowed_origins(Some(rule.origins.clone()))
                    .set_allowed_headers(Some(rule.headers.clone()))
                    .set_max_age_seconds(rule.max_age_seconds)
                    .build()
                    .context("building a CORS rule")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        clients
            .s3
            .put_bucket_cors()
            .bucket(name)
            .cors_configuration(
                CorsConfiguration::builder()
                    .set_cors_rules(Some(rules))
                    .build()
                    .context("building the CORS configuration")?,
            )
            .send()
            .await
            .with_context(|| format!("configuring CORS of {name}"))?;
    }
    Ok(())
}

/// What `!Ref X` evaluates to: a table's name, a queue's URL, a bucket's or a bus's name, or a
/// parameter's value.
fn resolve(
    template: &LocalTemplate,
    provisioned: &Provisioned,
    target: &str,
) -> anyhow::Result<String> {
    if let Some(table) = provisioned.tables.get(target) {
        return Ok(table.clone());
    }
    if let Some(queue) = provisioned.queues.get(target) {
        return Ok(queue.url.clone());
    }
    if let Some(name) = provisioned
        .buckets
        .get(target)
        .or_else(|| provisioned.event_buses.get(target))
    {
        return Ok(name.clone());
    }
    match template.parameters.get(target) {
        Some(value) => Ok(value.clone()),
        None => bail!("{target} is neither a created resource nor a parameter"),
    }
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &TableSpec,
    name: &str,
) -> anyhow::Result<()> {
    let keys = |schema: &[(String, String)]| -> anyhow::Result<Vec<KeySchemaElement>> {
        schema
            .iter()
            .map(|(attribute, kind)| {
                KeySchemaElement::builder()
                    .attribute_name(attribute)
                    .key_type(KeyType::from(kind.as_str()))
                    .build()
                    .context("building a key")
            })
            .collect()
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(&table.key_schema)?));
    if let Some(view_type) = &table.stream_view_type {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view_type.as_str()))
                .build()
                .context("building the stream specification")?,
        );
    }
    for (attribute, kind) in &table.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .context("building an attribute definition")?,
        );
    }
    for index in &table.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(keys(&index.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .set_non_key_attributes(
                            (!index.non_key_attributes.is_empty())
                                .then(|| index.non_key_attributes.clone()),
                        )
                        .build(),
                )
                .build()
                .context("building an index")?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(())
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!("creating table {name}")))
        }
    }
    if let Some(attribute) = &table.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .context("building TTL")?,
            )
            .send()
            .await
            .with_context(|| format!("enabling TTL on {name}"))?;
    }
    Ok(())
}

/// Deletes what [`provision`] created (tests use unique prefixes and clean up after themselves).
pub async fn teardown(clients: &AwsClients, provisioned: &Provisioned) -> anyhow::Result<()> {
    for bucket in provisioned.buckets.values() {
        empty_and_delete_bucket(clients, bucket).await?;
    }
    buses::teardown(provisioned).await?;
    for queue in provisioned.queues.values() {
        clients
            .sqs
            .delete_queue()
            .queue_url(&queue.url)
            .send()
            .await
            .with_context(|| format!("deleting {}", queue.url))?;
    }
    for table in provisioned.tables.values() {
        clients
            .dynamodb
            .delete_table()
            .table_name(table)
            .send()
            .await
            .with_context(|| format!("deleting {table}"))?;
    }
    Ok(())
}

async fn empty_and_delete_bucket(clients: &AwsClients, bucket: &str) -> anyhow::Result<()> {
    loop {
        let listed = clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .with_context(|| format!("listing {bucket}"))?;
        let keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        if keys.is_empty() {
            break;
        }
        for key in keys {
            clients
                .s3
                .delete_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .with_context(|| format!("deleting s3://{bucket}/{key}"))?;
        }
    }
    clients
        .s3
        .delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .with_context(|| format!("deleting bucket {bucket}"))?;
    Ok(())
}
