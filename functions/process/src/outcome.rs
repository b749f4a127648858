//! What became of one process-queue message, and reading its body.

use aws_lambda_events::event::sqs::SqsMessage;
use callscope_core::pipeline::{CallAnalysed, ProcessCall};

#[derive(Debug)]
pub enum MessageOutcome {
    /// Analysed and stored; its event is still to be sent.
    Analysed(Box<CallAnalysed>),
    /// Could never succeed; moved to the DLQ with its reason.
    Parked,
    /// Failed for now; SQS redelivers it (and moves it to the DLQ after maxReceiveCount).
    Retry,
}

/// The message's body as a [`ProcessCall`], or why it is not one.
pub fn read_request(message: &SqsMessage) -> Result<ProcessCall, String> {
    let body = message.body.as_deref().ok_or("message has no body")?;
    serde_json::from_str(body).map_err(|e| format!("body is not a process request: {e}"))
}
