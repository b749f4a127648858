//! Which queues and tables an operator command looks at: the local cloud's (the template's
//! resources under a name prefix, as `callscope local provision` created them) or a deployed
//! stack's (its resources' physical ids from CloudFormation; the stack's Outputs leave out the
//! DLQs, so the resource list is the one source).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use aws_config::SdkConfig;
use callscope_local::template::LocalTemplate;

/// Where to look (shared by `status`, `calls` and `dlq redrive`).
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// A deployed stack: its queues and tables are read from CloudFormation.
    #[arg(long)]
    pub stack: Option<String>,
    /// The local cloud's template (without --stack).
    #[arg(long, default_value = crate::local::TEMPLATE)]
    pub template: PathBuf,
    /// The local cloud's name prefix (without --stack).
    #[arg(long, default_value = crate::local::PREFIX)]
    pub prefix: String,
    /// The AWS profile to use (an SSO or credential_process profile works); else AWS_PROFILE.
    #[arg(long)]
    pub profile: Option<String>,
}

/// A queue by its template name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedQueue {
    pub logical_id: String,
    pub url: String,
}

/// The resolved resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What was resolved, for the report's heading.
    pub label: String,
    pub queues: Vec<NamedQueue>,
    pub calls_table: String,
    pub analytics_table: String,
    /// The sweeper's threshold (`StaleAfterSeconds`), when the stack or template says it.
    pub stale_after_seconds: Option<i64>,
    /// The drop-in bucket, whose objects an erasure deletes with their calls.
    pub dropin_bucket: Option<String>,
    /// The Parquet export's bucket (`export compact`).
    pub export_bucket: Option<String>,
}

impl Target {
    pub fn queue_url(&self, logical_id: &str) -> Option<&str> {
        self.queues
            .iter()
            .find(|q| q.logical_id == logical_id)
            .map(|q| q.url.as_str())
    }
}

pub async fn resolve(args: &TargetArgs, sdk: &SdkConfig) -> anyhow::Result<Target> {
    match &args.stack {
        Some(stack) => resolve_stack(stack, sdk).await,
        None => resolve_local(args, sdk).await,
    }
}

async fn resolve_local(args: &TargetArgs, sdk: &SdkConfig) -> anyhow::Result<Target> {
    // Conditions as `local serve` evaluates them: with a cache when REDIS_URL is set (the
    // invalidator's failure queue exists only then).
    let template = LocalTemplate::load_local(&args.template, &args.prefix, [])?;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut queues = Vec::new();
    for queue in &template.queues {
        let name = format!("{}{}", args.prefix, queue.logical_id);
        match sqs.get_queue_url().queue_name(&name).send().await {
            Ok(found) => queues.push(NamedQueue {
                logical_id: queue.logical_id.clone(),
                url: found
                    .queue_url
                    .with_context(|| format!("{name} has no URL"))?,
            }),
            // A queue behind a condition the provisioning evaluated otherwise.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_queue_does_not_exist()) => {}
            Err(error) => {
                return Err(error).with_context(|| format!("finding queue {name}"));
            }
        }
    }
    if queues.is_empty() {
        bail!(
            "no queue named {}… exists at AWS_ENDPOINT_URL: provision the local cloud (make local-up) or pass --prefix / --stack",
            args.prefix
        );
    }
    let table = |logical_id: &str| -> anyhow::Result<String> {
        template
            .tables
            .iter()
            .find(|t| t.logical_id == logical_id)
            .map(|t| format!("{}{}", args.prefix, t.logical_id))
            .with_context(|| format!("{} has no {logical_id}", args.template.display()))
    };
    Ok(Target {
        label: format!("local cloud, prefix {}", args.prefix),
        queues,
        calls_table: table("CallsTable")?,
        analytics_table: table("AnalyticsTable")?,
        stale_after_seconds: template
            .parameters
            .get("StaleAfterSeconds")
            .and_then(|s| s.parse().ok()),
        dropin_bucket: template
            .buckets
            .iter()
            .any(|b| b.logical_id == "DropInBucket")
            .then(|| callscope_local::provision::bucket_name(&args.prefix, "DropInBucket")),
        export_bucket: template
            .buckets
            .iter()
            .any(|b| b.logical_id == "ExportBucket")
            .then(|| callscope_local::provision::bucket_name(&args.prefix, "ExportBucket")),
    })
}

async fn resolve_stack(stack: &str, sdk: &SdkConfig) -> anyhow::Result<Target> {
    let cloudformation = aws_sdk_cloudformation::Client::new(sdk);
    let described = cloudformation
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .with_context(|| format!("describing stack {stack}"))?;
    let parameters: BTreeMap<String, String> = described
        .stacks()
        .first()
        .with_context(|| format!("no stack {stack}"))?
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value()?.to_owned(),
            ))
        })
        .collect();
    let mut resources = Vec::new();
    let mut pages = cloudformation
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("listing the resources of stack {stack}"))?;
        for r in page.stack_resource_summaries() {
            if let Some(physical) = r.physical_resource_id() {
                resources.push(StackResource {
                    logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                    resource_type: r.resource_type().unwrap_or_default().to_owned(),
                    physical_id: physical.to_owned(),
                });
            }
        }
    }
    from_stack(stack, &resources, &parameters)
}

/// One resource of a stack, as CloudFormation lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
}

/// The target from a stack's resources: a queue's physical id is its URL, a table's its name.
pub fn from_stack(
    stack: &str,
    resources: &[StackResource],
    parameters: &BTreeMap<String, String>,
) -> anyhow::Result<Target> {
    let queues: Vec<NamedQueue> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::SQS::Queue")
        .map(|r| NamedQueue {
            logical_id: r.logical_id.clone(),
            url: r.physical_id.clone(),
        })
        .collect();
    let table = |logical_id: &str| {
        resources
            .iter()
            .find(|r| r.resource_type == "AWS::DynamoDB::Table" && r.logical_id == logical_id)
            .map(|r| r.physical_id.clone())
            .with_context(|| {
                format!("stack {stack} has no table {logical_id}: is it a callscope stack?")
            })
    };
    Ok(Target {
        label: format!("stack {stack}"),
        queues,
        calls_table: table("CallsTable")?,
        analytics_table: table("AnalyticsTable")?,
        stale_after_seconds: parameters
            .get("StaleAfterSeconds")
            .and_then(|s| s.parse().ok()),
        dropin_bucket: resources
            .iter()
            .find(|r| r.resource_type == "AWS::S3::Bucket" && r.logical_id == "DropInBucket")
            .map(|r| r.physical_id.clone()),
        export_bucket: resources
            .iter()
            .find(|r| r.resource_type == "AWS::S3::Bucket" && r.logical_id == "ExportBucket")
            .map(|r| r.physical_id.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical_id: &str, resource_type: &str, physical_id: &str) -> StackResource {
        StackResource {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            physical_id: physical_id.into(),
        }
    }

    #[test]
    fn a_stack_maps_its_queues_and_tables_by_logical_id() {
        let resources = [
            resource("CallsTable", "AWS::DynamoDB::Table", "prod-CallsTable-1A"),
            resource(
                "AnalyticsTable",
                "AWS::DynamoDB::Table",
                "prod-AnalyticsTable-2B",
            ),
            resource(
                "ProcessDeadLetterQueue",
                "AWS::SQS::Queue",
                "https://sqs/1/prod-dlq",
            ),
            resource("ProcessFunction", "AWS::Lambda::Function", "prod-Process"),
            resource("DropInBucket", "AWS::S3::Bucket", "callscope-dropin-1-abc"),
        ];
        let parameters = BTreeMap::from([("StaleAfterSeconds".to_owned(), "600".to_owned())]);
        let target = from_stack("prod", &resources, &parameters).expect("a callscope stack");
        assert_eq!(target.calls_table, "prod-CallsTable-1A");
        assert_eq!(target.analytics_table, "prod-AnalyticsTable-2B");
        assert_eq!(
            target.queue_url("ProcessDeadLetterQueue"),
            Some("https://sqs/1/prod-dlq")
        );
        assert_eq!(target.queues.len(), 1, "only queues are queues");
        assert_eq!(target.stale_after_seconds, Some(600));
        assert_eq!(
            target.dropin_bucket.as_deref(),
            Some("callscope-dropin-1-abc")
        );
    }

    #[test]
    fn a_stack_without_the_calls_table_is_refused_by_name() {
        let error = from_stack("other", &[], &BTreeMap::new()).expect_err("not callscope");
        assert!(error.to_string().contains("no table CallsTable"), "{error}");
    }
}
