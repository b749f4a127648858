//! Objects dropped in S3 that become calls: the S3 event notification read, its key decoded,
//! what kind of object the key names, the tenant from its first segment, and the stable call id
//! of a document that names none. Pure: the reading of objects is an adapter's.

mod document;
mod pattern;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{CallId, TenantId};
use crate::error::InputError;

pub use document::{
    call_of_object, from_object_metadata, from_sidecar, recording_key_of_sidecar,
    untranscribed_call, Metadata, RECORDING_KEY, SIDECAR_SUFFIX,
};
pub use pattern::{NamePattern, NamePatterns};

/// The largest object read (a dropped or uploaded document): an hour of standard Transcribe
/// output is ~2.2 MB, and the transcript limits refuse far less than this once parsed.
pub const MAX_OBJECT_BYTES: u64 = 16_000_000;

/// A sidecar's limit: it holds a few metadata fields.
pub const MAX_SIDECAR_BYTES: u64 = 64_000;

/// The object a call was read from (and its sidecar, when the call's metadata came from one):
/// what erasing the call deletes. Stored on the call item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceObject {
    pub bucket: String,
    pub key: String,
    /// The version read, in a versioned bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `NAME.meta.json` beside it, when it was read for the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecar_key: Option<String>,
    /// The recording (same bucket) the document was transcribed from, when its sidecar names
    /// it ([`RECORDING_KEY`]): the call's most personal object, erased with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_key: Option<String>,
}

impl SourceObject {
    /// Every key erasing the call deletes: the object, its sidecar, its recording.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.key)
            .chain(self.sidecar_key.as_ref())
            .chain(self.recording_key.as_ref())
    }
}

/// One object S3 says was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    pub bucket: String,
    /// The key as written (URL-decoded from the event).
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

impl ObjectCreated {
    /// `s3://bucket/key`, for reasons and logs.
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// An S3 event notification as SQS delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectEvent {
    /// `ObjectCreated:*` records (other event names are refused when read).
    Created(Vec<ObjectCreated>),
    /// The `s3:TestEvent` S3 sends once when a notification is configured: nothing to do.
    Test,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "Records", default)]
    records: Option<Vec<RawRecord>>,
    #[serde(rename = "Event", default)]
    event: Option<String>,
}

#[derive(Deserialize)]
struct RawRecord {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: RawS3,
}

#[derive(Deserialize)]
struct RawS3 {
    bucket: RawBucket,
    object: RawObject,
}

#[derive(Deserialize)]
struct RawBucket {
    name: String,
}

#[derive(Deserialize)]
struct RawObject {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(rename = "eTag", default)]
    etag: Option<String>,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
}

impl ObjectEvent {
    /// Reads an S3 event notification body (keys URL-encoded as S3 writes them, `+` for space).
    pub fn parse(body: &str) -> Result<Self, InputError> {
        let raw: RawEvent = serde_json::from_str(body).map_err(|e| {
            InputError::malformed("body", format!("is not an S3 event notification: {e}"))
        })?;
        if raw.event.as_deref() == Some("s3:TestEvent") {
            return Ok(ObjectEvent::Test);
        }
        let records = raw.records.filter(|r| !r.is_empty()).ok_or_else(|| {
            InputError::invalid("Records", "is required: an S3 event has records")
        })?;
        let mut created = Vec::with_capacity(records.len());
        for (i, record) in records.into_iter().enumerate() {
            if !record.event_name.starts_with("ObjectCreated:") {
                return Err(InputError::unsupported(
                    format!("Records[{i}].eventName"),
                    format!("{:?} is not an ObjectCreated event", record.event_name),
                ));
            }
            let key = decode_key(&record.s3.object.key)
                .map_err(|e| e.within(&format!("Records[{i}].s3.object")))?;
            created.push(ObjectCreated {
                bucket: record.s3.bucket.name,
                key,
                size: record.s3.object.size,
                etag: record.s3.object.etag,
                version_id: record.s3.object.version_id,
            });
        }
        Ok(ObjectEvent::Created(created))
    }
}

/// Decodes a key as S3 event notifications encode it (form encoding: `+` is a space, `%XX` a
/// byte), into UTF-8.
pub fn decode_key(raw: &str) -> Result<String, InputError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        InputError::malformed("key", format!("has a bad escape at byte {i}"))
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| InputError::malformed("key", "is not UTF-8 once decoded"))
}

/// What a key names, by its suffix (S3 notifications and the bucket policy go by the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A JSON call document or bare Transcribe / Call Analytics / Contact Lens output.
    Json,
    /// Plain `Agent: …` / `Customer: …` text.
    Text,
    /// `NAME.meta.json`: metadata for the document `NAME.json` or `NAME.txt`.
    Sidecar,
    /// A recording: the transcribe stage's.
    Audio,
    /// Anything else (the bucket policy refuses such keys; another bucket may have them).
    Other,
}

/// The audio suffixes the transcribe stage takes.
pub const AUDIO_SUFFIXES: [&str; 6] = [".wav", ".mp3", ".mp4", ".m4a", ".flac", ".ogg"];

pub fn kind_of(key: &str) -> ObjectKind {
    let lower = key.to_ascii_lowercase();
    if key.ends_with(SIDECAR_SUFFIX) {
        ObjectKind::Sidecar
    } else if key.ends_with(".json") {
        ObjectKind::Json
    } else if key.ends_with(".txt") {
        ObjectKind::Text
    } else if AUDIO_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        ObjectKind::Audio
    } else {
        ObjectKind::Other
    }
}

/// The tenant of a drop-in key: its first segment (`acme/calls/x.json` → `acme`).
pub fn tenant_of(key: &str) -> Result<TenantId, InputError> {
    match key.split_once('/') {
        Some((first, rest)) if !rest.is_empty() => TenantId::parse("key", first).map_err(|e| {
            InputError::invalid("key", format!("its first segment must be a tenant id: {e}"))
        }),
        _ => Err(InputError::invalid(
            "key",
            "must start with the tenant's prefix: TENANT/NAME",
        )),
    }
}

/// The call id of an object whose document names none: stable for (bucket, key), so a
/// redelivered or re-uploaded identical object is the same call and other content under the
/// same key is a conflict. Readable: `s3-{file stem}-{hash}`.
pub fn call_id_of(bucket: &str, key: &str) -> CallId {
    let digest = Sha256::digest(format!("{bucket}/{key}").as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let stem: String = file_name(key)
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let id = if stem.is_empty() {
        format!("s3-{hash}")
    } else {
        format!("s3-{stem}-{hash}")
    };
    CallId::parse("call_id", &id).unwrap_or_else(|_| unreachable!("{id} is a valid call id"))
}

/// The last segment of a key.
pub fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The sidecar key of a document key (`a/b/x.json` → `a/b/x.meta.json`).
pub fn sidecar_key(key: &str) -> String {
    let name = file_name(key);
    let stem_len = name.rfind('.').unwrap_or(name.len());
    let dir = &key[..key.len() - name.len()];
    format!("{dir}{}{SIDECAR_SUFFIX}", &name[..stem_len])
}
