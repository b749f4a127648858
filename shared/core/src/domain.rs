//! Domain types: a call, its transcript and the ids and bounded values they are made of.
//!
//! Parse, don't validate: every value here was checked once, when it was built from a
//! [`CallDraft`] or a `*Id::parse`, so code holding a [`Call`] never re-checks it.

mod ids;
mod limits;
mod time;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InputError;

pub use ids::{AgentId, CallId, CorrelationId, CustomerId, Language, TeamId, TenantId};
pub use limits::{
    MAX_CALL_DURATION_SECONDS, MAX_DOCUMENT_BYTES, MAX_TRANSCRIPT_BYTES, MAX_UTTERANCES,
    MAX_WORD_TIMES,
};
pub use time::{range_bound, Bound, Day, Timestamp};

/// Who is speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Agent,
    Customer,
    Other,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Customer, Role::Other];

    /// Reads a role name as clients write it (`agent`, `Agent`, `CUSTOMER`, …).
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "agent" | "rep" | "salesperson" => Ok(Role::Agent),
            "customer" | "prospect" | "client" => Ok(Role::Customer),
            "other" => Ok(Role::Other),
            _ => Err(InputError::invalid(
                field,
                format!("unknown role {raw:?}: must be one of agent, customer, other"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Other => "other",
        }
    }
}

/// How a call ended, when the client says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CallOutcome))]
pub enum Outcome {
    Won,
    Lost,
    FollowUp,
    NoDecision,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Won,
        Outcome::Lost,
        Outcome::FollowUp,
        Outcome::NoDecision,
    ];

    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "won" => Ok(Outcome::Won),
            "lost" => Ok(Outcome::Lost),
            "follow_up" => Ok(Outcome::FollowUp),
            "no_decision" => Ok(Outcome::NoDecision),
            _ => Err(InputError::invalid(
                field,
                format!(
                    "unknown outcome {raw:?}: must be one of won, lost, follow_up, no_decision"
                ),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Won => "won",
            Outcome::Lost => "lost",
            Outcome::FollowUp => "follow_up",
            Outcome::NoDecision => "no_decision",
        }
    }
}

/// One turn of speech. Times are seconds from the start of the call; either every utterance of a
/// transcript has them or none does (see [`Transcript::is_timed`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker: Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
    /// When each spoken word began and ended (seconds from the start of the call), in order,
    /// when the source had word times (Transcribe and Call Analytics word items); empty
    /// otherwise. Only times are kept, never the words, so redaction has nothing to redo here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub word_times: Vec<WordTime>,
}

/// One word's `[start, end]` in seconds, stored and sent as a two-number array.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f64; 2]", into = "[f64; 2]")]
pub struct WordTime {
    pub start: f64,
    pub end: f64,
}

impl From<[f64; 2]> for WordTime {
    fn from([start, end]: [f64; 2]) -> Self {
        Self { start, end }
    }
}

impl From<WordTime> for [f64; 2] {
    fn from(w: WordTime) -> Self {
        [w.start, w.end]
    }
}

/// A validated, non-empty sequence of utterances in order of start time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Transcript(Vec<Utterance>);

impl Transcript {
    /// Checks the rules every transcript obeys: at least one utterance, no empty text, at most
    /// [`MAX_UTTERANCES`] turns and [`MAX_TRANSCRIPT_BYTES`] of text, times all-or-none, finite,
    /// non-negative, `end >= start`, and start times that never run backwards.
    pub fn new(utterances: Vec<Utterance>) -> Result<Self, InputError> {
        limits::check_transcript(&utterances)?;
        Ok(Self(utterances))
    }

    /// A transcript read back from storage as it was admitted. It was validated on the way in
    /// (and then redacted, which can lengthen its text a little), so it is not checked again:
    /// what was accepted can always be read back.
    pub fn from_stored(utterances: Vec<Utterance>) -> Self {
        Self(utterances)
    }

    /// The same transcript with text replaced by redaction: the speakers, times and order are
    /// those of a valid transcript and placeholders are never empty, so every rule still holds
    /// except possibly the text-size limit, which placeholders can exceed by a few bytes.
    pub(crate) fn with_placeholders(utterances: Vec<Utterance>) -> Self {
        Self(utterances)
    }

    pub fn utterances(&self) -> &[Utterance] {
        &self.0
    }

    /// Whether the utterances carry start/end times (all do, or none does).
    pub fn is_timed(&self) -> bool {
        self.0.first().is_some_and(|u| u.start.is_some())
    }

    /// The end of the last utterance, for timed transcripts.
    pub fn timed_length_seconds(&self) -> Option<f64> {
        self.0.iter().filter_map(|u| u.end).reduce(f64::max)
    }

    pub fn into_utterances(self) -> Vec<Utterance> {
        self.0
    }

    /// The transcript as the plain text v1 clients read and send: one `Agent: …` /
    /// `Customer: …` / `Other: …` line per utterance.
    pub fn to_lines(&self) -> String {
        let mut text = String::with_capacity(self.0.iter().map(|u| u.text.len() + 10).sum());
        for (i, u) in self.0.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(match u.speaker {
                Role::Agent => "Agent: ",
                Role::Customer => "Customer: ",
                Role::Other => "Other: ",
            });
            text.push_str(u.text.trim());
        }
        text
    }

    /// The start of [`to_lines`](Self::to_lines), at most `max_chars` characters, ending in `…`
    /// when cut.
    pub fn preview(&self, max_chars: usize) -> String {
        let lines = self.to_lines();
        match lines.char_indices().nth(max_chars) {
            None => lines,
            Some((cut, _)) => {
                let mut preview = lines[..cut].trim_end().to_owned();
                preview.push('…');
                preview
            }
        }
    }
}

impl<'de> Deserialize<'de> for Transcript {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let utterances = Vec::<Utterance>::deserialize(deserializer)?;
        Transcript::new(utterances).map_err(serde::de::Error::custom)
    }
}

/// A call as callscope stores and analyses it. Built only through [`Call::from_draft`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub customer_id: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    pub language: Language,
    pub start_time: DateTime<Utc>,
    pub duration_seconds: f64,
    pub utterances: Transcript,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// How speaker labels became roles, when the transcript had labels rather than roles
    /// (standard Transcribe, channels, plain text with names): inferred or configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<crate::roles::SpeakerRoles>,
}

/// The unchecked fields of a call as a format read them; [`Call::from_draft`] turns it into a
/// [`Call`] or names the first field that breaks a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallDraft {
    pub call_id: Option<String>,
    pub agent_id: Option<String>,
    pub customer_id: Option<String>,
    pub team_id: Option<String>,
    /// Defaults to `en` when absent.
    pub language: Option<String>,
    /// RFC 3339 (`Z` or an offset); a time without offset is read as UTC.
    pub start_time: Option<String>,
    /// Defaults to the end of the last timed utterance, or 0 for an untimed transcript.
    pub duration_seconds: Option<f64>,
    pub utterances: Vec<Utterance>,
    pub outcome: Option<String>,
    /// How the format turned speaker labels into roles, when it had to.
    pub roles: Option<crate::roles::SpeakerRoles>,
}

/// Seconds kept to the microsecond. The duration is stored as a DynamoDB number, which cannot
/// hold a magnitude under 1e-130 (a valid JSON time like `1.5e-176` would be refused by the
/// store), and nothing in a call is shorter than a microsecond.
fn to_microseconds(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

impl Call {
    pub fn from_draft(mut draft: CallDraft) -> Result<Self, InputError> {
        let transcript = Transcript::new(std::mem::take(&mut draft.utterances))?;
        let duration_seconds = to_microseconds(match draft.duration_seconds {
            Some(d) => limits::check_duration(d)?,
            None => transcript.timed_length_seconds().unwrap_or(0.0),
        });
        if let Some(end) = transcript.timed_length_seconds() {
            // Utterances may end a little after the reported duration (rounding); a transcript
            // that runs far past it means one of the two is wrong.
            if duration_seconds > 0.0 && end > duration_seconds + limits::DURATION_TOLERANCE_SECONDS
            {
                return Err(InputError::invalid(
                    "duration_seconds",
                    format!(
                        "is {duration_seconds} but the last utterance ends at {end}: the transcript cannot outlast the call"
                    ),
                ));
            }
        }
        Self::of_fields(draft, transcript, duration_seconds)
    }

    /// The one call without utterances: a recording whose transcription failed, known only by
    /// its fields (from the recording's metadata). It is stored FAILED with the reason and never
    /// analysed, so nothing reads its empty transcript as speech. The same field rules as
    /// [`Call::from_draft`]; the draft's utterances are ignored, the duration is 0 unless given.
    pub fn untranscribed(draft: CallDraft) -> Result<Self, InputError> {
        let duration_seconds = to_microseconds(match draft.duration_seconds {
            Some(d) => limits::check_duration(d)?,
            None => 0.0,
        });
        Self::of_fields(draft, Transcript(Vec::new()), duration_seconds)
    }

    /// The draft's fields checked, around a transcript and duration already checked.
    fn of_fields(
        draft: CallDraft,
        transcript: Transcript,
        duration_seconds: f64,
    ) -> Result<Self, InputError> {
        Ok(Self {
            call_id: CallId::parse("call_id", required("call_id", draft.call_id)?)?,
            agent_id: AgentId::parse("agent_id", required("agent_id", draft.agent_id)?)?,
            customer_id: CustomerId::parse(
                "customer_id",
                required("customer_id", draft.customer_id)?,
            )?,
            team_id: draft
                .team_id
                .map(|t| TeamId::parse("team_id", t))
                .transpose()?,
            language: Language::parse(
                "language",
                draft.language.unwrap_or_else(|| "en".to_owned()),
            )?,
            start_time: parse_start_time(&required("start_time", draft.start_time)?)?,
            duration_seconds,
            utterances: transcript,
            outcome: draft
                .outcome
                .map(|o| Outcome::parse("outcome", &o))
                .transpose()?,
            roles: draft.roles,
        })
    }

    /// The UTC calendar day the call started on: the day its rollups count it in.
    pub fn day(&self) -> Day {
        Day::of(self.start_time)
    }
}

fn required(field: &str, value: Option<String>) -> Result<String, InputError> {
    value.ok_or_else(|| InputError::invalid(field, "is required"))
}

/// Parses RFC 3339 / ISO 8601 times; a time without an offset is taken as UTC.
pub fn parse_start_time(raw: &str) -> Result<DateTime<Utc>, InputError> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| {
            InputError::invalid(
                "start_time",
                format!("{raw:?} is not an ISO 8601 date-time such as 2024-05-01T14:30:00Z"),
            )
        })
}

impl Call {
    /// A fingerprint of the call's content (hex SHA-256 of its canonical JSON), taken before
    /// redaction: the same `call_id` with the same fingerprint is a retry, with another one a
    /// conflict.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        // Serialising a validated call cannot fail (no maps with non-string keys, all floats
        // finite), so an error here would be a bug; hashing the empty document keeps it visible
        // as a conflict rather than a panic.
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The same call with PII replaced in its transcript, and what was replaced.
    pub fn redacted(mut self) -> (Self, crate::redaction::RedactionCounts) {
        let (transcript, counts) = crate::redaction::redact_transcript(&self.utterances);
        self.utterances = transcript;
        (self, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(speaker: Role, text: &str) -> Utterance {
        Utterance {
            speaker,
            text: text.to_owned(),
            start: None,
            end: None,
            word_times: Vec::new(),
        }
    }

    #[test]
    fn a_transcript_renders_as_v1_lines_and_previews_cut_at_a_character() {
        let t = Transcript::new(vec![
            turn(Role::Agent, " Héllo there. "),
            turn(Role::Customer, "Hi."),
            turn(Role::Other, "(hold music)"),
        ])
        .expect("valid");
        assert_eq!(
            t.to_lines(),
            "Agent: Héllo there.\nCustomer: Hi.\nOther: (hold music)"
        );
        assert_eq!(t.preview(12), "Agent: Héllo…");
        assert_eq!(t.preview(1_000), t.to_lines());
    }

    #[test]
    fn a_duration_too_small_for_the_store_is_kept_to_the_microsecond() {
        let draft = |duration: Option<f64>, end: f64| CallDraft {
            call_id: Some("c-1".into()),
            agent_id: Some("a".into()),
            customer_id: Some("c".into()),
            start_time: Some("2026-11-02T10:00:00Z".into()),
            duration_seconds: duration,
            utterances: vec![Utterance {
                start: Some(8.174893572191763e-289),
                end: Some(end),
                ..turn(Role::Agent, "hello")
            }],
            ..CallDraft::default()
        };
        let derived = Call::from_draft(draft(None, 1.540817498155752e-176)).expect("valid");
        assert_eq!(derived.duration_seconds, 0.0);
        let given = Call::from_draft(draft(Some(1e-200), 1e-201)).expect("valid");
        assert_eq!(given.duration_seconds, 0.0);
        let ordinary = Call::from_draft(draft(Some(137.25), 130.5)).expect("valid");
        assert_eq!(ordinary.duration_seconds, 137.25);
    }
}
