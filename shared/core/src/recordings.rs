//! Recordings to Amazon Transcribe jobs (issue 21, item 3): which dropped objects are audio,
//! and the job each one becomes. Pure: the function that starts jobs reads the object's
//! metadata, calls [`plan`] and hands the [`JobPlan`] to Transcribe; nothing here talks to AWS.
//!
//! - An object under `{tenant}/audio/…` with a suffix Transcribe reads (wav, mp3, mp4, m4a,
//!   flac, ogg) is a recording; anything else is not this stage's.
//! - The job name is derived from (bucket, key, version or ETag), so a redelivered event starts
//!   the same job (Transcribe refuses a second job of the same name: a conflict that means
//!   "already started", not an error), and a re-upload of different audio a new one.
//! - Output goes back into the bucket at `{tenant}/transcribe/{job}.json`, where the drop-in path
//!   reads it like any document; `{tenant}/transcribe/{job}.meta.json`, written before the job
//!   starts, carries the call's metadata (from the audio object's metadata) and, for a
//!   two-channel standard job whose agent channel is configured, `speaker_roles`
//!   (`{"ch_0": "agent", "ch_1": "customer"}`); without it the roles are inferred
//!   ([`crate::roles`]).
//! - The tenant and the source key also travel as job tags, so the job-state rule can find the
//!   call when Transcribe fails.
//! - A failed job's recording becomes a FAILED call ([`failed_call`]): the call its output would
//!   have been (same id, same fields, from the sidecar), without a transcript.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{Call, TenantId};
use crate::error::InputError;

/// Transcribe's `MediaFormat` for the suffixes callscope accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaFormat {
    Wav,
    Mp3,
    Mp4,
    M4a,
    Flac,
    Ogg,
}

impl MediaFormat {
    /// From a key's suffix, case-insensitively.
    pub fn of_key(key: &str) -> Option<Self> {
        let (_, suffix) = key.rsplit_once('.')?;
        Some(match suffix.to_ascii_lowercase().as_str() {
            "wav" => Self::Wav,
            "mp3" => Self::Mp3,
            "mp4" => Self::Mp4,
            "m4a" => Self::M4a,
            "flac" => Self::Flac,
            "ogg" => Self::Ogg,
            _ => return None,
        })
    }

    /// The value Transcribe's API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Mp4 => "mp4",
            Self::M4a => "m4a",
            Self::Flac => "flac",
            Self::Ogg => "ogg",
        }
    }
}

/// The deployment's choices for recordings (template parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingSettings {
    /// Call Analytics jobs (roles from channels, Amazon's own call metrics) instead of standard
    /// jobs; Call Analytics needs two-channel audio.
    pub call_analytics: bool,
    /// Standard jobs: `Some(channel)` when recordings are two-channel with the agent on that
    /// channel (channel identification), `None` for mixed audio (speaker labels). Call
    /// Analytics jobs need it (`ChannelDefinitions`); 0 when unset.
    pub agent_channel: Option<u8>,
    /// Speakers to tell apart in mixed audio (2–30; Transcribe's `MaxSpeakerLabels`).
    pub max_speakers: u8,
    /// Redact PII in the transcript Transcribe writes (callscope redacts again at ingest).
    pub redact_pii: bool,
    /// Let Transcribe identify the language among `languages` instead of assuming
    /// `languages[0]`.
    pub identify_language: bool,
    /// Transcribe language codes (`en-US`); the first is used when not identifying.
    pub languages: Vec<String>,
}

impl Default for RecordingSettings {
    fn default() -> Self {
        Self {
            call_analytics: false,
            agent_channel: None,
            max_speakers: 2,
            redact_pii: false,
            identify_language: false,
            languages: vec!["en-US".to_owned()],
        }
    }
}

/// How the job tells speakers apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// `StartCallAnalyticsJob` with the agent's channel given (`ChannelDefinitions`).
    CallAnalytics { agent_channel: u8 },
    /// `StartTranscriptionJob` with `ChannelIdentification`.
    StandardChannels,
    /// `StartTranscriptionJob` with `ShowSpeakerLabels` and `MaxSpeakerLabels`.
    StandardSpeakers { max_speakers: u8 },
}

/// Which language the job transcribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobLanguage {
    Code(String),
    /// `IdentifyLanguage` with `LanguageOptions`.
    Identify(Vec<String>),
}

/// Everything needed to start one job and to find its call afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    pub tenant: TenantId,
    /// `[0-9a-zA-Z._-]`, at most 200 characters, stable for the object.
    pub job_name: String,
    /// `s3://bucket/key` of the recording.
    pub media_uri: String,
    pub media_format: MediaFormat,
    pub kind: JobKind,
    pub language: JobLanguage,
    pub redact_pii: bool,
    pub output_bucket: String,
    /// `{tenant}/transcribe/{job_name}.json`.
    pub output_key: String,
    /// `{tenant}/transcribe/{job_name}.meta.json`, written before the job starts.
    pub sidecar_key: String,
    /// The sidecar's JSON: the call's metadata and, where known, `speaker_roles`.
    pub sidecar: Value,
    /// Job tags: `callscope:tenant`, `callscope:source-key`.
    pub tags: BTreeMap<String, String>,
}

/// The job for an object, or `None` when the object is not a recording under
/// `{tenant}/audio/` (not this stage's; the drop-in path handles documents). `metadata` is the
/// object's user metadata (`x-amz-meta-agent_id` → `agent_id`); an object without a valid
/// tenant prefix is an error with its reason.
pub fn plan(
    bucket: &str,
    key: &str,
    etag_or_version: &str,
    metadata: &BTreeMap<String, String>,
    settings: &RecordingSettings,
) -> Result<Option<JobPlan>, InputError> {
    let Some((tenant, rest)) = key.split_once('/') else {
        return Ok(None);
    };
    let Some(name) = rest.strip_prefix("audio/") else {
        return Ok(None);
    };
    let Some(media_format) = MediaFormat::of_key(name) else {
        return Ok(None);
    };
    let tenant = TenantId::parse("key", tenant)?;
    let job_name = job_name(bucket, key, etag_or_version);
    let kind = match (settings.call_analytics, settings.agent_channel) {
        (true, channel) => JobKind::CallAnalytics {
            agent_channel: channel.unwrap_or(0),
        },
        (false, Some(_)) => JobKind::StandardChannels,
        (false, None) => JobKind::StandardSpeakers {
            max_speakers: settings.max_speakers.clamp(2, 30),
        },
    };
    let language = if settings.identify_language && settings.languages.len() > 1 {
        JobLanguage::Identify(settings.languages.clone())
    } else {
        JobLanguage::Code(
            settings
                .languages
                .first()
                .cloned()
                .unwrap_or_else(|| "en-US".to_owned()),
        )
    };
    // The recording's call metadata, read as the drop-in path reads a document's.
    let mut sidecar: Map<String, Value> = crate::objects::from_object_metadata(metadata);
    if let (JobKind::StandardChannels, Some(agent)) = (&kind, settings.agent_channel) {
        let customer = u8::from(agent == 0);
        sidecar.insert(
            "speaker_roles".to_owned(),
            serde_json::json!({
                format!("ch_{agent}"): "agent",
                format!("ch_{customer}"): "customer",
            }),
        );
    }
    // The output's call remembers its recording through this, so erasing it deletes the audio.
    sidecar.insert(
        crate::objects::RECORDING_KEY.to_owned(),
        Value::String(key.to_owned()),
    );
    let prefix = format!("{tenant}/transcribe/{job_name}");
    let tags = BTreeMap::from([
        ("callscope:tenant".to_owned(), tenant.to_string()),
        ("callscope:source-key".to_owned(), tag_value(key)),
    ]);
    Ok(Some(JobPlan {
        media_uri: format!("s3://{bucket}/{key}"),
        output_bucket: bucket.to_owned(),
        output_key: format!("{prefix}.json"),
        sidecar_key: format!("{prefix}.meta.json"),
        sidecar: Value::Object(sidecar),
        tags,
        tenant,
        job_name,
        media_format,
        kind,
        language,
        redact_pii: settings.redact_pii,
    }))
}

/// `callscope-` and 32 hex digits of SHA-256 over (bucket, key, version or ETag): valid for
/// Transcribe whatever the key holds, and the same for a redelivery of the same object.
fn job_name(bucket: &str, key: &str, etag_or_version: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(bucket.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .chain_update([0])
        .chain_update(etag_or_version.trim_matches('"').as_bytes())
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("callscope-{hex}")
}

/// A tag value holds at most 256 characters of letters, digits, spaces and `_ . : / = + - @`;
/// other characters become `_` and a long key keeps its end (the file name).
fn tag_value(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let chars: Vec<char> = cleaned.chars().collect();
    chars[chars.len().saturating_sub(256)..].iter().collect()
}

/// The call a recording stands for when its job failed: the fields its output's call would have
/// had, read from the job's sidecar (`sidecar`, the bytes written before the job started), and
/// its id the one the drop-in path would have given the output at `output_key` (the sidecar's
/// `call_id`, else the output object's stable id); no transcript ([`Call::untranscribed`]).
/// An unreadable sidecar, or one that lacks a required field, is an error naming it.
pub fn failed_call(bucket: &str, output_key: &str, sidecar: &[u8]) -> Result<Call, InputError> {
    let fields = crate::objects::from_sidecar(sidecar)?;
    crate::objects::untranscribed_call(&[fields], &crate::objects::call_id_of(bucket, output_key))
}

/// A Transcribe job's state change as EventBridge delivers it (`source: aws.transcribe`,
/// `detail-type: Transcribe Job State Change` with `TranscriptionJobName` /
/// `TranscriptionJobStatus`, or `Call Analytics Job State Change` with `JobName` / `JobStatus`),
/// with `FailureReason` when the job failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStateChange {
    pub job_name: String,
    /// `COMPLETED`, `FAILED`, `IN_PROGRESS`, … as Transcribe says it.
    pub status: String,
    /// Why it failed, when the event says (the job's own `FailureReason` otherwise).
    pub failure_reason: Option<String>,
    pub call_analytics: bool,
}

impl JobStateChange {
    pub fn parse(event: &Value) -> Result<Self, InputError> {
        let detail_type = event
            .get("detail-type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (call_analytics, name_field, status_field) = match detail_type {
            "Transcribe Job State Change" => {
                (false, "TranscriptionJobName", "TranscriptionJobStatus")
            }
            "Call Analytics Job State Change" => (true, "JobName", "JobStatus"),
            other => {
                return Err(InputError::unsupported(
                    "detail-type",
                    format!("{other:?} is not a Transcribe job state change"),
                ))
            }
        };
        let detail = event.get("detail").unwrap_or(&Value::Null);
        let text = |field: &str| {
            detail
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| InputError::invalid(format!("detail.{field}"), "is required"))
        };
        Ok(Self {
            job_name: text(name_field)?,
            status: text(status_field)?,
            failure_reason: text("FailureReason").ok(),
            call_analytics,
        })
    }

    pub fn failed(&self) -> bool {
        self.status == "FAILED"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_audio_under_a_tenants_audio_prefix_is_a_recording() {
        let s = RecordingSettings::default();
        let none = BTreeMap::new();
        for key in [
            "acme/calls/c1.json",
            "acme/audio/notes.txt",
            "audio/c1.wav",
            "acme/transcribe/callscope-x.json",
        ] {
            assert_eq!(plan("b", key, "e", &none, &s).expect("ok"), None, "{key}");
        }
        for (key, format) in [
            ("acme/audio/2026/c1.WAV", MediaFormat::Wav),
            ("acme/audio/c1.mp3", MediaFormat::Mp3),
            ("acme/audio/c1.m4a", MediaFormat::M4a),
            ("acme/audio/c1.mp4", MediaFormat::Mp4),
            ("acme/audio/c1.flac", MediaFormat::Flac),
            ("acme/audio/c1.ogg", MediaFormat::Ogg),
        ] {
            let job = plan("b", key, "e", &none, &s).expect("ok").expect("audio");
            assert_eq!(job.media_format, format);
            assert_eq!(job.media_uri, format!("s3://b/{key}"));
        }
        let bad_tenant = plan("b", "ac me/audio/c1.wav", "e", &none, &s).expect_err("tenant");
        assert_eq!(bad_tenant.field, "key");
    }

    #[test]
    fn the_job_name_is_stable_for_the_object_and_new_for_new_content() {
        let s = RecordingSettings::default();
        let none = BTreeMap::new();
        let job = |key: &str, etag: &str| {
            plan("b", key, etag, &none, &s)
                .expect("ok")
                .expect("audio")
                .job_name
        };
        let first = job("acme/audio/a call (1).wav", "\"e1\"");
        assert_eq!(first, job("acme/audio/a call (1).wav", "e1"));
        assert_ne!(first, job("acme/audio/a call (1).wav", "e2"));
        assert_ne!(first, job("acme/audio/another.wav", "e1"));
        assert!(first.len() <= 200);
        assert!(first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
    }

    #[test]
    fn settings_choose_the_job_and_the_sidecar_carries_metadata_and_channels() {
        let metadata = meta(&[
            ("agent_id", "sam"),
            ("customer-id", "acme-corp"),
            ("start_time", "2026-11-02T10:00:00Z"),
            ("unrelated", "x"),
        ]);
        let channels = RecordingSettings {
            agent_channel: Some(1),
            redact_pii: true,
            identify_language: true,
            languages: vec!["en-US".into(), "es-US".into()],
            ..RecordingSettings::default()
        };
        let job = plan("b", "acme/audio/c1.wav", "e", &metadata, &channels)
            .expect("ok")
            .expect("audio");
        assert_eq!(job.kind, JobKind::StandardChannels);
        assert_eq!(
            job.language,
            JobLanguage::Identify(vec!["en-US".into(), "es-US".into()])
        );
        assert!(job.redact_pii);
        assert_eq!(
            job.output_key,
            format!("acme/transcribe/{}.json", job.job_name)
        );
        assert_eq!(
            job.sidecar_key,
            format!("acme/transcribe/{}.meta.json", job.job_name)
        );
        assert_eq!(
            job.sidecar,
            serde_json::json!({
                "agent_id": "sam", "customer_id": "acme-corp",
                "start_time": "2026-11-02T10:00:00Z",
                "speaker_roles": {"ch_1": "agent", "ch_0": "customer"},
                "recording_key": "acme/audio/c1.wav"
            })
        );
        // The output's call is read with this sidecar: it names the recording, which is no
        // call field.
        let bytes = job.sidecar.to_string().into_bytes();
        assert_eq!(
            crate::objects::recording_key_of_sidecar(&bytes).as_deref(),
            Some("acme/audio/c1.wav")
        );
        assert!(!crate::objects::from_sidecar(&bytes)
            .expect("fields")
            .contains_key("recording_key"));
        assert_eq!(job.tags["callscope:tenant"], "acme");
        assert_eq!(job.tags["callscope:source-key"], "acme/audio/c1.wav");

        let mixed = plan(
            "b",
            "acme/audio/c1.wav",
            "e",
            &metadata,
            &RecordingSettings::default(),
        )
        .expect("ok")
        .expect("audio");
        assert_eq!(mixed.kind, JobKind::StandardSpeakers { max_speakers: 2 });
        assert_eq!(mixed.language, JobLanguage::Code("en-US".into()));
        assert!(mixed.sidecar.get("speaker_roles").is_none(), "inferred");

        let analytics = RecordingSettings {
            call_analytics: true,
            ..RecordingSettings::default()
        };
        let job = plan("b", "acme/audio/c1.wav", "e", &metadata, &analytics)
            .expect("ok")
            .expect("audio");
        assert_eq!(job.kind, JobKind::CallAnalytics { agent_channel: 0 });
        assert!(
            job.sidecar.get("speaker_roles").is_none(),
            "roles from channels"
        );
    }

    /// The whole data path of a two-channel recording, without AWS: the plan's sidecar, then
    /// Transcribe's channel-identification output read by the drop-in path's parser with it.
    #[test]
    fn a_channel_recordings_output_is_read_with_the_configured_channels() {
        let settings = RecordingSettings {
            agent_channel: Some(1),
            ..RecordingSettings::default()
        };
        let metadata = meta(&[
            ("agent-id", "sam"),
            ("customer-id", "acme-corp"),
            ("start-time", "2026-11-02T10:00:00Z"),
        ]);
        let job = plan("b", "acme/audio/c1.wav", "e", &metadata, &settings)
            .expect("ok")
            .expect("audio");
        let word = |label: &str, w: &str, start: f64| {
            serde_json::json!({"channel_label": label, "type": "pronunciation",
                "start_time": format!("{start:.2}"), "end_time": format!("{:.2}", start + 0.4),
                "alternatives": [{"confidence": "0.99", "content": w}]})
        };
        // The customer (ch_0) opens with what would read as the agent's line: the configured
        // channels win over the words.
        let output = serde_json::json!({"jobName": job.job_name, "status": "COMPLETED",
        "results": {"language_code": "en-US", "channel_labels": {"number_of_channels": 2,
        "channels": [
            {"channel_label": "ch_0", "items": [word("ch_0", "How", 0.0), word("ch_0", "can", 0.4),
                word("ch_0", "I", 0.8), word("ch_0", "help", 1.2)]},
            {"channel_label": "ch_1", "items": [word("ch_1", "Calling", 2.0),
                word("ch_1", "about", 2.4), word("ch_1", "my", 2.8), word("ch_1", "bill", 3.2)]}
        ]}}});
        let sidecar =
            crate::objects::from_sidecar(job.sidecar.to_string().as_bytes()).expect("sidecar");
        let call = crate::objects::call_of_object(
            output.to_string().as_bytes(),
            crate::objects::ObjectKind::Json,
            &[sidecar],
            &crate::objects::call_id_of("b", &job.output_key),
        )
        .expect("a call");
        assert_eq!(call.agent_id.as_str(), "sam");
        let speakers: Vec<crate::Role> = call
            .utterances
            .utterances()
            .iter()
            .map(|u| u.speaker)
            .collect();
        assert_eq!(speakers, [crate::Role::Customer, crate::Role::Agent]);
        let roles = call.roles.expect("labels");
        assert!(!roles.inferred, "both channels configured: {roles:?}");
    }

    #[test]
    fn job_state_changes_of_both_job_kinds_are_read() {
        let standard = serde_json::json!({"source": "aws.transcribe",
            "detail-type": "Transcribe Job State Change",
            "detail": {"TranscriptionJobName": "callscope-ab", "TranscriptionJobStatus": "FAILED",
                "FailureReason": "The media format provided does not match the detected media format."}});
        let change = JobStateChange::parse(&standard).expect("valid");
        assert!(change.failed() && !change.call_analytics);
        assert_eq!(change.job_name, "callscope-ab");
        assert!(change
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("media format")));
        let analytics = serde_json::json!({"source": "aws.transcribe",
            "detail-type": "Call Analytics Job State Change",
            "detail": {"JobName": "callscope-cd", "JobStatus": "COMPLETED"}});
        let change = JobStateChange::parse(&analytics).expect("valid");
        assert!(!change.failed() && change.call_analytics);
        assert_eq!(change.failure_reason, None);
        let other = serde_json::json!({"detail-type": "Object Created", "detail": {}});
        assert_eq!(
            JobStateChange::parse(&other).expect_err("not ours").field,
            "detail-type"
        );
        let no_name = serde_json::json!({"detail-type": "Transcribe Job State Change",
            "detail": {"TranscriptionJobStatus": "FAILED"}});
        assert_eq!(
            JobStateChange::parse(&no_name).expect_err("no name").field,
            "detail.TranscriptionJobName"
        );
    }

    #[test]
    fn a_failed_jobs_call_is_the_one_its_output_would_have_been_without_a_transcript() {
        let metadata = meta(&[
            ("agent-id", "sam"),
            ("customer-id", "acme-corp"),
            ("team-id", "west"),
            ("start-time", "2026-11-02T10:00:00Z"),
            ("duration-seconds", "61.5"),
        ]);
        let s = RecordingSettings {
            agent_channel: Some(1),
            ..RecordingSettings::default()
        };
        let job = plan("b", "acme/audio/c1.wav", "e", &metadata, &s)
            .expect("ok")
            .expect("audio");
        let sidecar = job.sidecar.to_string();
        let call = failed_call("b", &job.output_key, sidecar.as_bytes()).expect("a call");
        assert_eq!(
            call.call_id,
            crate::objects::call_id_of("b", &job.output_key),
            "the id the drop-in path gives the output"
        );
        assert_eq!(call.agent_id.as_str(), "sam");
        assert_eq!(call.customer_id.as_str(), "acme-corp");
        assert_eq!(call.team_id.as_ref().map(|t| t.as_str()), Some("west"));
        assert_eq!(call.start_time.to_rfc3339(), "2026-11-02T10:00:00+00:00");
        assert_eq!(call.duration_seconds, 61.5);
        assert!(call.utterances.utterances().is_empty());

        let named = failed_call(
            "b",
            &job.output_key,
            br#"{"call_id": "crm-42", "agent_id": "sam", "customer_id": "k", "start_time": "2026-11-02T10:00:00Z"}"#,
        )
        .expect("a call");
        assert_eq!(named.call_id.as_str(), "crm-42", "the recording's own id");
        assert_eq!(named.duration_seconds, 0.0);

        let no_start = failed_call(
            "b",
            &job.output_key,
            br#"{"agent_id": "sam", "customer_id": "k"}"#,
        )
        .expect_err("start_time is required");
        assert_eq!(no_start.field, "start_time");
        let unreadable = failed_call("b", &job.output_key, b"not json").expect_err("unreadable");
        assert_eq!(unreadable.field, "sidecar");
    }

    #[test]
    fn tag_values_keep_to_what_tags_allow() {
        assert_eq!(tag_value("acme/audio/a*b?.wav"), "acme/audio/a_b_.wav");
        let long = format!("acme/audio/{}.wav", "x".repeat(300));
        let tag = tag_value(&long);
        assert_eq!(tag.chars().count(), 256);
        assert!(tag.ends_with(".wav"));
    }
}
