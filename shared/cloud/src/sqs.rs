//! The SQS adapters: a publisher per destination queue, the dead-letter queue (parking, peek,
//! redrive) and the Lambda side of an SQS batch (the event in, the partial batch response out).

mod dead_letter;
mod lambda;
mod publisher;

pub use dead_letter::{peek, redrive, redrive_where, ParkedMessage, RedriveReport, SqsDeadLetter};
pub use lambda::{batch_response, failed_ids, received_from, run, SqsBatchHandler, SqsConsumer};
pub use publisher::SqsPublisher;

use aws_sdk_sqs::error::DisplayErrorContext;
use callscope_app::ports::QueueError;

fn queue_error(operation: impl Into<String>, error: impl std::error::Error) -> QueueError {
    QueueError {
        operation: operation.into(),
        detail: DisplayErrorContext(error).to_string(),
    }
}
