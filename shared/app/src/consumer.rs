//! The one queue consumer: reads each received message into the use case's message type, parks
//! what can never succeed with its reason, runs the use case on the rest and returns exactly the
//! ids of the messages to retry — the contract of Lambda's `ReportBatchItemFailures`.

use async_trait::async_trait;
use callscope_core::domain::CallId;
use callscope_core::InputError;
use futures::future::join_all;
use serde::de::DeserializeOwned;

use crate::ports::{DeadLetter, Received, CORRELATION_ID_ATTRIBUTE};
use crate::{telemetry, Deadline};

/// What became of one readable message.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// Done (or already done before): delete it.
    Done,
    /// Failed for now: redeliver it (SQS moves it to the DLQ after `maxReceiveCount`, unless
    /// the use case parks it itself on its last receives: [`Consume::park_from_receive`]).
    Retry,
    /// Can never succeed: park it in the DLQ with the reason now.
    Park(Refusal),
}

/// Why a message is refused for good.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Unreadable(#[from] UnreadableMessage),
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("call_id: {0} already exists with different content")]
    Conflict(CallId),
    /// A dropped object that cannot become a call (unreadable, invalid, a conflict), with why.
    #[error("object {uri}: {reason}")]
    Object { uri: String, reason: String },
    /// The sender may not send this message (intake producers are bound to their tenant).
    #[error("{0}")]
    Producer(String),
    /// An event so old its call's idempotency marker may have expired: applying it could
    /// count the call twice.
    #[error("the event of call {call_id} was analysed at {analysed_at}, longer ago than its idempotency marker is kept; apply it by hand if it is missing")]
    TooOld {
        call_id: CallId,
        analysed_at: callscope_core::domain::Timestamp,
    },
    /// The call was marked FAILED: it could not be processed.
    #[error("call {call_id} marked FAILED: {reason}")]
    Failed { call_id: CallId, reason: String },
    /// Failed for now on every receive so far; parked (as the use case parks it) before SQS
    /// would move it to the DLQ as received.
    #[error("still failing on receive {receives} (the store or queue was unavailable each time); parked before the queue's maxReceiveCount would move it: redrive it once the cause is fixed")]
    Exhausted { receives: u32 },
    /// A webhook that was not delivered: its last attempt's answer, or why it cannot be sent.
    #[error("webhook not delivered: {0}")]
    Webhook(String),
}

impl Refusal {
    /// The refusal as logs may carry it: the rule (and field) it broke, never the input it
    /// quotes. The whole reason goes with the parked message only.
    pub fn summary(&self) -> String {
        match self {
            Refusal::Unreadable(UnreadableMessage::NoBody) => "unreadable: no body".into(),
            Refusal::Unreadable(UnreadableMessage::NotJson { expected, .. }) => {
                format!("unreadable: body is not {expected}")
            }
            Refusal::Unreadable(UnreadableMessage::MissingAttribute(name)) => {
                format!("unreadable: attribute {name} missing")
            }
            Refusal::Invalid(error) => format!("invalid {:?}: {}", error.kind, error.field),
            Refusal::Conflict(_) => "conflict: the call_id exists with other content".into(),
            Refusal::Object { .. } => "object: unreadable, invalid or conflicting".into(),
            Refusal::Producer(_) => "producer: the sender may not send for this tenant".into(),
            Refusal::TooOld { .. } => "too old: its idempotency marker may have expired".into(),
            Refusal::Failed { .. } => "failed: the call was marked FAILED".into(),
            Refusal::Exhausted { receives } => format!("exhausted: failing on receive {receives}"),
            Refusal::Webhook(_) => "webhook: not delivered".into(),
        }
    }
}

/// Why a message could not be read into its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreadableMessage {
    #[error("message has no body")]
    NoBody,
    #[error("body is not {expected}: {detail}")]
    NotJson {
        expected: &'static str,
        detail: String,
    },
    #[error("message attribute `{0}` is required")]
    MissingAttribute(&'static str),
}

/// A use case fed by a queue.
#[async_trait]
pub trait Consume: Send + Sync {
    type Message: Send + Sync;

    /// The queue it consumes, as its parked messages are counted (`MessagesParked`, `queue`).
    const QUEUE: &'static str;

    /// Reads one message; an error parks it with the refusal as its reason.
    fn read(&self, message: &Received) -> Result<Self::Message, Refusal>;

    /// The message as it is parked: by default as received. A use case whose messages carry
    /// personal data parks a redacted copy, so DLQs never hold it.
    fn parked_copy(&self, message: &Received) -> Received {
        message.clone()
    }

    /// From which receive a message that still fails is parked (with [`parked_copy`]) instead
    /// of retried: `None` leaves it to SQS, which moves the message as received after
    /// `maxReceiveCount`. A use case whose DLQ must never hold the raw body sets it below
    /// `maxReceiveCount`, so a failed parking still has a receive left to try again.
    ///
    /// [`parked_copy`]: Consume::parked_copy
    fn park_from_receive(&self) -> Option<u32> {
        None
    }

    /// Handles the readable messages of a batch: one disposition per message, in order.
    /// Work that could not finish before `deadline` is not started: it is a `Retry`.
    async fn handle(&self, batch: &[Self::Message], deadline: Deadline) -> Vec<Disposition>;
}

/// Reads a JSON body into `T`.
pub fn read_json<T: DeserializeOwned>(
    message: &Received,
    expected: &'static str,
) -> Result<T, Refusal> {
    let body = message.body.as_deref().ok_or(UnreadableMessage::NoBody)?;
    serde_json::from_str(body).map_err(|e| {
        UnreadableMessage::NotJson {
            expected,
            detail: e.to_string(),
        }
        .into()
    })
}

/// Runs `consumer` on a batch; returns the ids of the messages to retry (those that failed for
/// now, and those whose parking failed too).
pub async fn consume<C: Consume>(
    consumer: &C,
    dead_letter: &dyn DeadLetter,
    messages: &[Received],
    deadline: Deadline,
) -> Vec<String> {
    let mut readable = Vec::with_capacity(messages.len());
    let mut readable_messages = Vec::with_capacity(messages.len());
    let mut to_park: Vec<(&Received, Refusal)> = Vec::new();
    for message in messages {
        match consumer.read(message) {
            Ok(read) => {
                readable.push(read);
                readable_messages.push(message);
            }
            Err(refusal) => to_park.push((message, refusal)),
        }
    }
    let mut failed = Vec::new();
    if !readable.is_empty() {
        let dispositions = consumer.handle(&readable, deadline).await;
        for (index, message) in readable_messages.iter().enumerate() {
            // A use case that answers for fewer messages than it got has a bug; retrying the
            // rest is the safe reading.
            match dispositions
                .get(index)
                .cloned()
                .unwrap_or(Disposition::Retry)
            {
                Disposition::Done => {}
                Disposition::Retry => match (consumer.park_from_receive(), message.receive_count) {
                    (Some(from), Some(receives)) if receives >= from => {
                        to_park.push((message, Refusal::Exhausted { receives }));
                    }
                    _ => failed.push(message.id.clone()),
                },
                Disposition::Park(refusal) => to_park.push((message, refusal)),
            }
        }
    }
    let parked = join_all(to_park.iter().map(|(message, refusal)| async move {
        let reason = refusal.to_string();
        let correlation_id = message
            .attribute(CORRELATION_ID_ATTRIBUTE)
            .unwrap_or("unknown");
        // The reason may quote the input (a field's value, an id); logs get its rule only.
        tracing::error!(
            message_id = %message.id,
            correlation_id,
            queue = C::QUEUE,
            refusal = refusal.summary(),
            "message refused; parking it in the DLQ"
        );
        match dead_letter
            .park(&consumer.parked_copy(message), &reason)
            .await
        {
            Ok(()) => {
                telemetry::message_parked(C::QUEUE);
                None
            }
            Err(error) => {
                tracing::warn!(message_id = %message.id, correlation_id, reason = %error, "parking failed; will retry");
                Some(message.id.clone())
            }
        }
    }))
    .await;
    failed.extend(parked.into_iter().flatten());
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryDeadLetter;

    /// Reads bodies as numbers; parks odd ones, retries multiples of 4, finishes the rest.
    struct Numbers;

    #[async_trait]
    impl Consume for Numbers {
        type Message = u32;

        const QUEUE: &'static str = "numbers";

        fn read(&self, message: &Received) -> Result<u32, Refusal> {
            read_json(message, "a number")
        }

        async fn handle(&self, batch: &[u32], _: Deadline) -> Vec<Disposition> {
            batch
                .iter()
                .map(|n| match n {
                    n if n % 2 == 1 => {
                        Disposition::Park(InputError::invalid("n", "must be even").into())
                    }
                    n if n % 4 == 0 => Disposition::Retry,
                    _ => Disposition::Done,
                })
                .collect()
        }
    }

    fn message(id: &str, body: &str) -> Received {
        Received {
            id: id.into(),
            body: Some(body.into()),
            ..Received::default()
        }
    }

    #[tokio::test]
    async fn exactly_the_retried_ids_are_returned_and_refused_messages_are_parked_with_reasons() {
        let dlq = MemoryDeadLetter::default();
        let batch = [
            message("a", "2"),
            message("b", "not json"),
            message("c", "3"),
            message("d", "4"),
        ];
        let failed = consume(&Numbers, &dlq, &batch, Deadline::NONE).await;
        assert_eq!(failed, ["d"]);
        let parked = dlq.parked();
        assert_eq!(parked.len(), 2);
        assert_eq!(parked[0].0.id, "b");
        assert!(
            parked[0].1.starts_with("body is not a number"),
            "{parked:?}"
        );
        assert_eq!(parked[1], (batch[2].clone(), "n: must be even".to_owned()));
    }

    /// [`Numbers`] that parks what still fails from its third receive.
    struct Patient;

    #[async_trait]
    impl Consume for Patient {
        type Message = u32;

        const QUEUE: &'static str = "patient";

        fn read(&self, message: &Received) -> Result<u32, Refusal> {
            Numbers.read(message)
        }

        fn park_from_receive(&self) -> Option<u32> {
            Some(3)
        }

        async fn handle(&self, batch: &[u32], deadline: Deadline) -> Vec<Disposition> {
            Numbers.handle(batch, deadline).await
        }
    }

    #[tokio::test]
    async fn a_message_still_failing_on_its_parking_receive_is_parked_not_retried() {
        let dlq = MemoryDeadLetter::default();
        let on = |receives: Option<u32>| Received {
            receive_count: receives,
            ..message("d", "4")
        };
        for early in [None, Some(1), Some(2)] {
            let failed = consume(&Patient, &dlq, &[on(early)], Deadline::NONE).await;
            assert_eq!(failed, ["d"], "receive {early:?} is retried");
        }
        assert!(dlq.parked().is_empty());
        let failed = consume(&Patient, &dlq, &[on(Some(3))], Deadline::NONE).await;
        assert!(failed.is_empty());
        assert_eq!(
            dlq.parked()[0].1,
            Refusal::Exhausted { receives: 3 }.to_string()
        );
        let failed = consume(&Numbers, &dlq, &[on(Some(9))], Deadline::NONE).await;
        assert_eq!(failed, ["d"], "without a parking receive SQS decides");
    }

    #[tokio::test]
    async fn a_message_whose_parking_fails_is_retried_instead() {
        let dlq = MemoryDeadLetter::default();
        dlq.set_unavailable(true);
        let failed = consume(
            &Numbers,
            &dlq,
            &[message("a", "x"), message("b", "2")],
            Deadline::NONE,
        )
        .await;
        assert_eq!(failed, ["a"]);
        assert!(dlq.parked().is_empty());
    }
}
