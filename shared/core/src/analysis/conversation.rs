//! Conversation dynamics: talk time and ratio, silence, interruptions, speed, monologues,
//! interactivity and patience, all read off the [`Timeline`].

mod overlap;

use crate::analysis::timeline::{Segment, Timeline, Timing};
use crate::analysis::turns::{Interval, IntervalKind, MONOLOGUE_MIN_SECONDS};
use crate::analysis::PerRole;
use crate::domain::Role;

/// Gaps shorter than this are the rhythm of speech, not silence, and do not end a monologue.
pub const SILENCE_THRESHOLD_SECONDS: f64 = 3.0;
/// A measured utterance without word times is taken to speak for at most this long per word:
/// 0.6 s is 100 words per minute, slower than conversational speech (120–180 wpm), so a span
/// longer than that holds pauses the transcript does not mark. Contact Lens files have no word
/// times, and their short turns' spans run long: on a public 87 s file, "Okay? Hoping" spans
/// 3.4 s and "Okay? Oh," 4.7 s, and the agent's spans add up to 16.2 s where Contact Lens (from
/// its word times) reports 8.3 s; capped, 8.4 s.
pub const MAX_SECONDS_PER_WORD: f64 = 0.6;
/// A turn of at most this many words ("mm-hmm", "yeah, right") is a backchannel: it signals
/// listening and does not end the other party's monologue.
pub const BACKCHANNEL_MAX_WORDS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationMeasures {
    pub agent_talk_ratio: f64,
    pub talk_time_seconds: PerRole<f64>,
    pub non_talk_time_seconds: f64,
    pub interruptions: PerRole<u32>,
    pub crosstalk_seconds: f64,
    pub talk_speed_wpm: PerRole<Option<f64>>,
    pub longest_monologue_seconds: f64,
    pub longest_customer_story_seconds: f64,
    pub interactivity: f64,
    pub patience_seconds: Option<f64>,
    /// Monologues, interruptions, crosstalk and silences, in start order, found by the
    /// measures above as they run.
    pub intervals: Vec<Interval>,
}

pub fn measure(timeline: &Timeline<'_>) -> ConversationMeasures {
    let measured = timeline.timing == Timing::Measured;
    let talk_time_seconds = PerRole {
        agent: talk_time(timeline, Role::Agent),
        customer: talk_time(timeline, Role::Customer),
        other: talk_time(timeline, Role::Other),
    };
    let words = words_per_role(timeline);
    let talk_speed_wpm = PerRole {
        agent: words_per_minute(words.agent, talk_time_seconds.agent, measured),
        customer: words_per_minute(words.customer, talk_time_seconds.customer, measured),
        other: words_per_minute(words.other, talk_time_seconds.other, measured),
    };
    // Untimed transcripts only know words, so their ratio is by words (their estimated times are
    // proportional to words anyway; this keeps the definition explicit).
    let agent_talk_ratio = if measured {
        share(talk_time_seconds.agent, talk_time_seconds.customer)
    } else {
        share(words.agent as f64, words.customer as f64)
    };
    let mut intervals = Vec::new();
    let mut measures = ConversationMeasures {
        agent_talk_ratio,
        talk_time_seconds,
        non_talk_time_seconds: if measured {
            non_talk_time(timeline, &mut intervals)
        } else {
            0.0
        },
        interruptions: if measured {
            overlap::interruptions(timeline, &mut intervals)
        } else {
            PerRole::default()
        },
        crosstalk_seconds: if measured {
            overlap::crosstalk(timeline, &mut intervals)
        } else {
            0.0
        },
        talk_speed_wpm,
        longest_monologue_seconds: longest_stretch(timeline, Role::Agent, &mut intervals),
        longest_customer_story_seconds: longest_stretch(timeline, Role::Customer, &mut intervals),
        interactivity: interactivity(timeline),
        patience_seconds: patience(timeline),
        intervals: Vec::new(),
    };
    // Other speakers' monologues too: the timeline shows every speaker.
    longest_stretch(timeline, Role::Other, &mut intervals);
    intervals.sort_by(|a, b| a.start_seconds.total_cmp(&b.start_seconds));
    measures.intervals = intervals;
    measures
}

/// `part / (part + rest)`, 0 when both are 0.
fn share(part: f64, rest: f64) -> f64 {
    let total = part + rest;
    if total > 0.0 {
        (part / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn words_per_role(timeline: &Timeline<'_>) -> PerRole<usize> {
    let mut words = PerRole::<usize>::default();
    for s in &timeline.segments {
        *words.get_mut(s.role) += s.words;
    }
    words
}

fn words_per_minute(words: usize, seconds: f64, measured: bool) -> Option<f64> {
    (measured && seconds > 0.0).then(|| words as f64 / (seconds / 60.0))
}

/// Seconds a role spent speaking: the union of its talk, so its own overlaps count once. Talk is
/// its words when timed from words; a measured utterance's span otherwise, from its start and at
/// most [`MAX_SECONDS_PER_WORD`] per word (where in the span the pauses fell is unknown, so
/// silence and overlaps still read the whole span).
fn talk_time(timeline: &Timeline<'_>, role: Role) -> f64 {
    let measured = timeline.timing == Timing::Measured;
    overlap::merged(
        timeline
            .segments
            .iter()
            .filter(|s| s.role == role)
            .flat_map(|s| talk(s, measured)),
    )
    .iter()
    .map(|(start, end)| end - start)
    // fold from +0.0: an empty f64 sum is -0.0, which would print as `-0.0`.
    .fold(0.0, |total, length| total + length)
}

/// The intervals in which a segment counts as talking (see [`talk_time`]).
fn talk<'s>(s: &'s Segment<'_>, measured: bool) -> impl Iterator<Item = (f64, f64)> + 's {
    let capped = (measured && s.word_times.is_empty() && s.words > 0).then(|| {
        let length = s.length().min(s.words as f64 * MAX_SECONDS_PER_WORD);
        (s.start, s.start + length)
    });
    let speech = capped.is_none().then(|| s.speech());
    capped.into_iter().chain(speech.into_iter().flatten())
}

/// Total of the gaps of at least [`SILENCE_THRESHOLD_SECONDS`] where nobody speaks, from the
/// start of the call to its end (leading and trailing silence included); each gap is pushed to
/// `intervals`.
fn non_talk_time(timeline: &Timeline<'_>, intervals: &mut Vec<Interval>) -> f64 {
    let mut silence = 0.0;
    let mut clock = 0.0_f64;
    for (start, end) in overlap::merged(timeline.segments.iter().flat_map(Segment::speech)) {
        let gap = start - clock;
        if gap >= SILENCE_THRESHOLD_SECONDS {
            silence += gap;
            intervals.push(Interval::new(IntervalKind::Silence, None, clock, start));
        }
        clock = clock.max(end);
    }
    let trailing = timeline.duration - clock;
    if trailing >= SILENCE_THRESHOLD_SECONDS {
        silence += trailing;
        let end = timeline.duration;
        intervals.push(Interval::new(IntervalKind::Silence, None, clock, end));
    }
    silence
}

/// The longest stretch of `role`'s speech: its consecutive segments join while the gap between
/// them is under [`SILENCE_THRESHOLD_SECONDS`] and nobody else says more than a backchannel in
/// between. A stretch lasts from its first start to its last end. Stretches of at least
/// [`MONOLOGUE_MIN_SECONDS`] are pushed to `intervals`.
fn longest_stretch(timeline: &Timeline<'_>, role: Role, intervals: &mut Vec<Interval>) -> f64 {
    let mut longest = 0.0_f64;
    let mut current: Option<(f64, f64)> = None;
    let mut close = |(start, end): (f64, f64)| {
        if end - start >= MONOLOGUE_MIN_SECONDS {
            intervals.push(Interval::new(
                IntervalKind::Monologue,
                Some(role),
                start,
                end,
            ));
        }
        longest = longest.max(end - start);
    };
    for s in &timeline.segments {
        if s.role == role {
            current = match current {
                Some((start, end)) if s.start - end < SILENCE_THRESHOLD_SECONDS => {
                    Some((start, end.max(s.end)))
                }
                Some(stretch) => {
                    close(stretch);
                    Some((s.start, s.end))
                }
                None => Some((s.start, s.end)),
            };
        } else if s.words > BACKCHANNEL_MAX_WORDS {
            if let Some(stretch) = current.take() {
                close(stretch);
            }
        }
    }
    if let Some(stretch) = current {
        close(stretch);
    }
    longest.max(0.0)
}

/// Speaker switches between agent and customer (other speakers ignored) per minute of call.
fn interactivity(timeline: &Timeline<'_>) -> f64 {
    if timeline.duration < 1.0 {
        return 0.0;
    }
    let mut previous: Option<Role> = None;
    let mut switches = 0_u32;
    for s in timeline.segments.iter().filter(|s| s.role != Role::Other) {
        if previous.is_some_and(|p| p != s.role) {
            switches += 1;
        }
        previous = Some(s.role);
    }
    f64::from(switches) / (timeline.duration / 60.0)
}

/// Mean pause between the end of a customer turn and the start of the agent turn right after it
/// (an agent who starts before the customer finished waited 0 s).
fn patience(timeline: &Timeline<'_>) -> Option<f64> {
    let pauses: Vec<f64> = timeline
        .segments
        .windows(2)
        .filter(|pair| pair[0].role == Role::Customer && pair[1].role == Role::Agent)
        .map(|pair| (pair[1].start - pair[0].end).max(0.0))
        .collect();
    (!pauses.is_empty()).then(|| pauses.iter().sum::<f64>() / pauses.len() as f64)
}

#[cfg(test)]
mod tests;
