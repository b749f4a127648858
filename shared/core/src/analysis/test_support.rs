//! Hand-made transcripts for the metric tests: timed turns and untimed lines.

use crate::domain::{Role, Transcript, Utterance, WordTime};

/// A transcript of `(speaker, text, start, end)` turns.
pub fn timed(turns: &[(Role, &str, f64, f64)]) -> Transcript {
    transcript(
        turns
            .iter()
            .map(|&(speaker, text, start, end)| (speaker, text, Some(start), Some(end))),
    )
}

/// A turn with its words' `(start, end)` times.
pub type WordedTurn<'a> = (Role, &'a str, &'a [(f64, f64)]);

/// A transcript of worded turns, each spanning its first to last word.
pub fn worded(turns: &[WordedTurn<'_>]) -> Transcript {
    let utterances = turns
        .iter()
        .map(|&(speaker, text, words)| Utterance {
            speaker,
            text: text.to_owned(),
            start: words.first().map(|w| w.0),
            end: words.last().map(|w| w.1),
            word_times: words
                .iter()
                .map(|&(start, end)| WordTime { start, end })
                .collect(),
        })
        .collect();
    Transcript::new(utterances).expect("valid transcript")
}

/// A transcript of `(speaker, text)` lines without times.
pub fn untimed(turns: &[(Role, &str)]) -> Transcript {
    transcript(
        turns
            .iter()
            .map(|&(speaker, text)| (speaker, text, None, None)),
    )
}

fn transcript<'a>(
    turns: impl Iterator<Item = (Role, &'a str, Option<f64>, Option<f64>)>,
) -> Transcript {
    Transcript::new(
        turns
            .map(|(speaker, text, start, end)| Utterance {
                speaker,
                text: text.to_owned(),
                start,
                end,
                word_times: Vec::new(),
            })
            .collect(),
    )
    .expect("valid transcript")
}
