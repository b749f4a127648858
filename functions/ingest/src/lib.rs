//! The ingest function: accepts calls over HTTP (API Gateway HTTP API, payload v2) and from the
//! intake queue, validates and redacts them, stores them as RECEIVED and queues them for
//! processing.
//!
//! One deployment serves both event sources (the template wires both to it); [`Ingestor::handle`]
//! tells them apart by shape.

mod admission;
mod http;
mod intake;
mod problem;

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use callscope_cloud::aws::AwsClients;
use callscope_cloud::calls_store::CallsStore;
use callscope_cloud::config::IngestConfig;
use callscope_cloud::queue::QueueSender;
use callscope_cloud::sqs_batch::SqsBatchHandler;
use futures::future::BoxFuture;

pub use admission::{Admission, Admitted};
pub use http::{BULK_LIMIT, BULK_ROUTE, SINGLE_ROUTE};

#[derive(Debug)]
pub struct Ingestor {
    calls: CallsStore,
    queue: QueueSender,
    sqs: aws_sdk_sqs::Client,
    config: IngestConfig,
}

impl Ingestor {
    pub fn new(clients: &AwsClients, config: IngestConfig) -> Self {
        Self {
            calls: CallsStore::new(clients.dynamodb.clone(), config.calls_table.clone()),
            queue: QueueSender::new(clients.sqs.clone()),
            sqs: clients.sqs.clone(),
            config,
        }
    }

    /// Entry point for the Lambda runtime: an SQS batch (`Records`) or an HTTP API request.
    pub async fn handle(
        &self,
        event: serde_json::Value,
    ) -> Result<serde_json::Value, lambda_runtime::Error> {
        if event.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(event)?;
            Ok(serde_json::to_value(self.handle_intake(batch).await)?)
        } else {
            let request: ApiGatewayV2httpRequest = serde_json::from_value(event)?;
            Ok(serde_json::to_value(self.handle_http(request).await)?)
        }
    }
}

impl SqsBatchHandler for Ingestor {
    fn handle(&self, event: SqsEvent) -> BoxFuture<'_, anyhow::Result<SqsBatchResponse>> {
        Box::pin(async move { Ok(self.handle_intake(event).await) })
    }
}
