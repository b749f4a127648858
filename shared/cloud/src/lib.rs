//! callscope's adapters at the edge: one place that builds AWS clients, the DynamoDB stores, the
//! SQS sender, typed configuration from the environment, telemetry, and local provisioning of
//! the resources described in infra/template.yaml.

pub mod aws;
pub mod calls_store;
pub mod config;
pub mod dead_letter;
pub mod provision;
pub mod queue;
pub mod rollup_store;
pub mod sqs_batch;
pub mod telemetry;
pub mod template;
