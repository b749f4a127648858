//! Hand-made transcripts for the metric tests: timed turns and untimed lines.

use crate::domain::{Role, Transcript, Utterance};

/// A transcript of `(speaker, text, start, end)` turns.
pub fn timed(turns: &[(Role, &str, f64, f64)]) -> Transcript {
    transcript(
        turns
            .iter()
            .map(|&(speaker, text, start, end)| (speaker, text, Some(start), Some(end))),
    )
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
            })
            .collect(),
    )
    .expect("valid transcript")
}
