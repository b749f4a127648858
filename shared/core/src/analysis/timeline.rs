//! The call as segments on one time axis, measured or estimated, that every metric reads.
//!
//! Timed transcripts keep their own start/end times. Untimed ones (plain `Agent: …` text) are
//! laid end to end with each utterance's length proportional to its words: over the call's
//! `duration_seconds` when known, otherwise at a nominal 150 words per minute (a typical
//! conversational rate). Estimated timelines have no gaps and no overlaps, so silence- and
//! interruption-based metrics are 0 for them.

use serde::{Deserialize, Serialize};

use std::ops::Range;

use crate::analysis::text::word_count;
use crate::analysis::tokens::{class, push_ascii_tokens, AsciiToken};
use crate::domain::{Role, Transcript, WordTime};

/// Nominal speaking rate used to place untimed utterances when the call length is unknown.
pub const NOMINAL_WORDS_PER_SECOND: f64 = 150.0 / 60.0;

/// Whether the times on a [`Timeline`] came from the transcript or were estimated from words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Measured,
    Estimated,
}

/// What the measured times are read from: word times (`words`), when every utterance that says
/// something has them, so pauses inside a turn are not talk; utterance spans (`segments`)
/// otherwise, including files where only some turns have word times (mixing the two would
/// count one party's pauses and not the other's); `estimated` for untimed transcripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingSource {
    Words,
    Segments,
    Estimated,
}

/// One utterance placed on the call's time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment<'a> {
    /// Position of the utterance in the transcript.
    pub index: usize,
    pub role: Role,
    pub text: &'a str,
    pub start: f64,
    pub end: f64,
    pub words: usize,
    /// The words' times when the timeline is measured from words; empty otherwise.
    pub word_times: &'a [WordTime],
    /// Where the text's tokens are in [`Timeline::tokens`] when it is ASCII; `None` otherwise.
    pub tokens: Option<Range<usize>>,
}

impl Segment<'_> {
    pub fn length(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }

    /// The `(start, end)` intervals in which this segment is actually speaking, in time order:
    /// its words when the timeline is measured from words, its whole span otherwise.
    pub fn speech(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let span = self.word_times.is_empty().then_some((self.start, self.end));
        span.into_iter()
            .chain(self.word_times.iter().map(|w| (w.start, w.end)))
    }

    /// When the segment's speech begins.
    pub fn speech_start(&self) -> f64 {
        self.speech().next().map_or(self.start, |(start, _)| start)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline<'a> {
    pub segments: Vec<Segment<'a>>,
    pub timing: Timing,
    pub source: TimingSource,
    /// Length of the call in seconds: the larger of the given duration and the last end.
    pub duration: f64,
    /// The tokens of every ASCII segment, split once here for every measure that reads words.
    pub tokens: Vec<AsciiToken>,
}

impl<'a> Timeline<'a> {
    pub fn build(transcript: &'a Transcript, duration_seconds: Option<f64>) -> Self {
        let given = duration_seconds.filter(|d| d.is_finite() && *d > 0.0);
        let utterances = transcript.utterances();
        // Room for a token every four bytes (English runs near six), so it seldom grows.
        let bytes: usize = utterances.iter().map(|u| u.text.len()).sum();
        let mut tokens = Vec::with_capacity(bytes / 4 + 1);
        let counted: Vec<(usize, Option<Range<usize>>)> = utterances
            .iter()
            .map(|u| count_words(&u.text, &mut tokens))
            .collect();
        if transcript.is_timed() {
            let mut segments: Vec<Segment<'a>> = utterances
                .iter()
                .zip(counted)
                .enumerate()
                .map(|(index, (u, (words, token_range)))| Segment {
                    index,
                    role: u.speaker,
                    text: &u.text,
                    start: u.start.unwrap_or(0.0),
                    end: u.end.unwrap_or(0.0),
                    words,
                    word_times: &u.word_times,
                    tokens: token_range,
                })
                .collect();
            let from_words = segments
                .iter()
                .all(|s| s.words == 0 || !s.word_times.is_empty());
            if !from_words {
                for s in &mut segments {
                    s.word_times = &[];
                }
            }
            let last_end = segments
                .iter()
                .flat_map(|s| s.speech().map(|(_, end)| end).chain([s.end]))
                .fold(0.0, f64::max);
            return Self {
                segments,
                timing: Timing::Measured,
                source: if from_words {
                    TimingSource::Words
                } else {
                    TimingSource::Segments
                },
                duration: given.unwrap_or(0.0).max(last_end),
                tokens,
            };
        }
        let total_words: usize = counted.iter().map(|(words, _)| words).sum();
        let duration = given.unwrap_or(total_words as f64 / NOMINAL_WORDS_PER_SECOND);
        let seconds_per_word = if total_words == 0 {
            0.0
        } else {
            duration / total_words as f64
        };
        let mut clock = 0.0;
        let segments = utterances
            .iter()
            .zip(counted)
            .enumerate()
            .map(|(index, (u, (words, token_range)))| {
                let start = clock;
                clock += words as f64 * seconds_per_word;
                Segment {
                    index,
                    role: u.speaker,
                    text: &u.text,
                    start,
                    end: clock,
                    words,
                    word_times: &[],
                    tokens: token_range,
                }
            })
            .collect();
        Self {
            segments,
            timing: Timing::Estimated,
            source: TimingSource::Estimated,
            duration,
            tokens,
        }
    }

    /// The tokens of `segment`'s text when it is ASCII.
    pub fn tokens_of(&self, segment: &Segment<'_>) -> Option<&[AsciiToken]> {
        segment
            .tokens
            .clone()
            .and_then(|range| self.tokens.get(range))
    }
}

/// The number of words in `text`, and when it is ASCII, where its tokens, appended to `tokens`,
/// are: the words are its tokens with a letter or digit (trimming never removes one).
fn count_words(text: &str, tokens: &mut Vec<AsciiToken>) -> (usize, Option<Range<usize>>) {
    if !text.is_ascii() {
        return (word_count(text), None);
    }
    let first = tokens.len();
    push_ascii_tokens(text.as_bytes(), tokens);
    let words = tokens[first..]
        .iter()
        .filter(|t| t.has(class::ALPHANUMERIC))
        .count();
    (words, Some(first..tokens.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_support::untimed;

    #[test]
    fn untimed_utterances_share_the_given_duration_by_words() {
        let t = untimed(&[(Role::Agent, "one two three"), (Role::Customer, "four")]);
        let timeline = Timeline::build(&t, Some(40.0));
        assert_eq!(timeline.timing, Timing::Estimated);
        assert_eq!(timeline.segments[0].end, 30.0);
        assert_eq!(timeline.segments[1].start, 30.0);
        assert_eq!(timeline.segments[1].end, 40.0);
    }

    #[test]
    fn untimed_utterances_without_duration_use_the_nominal_rate() {
        let t = untimed(&[(Role::Agent, "one two three four five")]);
        let timeline = Timeline::build(&t, None);
        assert_eq!(timeline.duration, 2.0);
    }
}
