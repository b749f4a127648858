//! callscope's adapters at the edge: one place that builds AWS clients, the DynamoDB
//! repositories and SQS queues behind the application's ports, the Lambda side of SQS batches,
//! typed configuration from the environment, and telemetry.

pub mod aws;
pub mod backoff;
#[cfg(feature = "cache")]
pub mod cache;
pub mod config;
pub mod dynamo;
#[cfg(feature = "outbound")]
pub mod outbound;
pub mod s3;
pub mod sqs;
pub mod telemetry;
#[cfg(feature = "transcribe")]
pub mod transcribe;
#[cfg(feature = "webhooks")]
pub mod webhooks;
