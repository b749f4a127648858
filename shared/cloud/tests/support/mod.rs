//! What the telemetry tests share: SQS events as Lambda delivers them, a call document, and a
//! writer that keeps what is written.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{json, Value};

/// String message attributes, by name.
pub type Attributes<'a> = &'a [(&'a str, &'a str)];
/// One SQS record: message id, body, attributes.
pub type Record<'a> = (&'a str, String, Attributes<'a>);

/// An SQS event of `records`, as Lambda delivers it.
pub fn sqs_event(records: &[Record<'_>]) -> SqsEvent {
    event_of(
        records
            .iter()
            .map(|(id, body, attributes)| record(id, body, attributes.iter().copied())),
    )
}

/// The messages `sent` to a queue, as the SQS event its consumer receives.
pub fn delivered(sent: &[callscope_app::ports::OutgoingMessage]) -> SqsEvent {
    event_of(sent.iter().enumerate().map(|(index, message)| {
        let tenant = message.tenant.to_string();
        let correlation_id = message.correlation_id.to_string();
        let attributes = [
            ("tenant", tenant.as_str()),
            ("correlation_id", correlation_id.as_str()),
        ];
        record(&format!("d-{index}"), &message.body, attributes.into_iter())
    }))
}

fn record<'a>(id: &str, body: &str, attributes: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let attributes: serde_json::Map<String, Value> = attributes
        .map(|(name, value)| {
            (
                name.to_owned(),
                json!({"stringValue": value, "dataType": "String"}),
            )
        })
        .collect();
    json!({
        "messageId": id, "body": body, "attributes": {},
        "messageAttributes": attributes, "eventSource": "aws:sqs",
    })
}

fn event_of(records: impl Iterator<Item = Value>) -> SqsEvent {
    let records: Vec<Value> = records.collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
}

/// A short plain-text call of agent `ana`.
pub fn document(call_id: &str) -> String {
    json!({
        "call_id": call_id, "agent_id": "ana", "customer_id": "cust-1", "team_id": "east",
        "start_time": "2026-11-02T09:00:00Z", "duration_seconds": 20,
        "transcript": "Agent: Hello, what brings you here today?\nCustomer: The price, mostly."
    })
    .to_string()
}

/// A writer whose bytes can be read back, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// The JSON lines written since the last call, consumed.
    pub fn take_lines(&self) -> Vec<Value> {
        let bytes = std::mem::take(&mut *self.0.lock().expect("capture lock"));
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The keys of one JSON log line, in order, so a line that names a key twice (an event field
/// repeating a span's) is caught; `serde_json::Value` would keep one silently.
pub fn keys_of(line: &str) -> Vec<String> {
    struct Keys;
    impl<'de> serde::de::Visitor<'de> for Keys {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                keys.push(key);
            }
            Ok(keys)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(line);
    serde::Deserializer::deserialize_map(&mut deserializer, Keys)
        .unwrap_or_else(|e| panic!("{e}: {line}"))
}

impl Capture {
    /// The lines written since the last call, as text, consumed.
    pub fn take_text(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().expect("capture lock"));
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}
