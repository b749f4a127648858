//! What the telemetry tests share: SQS events as Lambda delivers them, a call document, and a
//! writer that keeps what is written.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{json, Value};

/// An SQS event of `(message id, body, string attributes)` records.
pub fn sqs_event(records: &[(&str, String, &[(&str, &str)])]) -> SqsEvent {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body, attributes)| {
            let attributes: serde_json::Map<String, Value> = attributes
                .iter()
                .map(|(name, value)| {
                    let attribute = json!({"stringValue": value, "dataType": "String"});
                    ((*name).to_owned(), attribute)
                })
                .collect();
            json!({
                "messageId": id, "body": body, "attributes": {},
                "messageAttributes": attributes, "eventSource": "aws:sqs",
            })
        })
        .collect();
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
