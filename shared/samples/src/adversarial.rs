//! Adversarial calls: transcripts built to hit each analysis stage's worst case, sized by the
//! caller up to the input limits (`MAX_TRANSCRIPT_BYTES` of text, `MAX_UTTERANCES` turns). The
//! benchmarks hold every case to a budget of the same order as a normal call of its size, and
//! check that time grows linearly with length.

use callscope_core::domain::{Role, Transcript, Utterance, MAX_UTTERANCES};

/// One adversarial case: a name and how to build it at a given text size.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub build: fn(usize) -> Transcript,
}

/// One long sentence (no terminator) of `unit` repeated up to `bytes` of text.
fn one_sentence(unit: &str, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes);
    while text.len() + unit.len() < bytes {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(unit);
    }
    if text.is_empty() {
        text.push_str(unit);
    }
    text
}

/// One agent turn holding all the text, timed over a minute per 900 bytes (~150 wpm).
fn one_turn(text: String) -> Transcript {
    let seconds = (text.len() as f64 / 900.0 * 60.0).max(1.0);
    Transcript::new(vec![Utterance {
        speaker: Role::Agent,
        text,
        start: Some(0.0),
        end: Some(seconds),
        word_times: Vec::new(),
    }])
    .unwrap_or_else(|e| panic!("an adversarial case must be a valid transcript: {e}"))
}

fn repeated(unit: &'static str) -> impl Fn(usize) -> Transcript {
    move |bytes| one_turn(one_sentence(unit, bytes))
}

/// Alternating one-word turns, as many as the text allows (at most `MAX_UTTERANCES`), each
/// overlapping the one before.
fn tiny_utterances(bytes: usize) -> Transcript {
    let count = (bytes / 4).clamp(1, MAX_UTTERANCES);
    let utterances = (0..count)
        .map(|i| Utterance {
            speaker: if i % 2 == 0 {
                Role::Agent
            } else {
                Role::Customer
            },
            text: "Yes?".into(),
            start: Some(i as f64 * 0.5),
            end: Some(i as f64 * 0.5 + 0.8),
            word_times: Vec::new(),
        })
        .collect();
    Transcript::new(utterances)
        .unwrap_or_else(|e| panic!("an adversarial case must be a valid transcript: {e}"))
}

fn huge_word(bytes: usize) -> Transcript {
    one_turn("a".repeat(bytes.max(1)))
}

fn digit_run(bytes: usize) -> Transcript {
    one_turn("4".repeat(bytes.max(1)))
}

macro_rules! cases {
    ($($name:literal => $build:expr),* $(,)?) => {
        [$(Case { name: $name, build: { fn build(bytes: usize) -> Transcript { ($build)(bytes) } build } }),*]
    };
}

/// Every case, in a stable order.
pub fn cases() -> Vec<Case> {
    cases![
        "tracker_word" => repeated("price"),
        "tracker_phrase" => repeated("we currently use"),
        "negated_tracker" => repeated("not interested in price"),
        "next_step_phrase" => repeated("I'll send you the proposal"),
        "explicit_next_step" => repeated("next step"),
        "negated_next_step" => repeated("I won't send it"),
        "boosters" => repeated("very really extremely good"),
        "idioms" => repeated("the bomb yeah right kiss of death"),
        "negations" => repeated("not never good"),
        "but_clauses" => repeated("good but bad"),
        "questions" => repeated("why?"),
        "fillers" => repeated("um you know"),
        "card_digits" => repeated("4111 1111 1111 1111"),
        "failed_luhn_digits" => repeated("4111 1111 1111 1112"),
        "phone_numbers" => repeated("+1 (415) 555-0100"),
        "digit_run" => digit_run,
        "spoken_digits" => repeated("four one one one double five oh"),
        "spelled_letters" => repeated("L O C K W O O D"),
        "pii_cues" => repeated("my account number is the last four security code my name is"),
        "street_words" => repeated("42 Elm Street Springfield Illinois"),
        "emails" => repeated("a@b.co"),
        "email_like" => repeated("a.b.c.d@e"),
        "emoji" => repeated("😀🔥👍"),
        "capitals" => repeated("GREAT Terrible"),
        "huge_word" => huge_word,
        "tiny_utterances" => tiny_utterances,
    ]
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_core::domain::MAX_TRANSCRIPT_BYTES;

    #[test]
    fn every_case_is_a_valid_transcript_at_the_input_limit() {
        for case in cases() {
            let t = (case.build)(MAX_TRANSCRIPT_BYTES);
            let bytes: usize = t.utterances().iter().map(|u| u.text.len()).sum();
            assert!(
                bytes <= MAX_TRANSCRIPT_BYTES,
                "{}: {bytes} bytes",
                case.name
            );
            assert!(
                bytes > MAX_TRANSCRIPT_BYTES / 10,
                "{}: {bytes} bytes",
                case.name
            );
        }
    }
}
