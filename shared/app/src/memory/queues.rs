//! Queues in memory: a publisher that keeps what it sent, a dead-letter queue that keeps what
//! was parked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock;
use crate::ports::{DeadLetter, OutgoingMessage, Publisher, QueueError, Received, SendReport};

#[derive(Debug, Default)]
pub struct MemoryPublisher {
    sent: Mutex<Vec<OutgoingMessage>>,
    unavailable: AtomicBool,
    /// Messages whose body contains this are refused, as a partial batch failure would.
    refuse_containing: Mutex<Option<String>>,
}

impl MemoryPublisher {
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    pub fn refuse_bodies_containing(&self, needle: Option<&str>) {
        *lock(&self.refuse_containing) = needle.map(str::to_owned);
    }

    pub fn sent(&self) -> Vec<OutgoingMessage> {
        lock(&self.sent).clone()
    }

    /// The bodies sent so far, read as `T`.
    pub fn sent_as<T: serde::de::DeserializeOwned>(&self) -> Vec<T> {
        self.sent()
            .iter()
            .filter_map(|m| serde_json::from_str(&m.body).ok())
            .collect()
    }
}

#[async_trait]
impl Publisher for MemoryPublisher {
    async fn publish(&self, messages: Vec<OutgoingMessage>) -> SendReport {
        let mut report = SendReport::default();
        let refuse = lock(&self.refuse_containing).clone();
        let mut sent = lock(&self.sent);
        for message in messages {
            if self.unavailable.load(Ordering::SeqCst) {
                report
                    .failed
                    .push((message.id, "the in-memory queue is switched off".into()));
            } else if refuse.as_deref().is_some_and(|n| message.body.contains(n)) {
                report
                    .failed
                    .push((message.id, "refused by the in-memory queue".into()));
            } else {
                sent.push(message);
            }
        }
        report
    }
}

#[derive(Debug, Default)]
pub struct MemoryDeadLetter {
    parked: Mutex<Vec<(Received, String)>>,
    unavailable: AtomicBool,
}

impl MemoryDeadLetter {
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Parked messages with their reasons, in the order parked.
    pub fn parked(&self) -> Vec<(Received, String)> {
        lock(&self.parked).clone()
    }
}

#[async_trait]
impl DeadLetter for MemoryDeadLetter {
    async fn park(&self, message: &Received, reason: &str) -> Result<(), QueueError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(QueueError {
                operation: "parking a message".into(),
                detail: "the in-memory DLQ is switched off".into(),
            });
        }
        lock(&self.parked).push((message.clone(), reason.to_owned()));
        Ok(())
    }
}
