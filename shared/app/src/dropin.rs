//! The drop-in queue: S3 tells it of each object written under `{tenant}/` in the drop-in
//! bucket (or under a configured prefix of another bucket, Amazon Connect's); each object is
//! read, its document parsed by the same formats as HTTP and the intake queue, its missing
//! metadata taken from S3 object metadata, a sidecar `NAME.meta.json` and the tenant's file-name
//! pattern (in that order), and its call admitted.
//!
//! Nothing is skipped silently: a sidecar is acknowledged (it is read with its document), the
//! S3 test event too; everything else that cannot become a call is parked with its reason.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::domain::{CorrelationId, TenantId};
use callscope_core::objects::{
    self, call_of_object, from_object_metadata, from_sidecar, Metadata, NamePatterns,
    ObjectCreated, ObjectEvent, ObjectKind, SourceObject, MAX_OBJECT_BYTES, MAX_SIDECAR_BYTES,
};
use callscope_core::InputError;
use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::admit::{Admission, AdmitCalls};
use crate::consumer::{Consume, Disposition, Refusal};
use crate::intake::correlation_id_of;
use crate::ports::{ObjectError, ObjectStore, Received};
use crate::{telemetry, Deadline};

mod sources;
pub use sources::{ObjectSource, ObjectSources};

/// Objects of one batch read at once: each may be 16 MB, parsed.
const READ_CONCURRENCY: usize = 2;

/// A drop-in queue message, read.
#[derive(Debug, Clone, PartialEq)]
pub struct DropMessage {
    pub event: ObjectEvent,
    pub correlation_id: CorrelationId,
}

#[derive(Debug, Clone)]
pub struct DropIn {
    admit: AdmitCalls,
    objects: Arc<dyn ObjectStore>,
    /// The drop-in bucket, whose keys start with their tenant.
    bucket: String,
    /// Other buckets (prefixes) whose objects are calls of one tenant each.
    sources: ObjectSources,
    patterns: NamePatterns,
}

impl DropIn {
    pub fn new(
        admit: AdmitCalls,
        objects: Arc<dyn ObjectStore>,
        bucket: impl Into<String>,
    ) -> Self {
        Self {
            admit,
            objects,
            bucket: bucket.into(),
            sources: ObjectSources::default(),
            patterns: NamePatterns::default(),
        }
    }

    pub fn with_sources(mut self, sources: ObjectSources) -> Self {
        self.sources = sources;
        self
    }

    pub fn with_patterns(mut self, patterns: NamePatterns) -> Self {
        self.patterns = patterns;
        self
    }

    async fn take_message(&self, message: &DropMessage, deadline: Deadline) -> Disposition {
        let ObjectEvent::Created(records) = &message.event else {
            tracing::info!("S3 test event acknowledged");
            return Disposition::Done;
        };
        let mut outcome = Disposition::Done;
        for object in records {
            let disposition = self.take(object, &message.correlation_id, deadline).await;
            // A record to retry makes the message retried (its other records are idempotent);
            // otherwise the first refusal is the message's.
            outcome = match (outcome, disposition) {
                (Disposition::Retry, _) | (_, Disposition::Retry) => Disposition::Retry,
                (Disposition::Park(first), _) => Disposition::Park(first),
                (Disposition::Done, other) => other,
            };
        }
        outcome
    }

    /// One object: its call admitted, or why not.
    async fn take(
        &self,
        object: &ObjectCreated,
        correlation_id: &CorrelationId,
        deadline: Deadline,
    ) -> Disposition {
        let park = |reason: String| {
            telemetry::call_rejected("object");
            Disposition::Park(Refusal::Object {
                uri: object.uri(),
                reason,
            })
        };
        let (tenant, source) = match self.tenant_of(object) {
            Ok(found) => found,
            Err(reason) => return park(reason),
        };
        let kind = objects::kind_of(&object.key);
        match kind {
            ObjectKind::Sidecar => {
                tracing::info!(key = %object.key, "sidecar: read with its document");
                return Disposition::Done;
            }
            ObjectKind::Audio => {
                return park(
                    "is audio: recordings go to the recordings queue (the transcribe stage), not the drop-in queue; check the bucket's notifications"
                        .into(),
                )
            }
            ObjectKind::Other => {
                return park("is not a transcript document: use .json or .txt".into())
            }
            ObjectKind::Json | ObjectKind::Text => {}
        }
        let stored = match self
            .objects
            .get(
                &object.bucket,
                &object.key,
                object.version_id.as_deref(),
                MAX_OBJECT_BYTES,
            )
            .await
        {
            Ok(stored) => stored,
            Err(ObjectError::Unavailable(why)) => {
                tracing::warn!(reason = %why, "reading the object failed; retrying");
                return Disposition::Retry;
            }
            Err(error) => return park(error.to_string()),
        };
        let mut layers: Vec<Metadata> = vec![from_object_metadata(&stored.metadata)];
        let mut read_from = SourceObject {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            // An unversioned bucket answers "null" or nothing.
            version_id: stored
                .version_id
                .clone()
                .or_else(|| object.version_id.clone())
                .filter(|v| v != "null"),
            sidecar_key: None,
            recording_key: None,
        };
        if source.is_none() {
            let sidecar = objects::sidecar_key(&object.key);
            match self
                .objects
                .get(&object.bucket, &sidecar, None, MAX_SIDECAR_BYTES)
                .await
            {
                Ok(read) => match from_sidecar(&read.bytes) {
                    Ok(fields) => {
                        layers.push(fields);
                        read_from.sidecar_key = Some(sidecar);
                        // Only a recording of this tenant's: the erasure deletes what it names.
                        read_from.recording_key = objects::recording_key_of_sidecar(&read.bytes)
                            .filter(|key| key.starts_with(&format!("{tenant}/")));
                    }
                    Err(error) => return park(format!("its sidecar {sidecar}: {error}")),
                },
                Err(ObjectError::NotFound) => {}
                Err(ObjectError::Unavailable(why)) => {
                    tracing::warn!(reason = %why, "reading the sidecar failed; retrying");
                    return Disposition::Retry;
                }
                Err(error) => return park(format!("its sidecar {sidecar}: {error}")),
            }
        }
        let pattern = source
            .and_then(ObjectSource::pattern)
            .or_else(|| self.patterns.for_tenant(&tenant));
        if let Some(fields) = pattern.and_then(|p| p.fields_of(objects::file_name(&object.key))) {
            layers.push(fields);
        }
        if let Some(source) = source {
            layers.push(source.defaults());
        }
        let default_id = objects::call_id_of(&object.bucket, &object.key);
        let call = match call_of_object(&stored.bytes, kind, &layers, &default_id) {
            Ok(call) => call,
            Err(error) => return park(with_hint(error)),
        };
        let call_id = call.call_id.clone();
        let admitted = self
            .admit
            .admit_from(
                &tenant,
                vec![(call, correlation_id.clone(), Some(read_from))],
                deadline,
            )
            .await;
        match admitted.into_iter().next().map(|a| a.admission) {
            Some(Admission::Accepted) => Disposition::Done,
            Some(Admission::Unavailable(_)) | None => Disposition::Retry,
            Some(Admission::Conflict) => park(format!(
                "call_id: {call_id} already exists with other content (another object was written under this key{}); write it under a new key to make it a new call",
                stored.etag.as_deref().map(|e| format!(", now ETag {e}")).unwrap_or_default()
            )),
            Some(Admission::Rejected(error)) => park(error.to_string()),
        }
    }

    /// The object's tenant, and the configured source it came from (none: the drop-in bucket).
    fn tenant_of<'s>(
        &'s self,
        object: &ObjectCreated,
    ) -> Result<(TenantId, Option<&'s ObjectSource>), String> {
        if object.bucket == self.bucket {
            return objects::tenant_of(&object.key)
                .map(|tenant| (tenant, None))
                .map_err(|e| e.to_string());
        }
        match self.sources.find(&object.bucket, &object.key) {
            Some(source) => Ok((source.tenant.clone(), Some(source))),
            None => Err(format!(
                "bucket {} (this prefix) is not a configured source of calls",
                object.bucket
            )),
        }
    }
}

/// A refusal of missing metadata says where metadata can come from.
fn with_hint(error: InputError) -> String {
    const NEEDED: [&str; 3] = ["agent_id", "customer_id", "start_time"];
    if NEEDED.contains(&error.field.as_str()) && error.to_string().ends_with("is required") {
        format!(
            "{error}: give it in the document, as S3 object metadata (x-amz-meta-{}), in a sidecar NAME.meta.json written before the document, or by the tenant's file-name pattern",
            error.field.replace('_', "-")
        )
    } else {
        error.to_string()
    }
}

#[async_trait]
impl Consume for DropIn {
    type Message = DropMessage;

    const QUEUE: &'static str = "dropin";

    fn read(&self, message: &Received) -> Result<DropMessage, Refusal> {
        let body = message
            .body
            .as_deref()
            .ok_or(crate::consumer::UnreadableMessage::NoBody)?;
        let event =
            ObjectEvent::parse(body).inspect_err(|_| telemetry::call_rejected("unreadable"))?;
        Ok(DropMessage {
            event,
            correlation_id: correlation_id_of(message),
        })
    }

    async fn handle(&self, batch: &[DropMessage], deadline: Deadline) -> Vec<Disposition> {
        let takes: Vec<_> = batch
            .iter()
            .map(|message| self.take_message(message, deadline))
            .collect();
        stream::iter(takes)
            .buffered(READ_CONCURRENCY)
            .collect()
            .await
    }
}

/// Call fields as metadata (tests, the Connect defaults).
fn fields(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect()
}

#[cfg(test)]
mod tests;
