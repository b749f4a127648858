//! Talking at once: interruptions a person would call interruptions, and crosstalk time.
//!
//! Two people speaking at the same moment is common and mostly harmless: both say "Hello." as
//! the call connects, the listener says "mhm" to show they follow, the next speaker starts a
//! few hundred milliseconds before the last one's final word has faded. Counting every overlap
//! as an interruption (as callscope did) gave 7 on a call Contact Lens scored 0. So all overlap
//! is reported as [`crosstalk`] time, and only an overlap that cuts someone off counts as an
//! [`interruptions`] event:
//!
//! - the newcomer says more than a backchannel ([`is_backchannel`]);
//! - the interrupted party was mid-utterance: their utterance began at least
//!   [`MIN_INTERRUPTED_LEAD_SECONDS`] before the newcomer's (two turns starting within a second
//!   of each other are crosstalk at a turn start, neither cut the other off);
//! - both then speak at once for at least [`MIN_INTERRUPTION_OVERLAP_SECONDS`] (shorter overlaps
//!   are the normal hand-over between turns and channel timestamp jitter).
//!
//! "Speech" is the segment's words when the transcript has word times, its span otherwise (see
//! [`Segment::speech`]), so pauses inside a turn are not talked over. For the one-second test the
//! words are joined across gaps shorter than [`ARTICULATION_PAUSE_SECONDS`]: fluent speech has
//! such gaps between most words, and counting only the instants where both parties' word items
//! overlap measured a plain cut-off ("…if you sign for two years, which" / "Sorry, two years?")
//! at 0.83 s of 1.6 s talked over.

use crate::analysis::timeline::{Segment, Timeline};
use crate::analysis::turns::{Interval, IntervalKind};
use crate::analysis::PerRole;
use crate::domain::Role;

/// An overlap must last this long to be an interruption. One second is about three words at a
/// conversational 150 wpm: enough that the first speaker heard themselves talked over, longer
/// than the 200–500 ms overlap of ordinary turn hand-overs and than timestamp jitter between
/// two recorded channels.
pub const MIN_INTERRUPTION_OVERLAP_SECONDS: f64 = 1.0;
/// The interrupted utterance must have begun this long before the interrupting one: the first
/// speaker was mid-sentence, not starting a turn at the same time as the other.
pub const MIN_INTERRUPTED_LEAD_SECONDS: f64 = 1.0;
/// Gaps between words shorter than this are articulation, not pauses: the speaker is still
/// talking. 250 ms is the usual floor for a silent pause in speech research (Goldman-Eisler's
/// threshold), above the 0–100 ms between fluent words in ASR word times.
pub const ARTICULATION_PAUSE_SECONDS: f64 = 0.25;
/// Backchannels of at most this many words ("yeah, yeah, right") are listening, not taking the
/// floor.
const BACKCHANNEL_MAX_TOKENS: usize = 3;
/// Words that, alone or a few together, signal listening. Compared case- and
/// punctuation-insensitively, hyphens dropped ("Mm-hmm." → `mmhmm`, "Uh-huh" → `uhhuh`).
const BACKCHANNEL_WORDS: [&str; 22] = [
    "mhm", "mhmm", "mmhm", "mmhmm", "mm", "mmm", "hm", "hmm", "uhhuh", "uh", "huh", "yeah", "yep",
    "yup", "yes", "right", "okay", "ok", "sure", "alright", "gotcha", "exactly",
];

/// Whether an utterance is only a backchannel: 1–3 words, each one of [`BACKCHANNEL_WORDS`].
pub fn is_backchannel(text: &str) -> bool {
    let mut tokens = 0;
    for token in text.split(|c: char| c.is_whitespace() || c == ',') {
        let word: String = token
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if word.is_empty() {
            continue;
        }
        tokens += 1;
        if tokens > BACKCHANNEL_MAX_TOKENS || !BACKCHANNEL_WORDS.contains(&word.as_str()) {
            return false;
        }
    }
    tokens > 0
}

/// Interruptions per interrupting role, as defined in the module doc. A segment counts at most
/// once. For each other role the candidate is its segment reaching furthest into the call so
/// far (segments are in start order), which is the one still being spoken if any is. Each
/// interruption is pushed to `intervals`: from the newcomer's first word to where the two
/// segments stop overlapping.
pub fn interruptions(timeline: &Timeline<'_>, intervals: &mut Vec<Interval>) -> PerRole<u32> {
    let mut furthest: PerRole<Option<&Segment<'_>>> = PerRole::default();
    let mut counts = PerRole::<u32>::default();
    for s in &timeline.segments {
        let start = s.speech_start();
        let cut_off = Role::ALL
            .iter()
            .filter(|r| **r != s.role)
            .filter_map(|r| *furthest.get(*r))
            .find(|p| {
                start - p.speech_start() >= MIN_INTERRUPTED_LEAD_SECONDS
                    && overlap(p, s) >= MIN_INTERRUPTION_OVERLAP_SECONDS
            });
        if let Some(p) = cut_off.filter(|_| !is_backchannel(s.text)) {
            *counts.get_mut(s.role) += 1;
            let end = p.end.min(s.end);
            intervals.push(Interval::new(
                IntervalKind::Interruption,
                Some(s.role),
                start,
                end,
            ));
        }
        let slot = furthest.get_mut(s.role);
        if slot.is_none_or(|p| s.end > p.end) {
            *slot = Some(s);
        }
    }
    counts
}

/// Seconds during which both segments' speech runs are going on (a merge of two sorted interval
/// lists, without allocating: it runs for nearly every segment).
fn overlap(a: &Segment<'_>, b: &Segment<'_>) -> f64 {
    if a.end <= b.start || b.end <= a.start {
        return 0.0;
    }
    let (mut a, mut b) = (runs(a.speech()).peekable(), runs(b.speech()).peekable());
    let mut total = 0.0;
    while let (Some(x), Some(y)) = (a.peek().copied(), b.peek().copied()) {
        let (from, to) = (x.0.max(y.0), x.1.min(y.1));
        if to > from {
            total += to - from;
        }
        if x.1 < y.1 {
            a.next();
        } else {
            b.next();
        }
    }
    total
}

/// Time-ordered speech intervals with the gaps shorter than [`ARTICULATION_PAUSE_SECONDS`]
/// closed: the stretches a listener hears as continuous talk.
fn runs(speech: impl Iterator<Item = (f64, f64)>) -> impl Iterator<Item = (f64, f64)> {
    let mut speech = speech.peekable();
    std::iter::from_fn(move || {
        let (start, mut end) = speech.next()?;
        while let Some(&(next_start, next_end)) = speech.peek() {
            if next_start - end >= ARTICULATION_PAUSE_SECONDS {
                break;
            }
            end = end.max(next_end);
            speech.next();
        }
        Some((start, end))
    })
}

/// Crosstalk: seconds of the call during which two or more roles speak at once (each role's
/// own overlapping segments count once), backchannels and interruptions included. Each span of
/// crosstalk is pushed to `intervals`.
pub fn crosstalk(timeline: &Timeline<'_>, intervals: &mut Vec<Interval>) -> f64 {
    // +1 where a role's speech starts, −1 where it ends; sweep in time order.
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for role in Role::ALL {
        let speech = timeline
            .segments
            .iter()
            .filter(|s| s.role == role)
            .flat_map(Segment::speech);
        for (start, end) in merged(speech) {
            edges.push((start, 1));
            edges.push((end, -1));
        }
    }
    // Ends before starts at the same instant: touching is not overlapping.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut speaking, mut since, mut total) = (0, 0.0, 0.0);
    let mut open: Option<Interval> = None;
    for (at, delta) in edges {
        if speaking >= 2 {
            total += at - since;
        }
        // A span opens when a second role starts and closes when fewer than two speak.
        if speaking < 2 && speaking + delta >= 2 {
            open = Some(Interval::new(IntervalKind::Crosstalk, None, at, at));
        } else if speaking >= 2 && speaking + delta < 2 {
            if let Some(mut span) = open.take() {
                span.end_seconds = at;
                if span.end_seconds > span.start_seconds {
                    intervals.push(span);
                }
            }
        }
        speaking += delta;
        since = at;
    }
    total
}

/// Merged `[start, end]` intervals, in time order.
pub fn merged(intervals: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut intervals: Vec<(f64, f64)> = intervals.collect();
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}
