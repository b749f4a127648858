//! The call as the page draws it: each utterance's span and sentiment (`turns`), and the spans
//! the conversation measures are made of (`intervals`: monologues, interruptions, crosstalk,
//! silences). Both are by-products of passes the engine already makes, not a second pass.

use serde::{Deserialize, Serialize};

use crate::analysis::timeline::Timeline;
use crate::domain::Role;

/// A stretch of one role (as `longest_monologue_seconds` joins them) lasting at least this long
/// is reported as a monologue interval: a minute is long enough that the listener has had no
/// say, well under the 150 s the score's benchmark flags.
pub const MONOLOGUE_MIN_SECONDS: f64 = 60.0;

/// At most this many intervals are kept (the longest, when a call has more): a 60-minute
/// generated call has about 100, and a call of `MAX_UTTERANCES` turns that all talk over each
/// other could have 20,000, too many to store in one item. Turns need no cap of their own:
/// there is one per utterance, and utterances are capped at ingest.
pub const MAX_INTERVALS: usize = 2_000;

/// One utterance on the call's time axis (measured or estimated, see `timing`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Role,
    pub start_seconds: f64,
    pub end_seconds: f64,
    /// VADER compound score of the utterance in [-1, 1]; `null` when it has no words.
    pub sentiment: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalKind {
    /// A stretch of one speaker of at least [`MONOLOGUE_MIN_SECONDS`].
    Monologue,
    /// An interrupting utterance, from its start to the end of the talk it cut into; `speaker`
    /// is the one who interrupted.
    Interruption,
    /// Two or more roles speaking at once.
    Crosstalk,
    /// Nobody speaking for at least 3 s.
    Silence,
}

/// A span of the call with a meaning; `speaker` is set for monologues and interruptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub kind: IntervalKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<Role>,
    pub start_seconds: f64,
    pub end_seconds: f64,
}

impl Interval {
    pub fn new(kind: IntervalKind, speaker: Option<Role>, start: f64, end: f64) -> Self {
        Self {
            kind,
            speaker,
            start_seconds: start,
            end_seconds: end,
        }
    }
}

/// The turns of `timeline`, with `scores[i]` the sentiment of segment `i`.
pub fn turns(timeline: &Timeline<'_>, scores: &[Option<f64>]) -> Vec<Turn> {
    timeline
        .segments
        .iter()
        .zip(scores)
        .map(|(s, score)| Turn {
            speaker: s.role,
            start_seconds: s.start,
            end_seconds: s.end,
            sentiment: *score,
        })
        .collect()
}

/// Keeps the [`MAX_INTERVALS`] longest of `intervals` (earlier first among equals), in start
/// order.
pub fn cap(intervals: &mut Vec<Interval>) {
    if intervals.len() <= MAX_INTERVALS {
        return;
    }
    let length = |i: &Interval| i.end_seconds - i.start_seconds;
    intervals.sort_by(|a, b| length(b).total_cmp(&length(a)));
    intervals.truncate(MAX_INTERVALS);
    intervals.sort_by(|a, b| a.start_seconds.total_cmp(&b.start_seconds));
}

/// Rounds times to milliseconds and sentiment to 4 decimals, as the other fields are.
pub fn round(turns: &mut [Turn], intervals: &mut [Interval]) {
    let ms = |v: f64| (v * 1_000.0).round() / 1_000.0;
    for t in turns {
        t.start_seconds = ms(t.start_seconds);
        t.end_seconds = ms(t.end_seconds);
        t.sentiment = t.sentiment.map(|v| (v * 10_000.0).round() / 10_000.0);
    }
    for i in intervals {
        i.start_seconds = ms(i.start_seconds);
        i.end_seconds = ms(i.end_seconds);
    }
}

#[cfg(test)]
mod tests;
