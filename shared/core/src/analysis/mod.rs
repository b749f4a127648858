//! The call-analysis engine: one pure, deterministic function from a transcript to metrics.
//!
//! Each metric's definition is documented on its field in [`CallAnalysis`] and in the module
//! that computes it; docs/analysis.md repeats them for users.

mod conversation;
mod dense_dfa;
mod literals;
mod next_steps;
mod per_role;
mod scoring;
mod sentiment;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod text;
mod timeline;
mod tokens;
pub mod trackers;
mod turns;

use serde::{Deserialize, Serialize};

use crate::domain::{Call, Transcript};
use crate::redaction::{self, RedactionCounts};
use crate::roles::SpeakerRoles;
use crate::settings::Scorecard;

pub use next_steps::NextStep;
pub use per_role::PerRole;
pub use scoring::{Priority, Recommendation};
pub use sentiment::SentimentSummary;
pub use timeline::{Segment, Timeline, Timing, TimingSource};
pub use trackers::{TrackerHit, TrackerRule};
pub use turns::{Interval, IntervalKind, Turn, MAX_INTERVALS, MONOLOGUE_MIN_SECONDS};

/// Everything callscope measures about one call. JSON names are snake_case and stable: clients
/// and the stored analyses depend on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAnalysis {
    /// `measured` when the transcript had start/end times, `estimated` when times were spread
    /// over the words (see [`Timeline`]); time-based metrics are estimates in the second case.
    pub timing: Timing,
    /// What talk time, pauses, talk speed, crosstalk and interruptions were measured from:
    /// `words` (the file's word times: pauses inside an utterance are not talk), `segments`
    /// (utterance spans, when not every utterance has word times) or `estimated` (no times);
    /// `null` in analyses stored before it existed.
    #[serde(default)]
    pub timing_source: Option<TimingSource>,
    /// Length of the call analysed: `duration_seconds`, or the end of the last utterance.
    pub duration_seconds: f64,
    /// Words spoken, per role.
    pub word_count: PerRole<u32>,
    /// Agent share of agent + customer talk: by time when timed, by words otherwise. In [0, 1];
    /// 0 when neither spoke.
    pub agent_talk_ratio: f64,
    /// Seconds each role spent speaking: the union of its words' times when `timing_source` is
    /// `words` (pauses inside an utterance excluded), of its utterances' spans otherwise; a
    /// role's own overlaps are not doubled.
    pub talk_time_seconds: PerRole<f64>,
    /// Sum of gaps where nobody speaks lasting at least 3 s, pauses inside an utterance included
    /// when measured from words (timed calls only; 0 otherwise).
    pub non_talk_time_seconds: f64,
    /// Times a role cut another off, per interrupting role: an utterance that is more than a
    /// backchannel ("mhm", "yeah", "right", "okay", "uh-huh" alone), starting at least 1 s after
    /// an utterance of another role that is still being spoken, and talking over it for at
    /// least 1 s. Crosstalk at turn starts and shorter overlaps are not interruptions (see
    /// `crosstalk_seconds`). Timed calls only; 0 otherwise.
    pub interruptions: PerRole<u32>,
    /// Seconds during which two or more roles speak at once (every overlap: turn-start
    /// crosstalk, backchannels, hand-overs and interruptions). Timed calls only; 0 otherwise,
    /// and 0 in analyses stored before it existed.
    #[serde(default)]
    pub crosstalk_seconds: f64,
    /// Words per minute of talk time, per role; `null` when untimed or the role did not speak.
    pub talk_speed_wpm: PerRole<Option<f64>>,
    /// Longest stretch of consecutive agent speech, in seconds (gaps < 3 s do not end it).
    pub longest_monologue_seconds: f64,
    /// Longest stretch of consecutive customer speech, in seconds.
    pub longest_customer_story_seconds: f64,
    /// Speaker switches between agent and customer per minute of call.
    pub interactivity: f64,
    /// Mean pause (s) between the end of a customer turn and the start of the agent's reply;
    /// `null` when the agent never answers the customer.
    pub patience_seconds: Option<f64>,
    /// Questions asked, per role.
    pub questions: PerRole<u32>,
    /// Filler words (um, uh, erm, hmm, basically, "you know", "I mean", "kind of", "sort of") per
    /// minute of the agent's talk time.
    pub filler_words_per_minute: f64,
    /// VADER compound sentiment in [-1, 1], per role, overall and per quarter of the call.
    pub sentiment: SentimentSummary,
    /// The customer's overall sentiment, the number v1 clients know.
    pub customer_sentiment_score: f64,
    /// Tracker rules that fired, with where.
    pub trackers: Vec<TrackerHit>,
    /// Sentences where a party commits to a follow-up.
    pub next_steps: Vec<NextStep>,
    /// PII found in the transcript and replaced before storage.
    pub redactions: RedactionCounts,
    /// 0–100 call score.
    pub score: u8,
    /// Coaching recommendations, each with its evidence and benchmark.
    pub recommendations: Vec<Recommendation>,
    /// Every utterance in transcript order: speaker, start and end on the timeline (estimated
    /// when `timing` is), and its own VADER score. Empty in analyses stored before it existed.
    #[serde(default)]
    pub turns: Vec<Turn>,
    /// Monologues (a speaker's stretch of at least 60 s), interruptions, crosstalk and silences
    /// (at least 3 s), in start order; only monologues when `timing` is `estimated`; at most
    /// [`MAX_INTERVALS`], the longest, when a call has more. Empty in
    /// analyses stored before it existed.
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// How speaker labels became roles when the transcript had labels, not roles (standard
    /// Transcribe, channels, plain text with names): `inferred`, `labels`, `confidence`,
    /// `low_confidence` (the roles may be swapped) and `evidence`. Absent when the transcript
    /// named roles itself. Set from the call by [`Analyser::analyse_call`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<SpeakerRoles>,
    /// The tenant settings version (trackers, scorecard) this analysis was made with; absent
    /// when it was made with the built-in rules and criteria.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_version: Option<u64>,
}

/// The engine with its configuration prepared once (compiled tracker rules, the sentiment
/// lexicon); reuse one for many calls.
#[derive(Debug)]
pub struct Analyser {
    trackers: trackers::TrackerSet,
    sentiment: sentiment::SentimentScorer,
    /// A tenant's scorecard in place of the built-in criteria.
    scorecard: Option<Scorecard>,
    settings_version: Option<u64>,
}

impl Default for Analyser {
    fn default() -> Self {
        Self::new(trackers::default_rules())
    }
}

impl Analyser {
    pub fn new(rules: Vec<TrackerRule>) -> Self {
        Self::configured(rules, None, None)
    }

    /// The engine with a tenant's rules and scorecard (validated when they were stored), whose
    /// analyses record `settings_version`.
    pub fn configured(
        rules: Vec<TrackerRule>,
        scorecard: Option<Scorecard>,
        settings_version: Option<u64>,
    ) -> Self {
        Self {
            trackers: trackers::TrackerSet::new(rules),
            sentiment: sentiment::SentimentScorer::new(),
            scorecard,
            settings_version,
        }
    }

    /// Analyses a call as stored: its redacted transcript and duration, with how its speakers'
    /// roles were decided.
    pub fn analyse_call(&self, call: &Call, redactions: RedactionCounts) -> CallAnalysis {
        let mut analysis = self.analyse(&call.utterances, Some(call.duration_seconds), redactions);
        analysis.roles = call.roles.clone();
        analysis
    }

    /// Analyses one call whose transcript was redacted at ingest (`redactions` says what was
    /// replaced; it is reported, not recomputed). `duration_seconds` is the call's length when
    /// known (0 or `None` means unknown).
    pub fn analyse(
        &self,
        transcript: &Transcript,
        duration_seconds: Option<f64>,
        redactions: RedactionCounts,
    ) -> CallAnalysis {
        let timeline = Timeline::build(transcript, duration_seconds);
        let mut talk = conversation::measure(&timeline);
        let language = text::measure(&timeline);
        let (sentiment, turn_scores) = self.sentiment.summarize(&timeline);
        let mut turns = turns::turns(&timeline, &turn_scores);
        let mut intervals = std::mem::take(&mut talk.intervals);
        turns::cap(&mut intervals);
        turns::round(&mut turns, &mut intervals);
        let mut analysis = CallAnalysis {
            timing: timeline.timing,
            timing_source: Some(timeline.source),
            duration_seconds: timeline.duration,
            word_count: language.word_count,
            agent_talk_ratio: talk.agent_talk_ratio,
            talk_time_seconds: talk.talk_time_seconds,
            non_talk_time_seconds: talk.non_talk_time_seconds,
            interruptions: talk.interruptions,
            crosstalk_seconds: talk.crosstalk_seconds,
            talk_speed_wpm: talk.talk_speed_wpm,
            longest_monologue_seconds: talk.longest_monologue_seconds,
            longest_customer_story_seconds: talk.longest_customer_story_seconds,
            interactivity: talk.interactivity,
            patience_seconds: talk.patience_seconds,
            questions: language.questions,
            filler_words_per_minute: language.filler_words_per_minute,
            customer_sentiment_score: sentiment.customer.unwrap_or(0.0),
            sentiment,
            trackers: self.trackers.find(&timeline),
            next_steps: next_steps::find(&timeline),
            redactions,
            score: 0,
            recommendations: Vec::new(),
            turns,
            intervals,
            roles: None,
            settings_version: self.settings_version,
        };
        match &self.scorecard {
            Some(card) => {
                let (score, recommendations) = card.assess(&analysis, self.settings_version);
                analysis.score = score;
                analysis.recommendations = recommendations;
            }
            None => {
                let assessment = scoring::assess(&analysis);
                analysis.score = assessment.score;
                analysis.recommendations = assessment.recommendations;
            }
        }
        round_for_output(&mut analysis);
        analysis
    }
}

/// Rounds seconds to milliseconds and ratios, rates and scores to 4 decimals: more digits are
/// float noise (`59.699999999999974`), and rounding after scoring keeps the score exact.
fn round_for_output(a: &mut CallAnalysis) {
    let ms = |v: &mut f64| *v = (*v * 1_000.0).round() / 1_000.0;
    let r4 = |v: f64| (v * 10_000.0).round() / 10_000.0;
    for v in [
        &mut a.duration_seconds,
        &mut a.non_talk_time_seconds,
        &mut a.crosstalk_seconds,
        &mut a.longest_monologue_seconds,
        &mut a.longest_customer_story_seconds,
        &mut a.talk_time_seconds.agent,
        &mut a.talk_time_seconds.customer,
        &mut a.talk_time_seconds.other,
    ] {
        ms(v);
    }
    a.patience_seconds = a.patience_seconds.map(|p| (p * 1_000.0).round() / 1_000.0);
    a.agent_talk_ratio = r4(a.agent_talk_ratio);
    a.interactivity = r4(a.interactivity);
    a.filler_words_per_minute = r4(a.filler_words_per_minute);
    a.customer_sentiment_score = r4(a.customer_sentiment_score);
    a.talk_speed_wpm = a.talk_speed_wpm.map(|w| w.map(r4));
    let s = &mut a.sentiment;
    for v in [&mut s.agent, &mut s.customer, &mut s.other, &mut s.overall] {
        *v = v.map(r4);
    }
    s.quarters = s.quarters.map(|q| q.map(r4));
    for role in [
        &mut s.quarters_by_role.agent,
        &mut s.quarters_by_role.customer,
    ] {
        *role = role.map(|q| q.map(r4));
    }
}

/// Redacts a transcript that has not been redacted yet, then analyses it with the default
/// tracker rules (engine built once per process): what `callscope analyse` does with a file.
pub fn analyse(transcript: &Transcript, duration_seconds: Option<f64>) -> CallAnalysis {
    static DEFAULT: std::sync::OnceLock<Analyser> = std::sync::OnceLock::new();
    let (redacted, redactions) = redaction::redact_transcript(transcript);
    DEFAULT
        .get_or_init(Analyser::default)
        .analyse(&redacted, duration_seconds, redactions)
}
