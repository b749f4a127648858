//! A deterministic generator of realistic sales calls for benchmarks, property tests, the
//! end-to-end tests and the load generator: alternating agent/customer turns at about 150 words
//! per minute, built from sentences a B2B discovery call contains (questions, pricing,
//! objections, fillers, next steps), with the occasional overlap and pause.

pub mod adversarial;

use serde_json::{json, Value};

use callscope_core::domain::{Role, Transcript, Utterance};

const AGENT_LINES: [&str; 14] = [
    "Thanks for taking the time today, this call is being recorded for quality.",
    "What made you look for a new solution this quarter?",
    "How many reps are on the team today?",
    "Um, so basically the platform scores every call automatically.",
    "What does your current process look like after a call?",
    "That makes sense, and it is exactly where teams like yours see gains.",
    "Our pricing is sixty dollars per seat per month, with a discount for annual plans.",
    "Who else would be involved in the decision?",
    "You know, most customers are live within two weeks.",
    "How do your managers coach reps right now?",
    "I'll send you the proposal and a short ROI summary by Friday.",
    "Let's schedule a demo with your VP next week.",
    "What would success look like six months from now?",
    "I understand, and we can start with a smaller pilot.",
];
const CUSTOMER_LINES: [&str; 12] = [
    "We currently use Salesforce and a lot of spreadsheets.",
    "Honestly our managers have no idea what happens on calls.",
    "Forty reps, across two regions.",
    "Mm-hmm.",
    "That sounds great, I really like the coaching part.",
    "It is a bit too expensive for us right now.",
    "I would need to check with my boss before we sign anything.",
    "What does the onboarding look like?",
    "Yeah.",
    "We missed our target last quarter and we want to fix that.",
    "Sounds good, we will loop in our CFO next week.",
    "Can you send it to jordan@example.com?",
];

/// SplitMix64: tiny, fast and good enough to vary sample calls reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A timed call of about `minutes` minutes (at least one turn).
pub fn generate_call(minutes: u32, seed: u64) -> Transcript {
    let utterances = generate_utterances(minutes, seed);
    // The generator only emits non-empty, ordered, non-negative turns, so this cannot fail;
    // a single-turn transcript is the fallback that keeps the signature total.
    Transcript::new(utterances).unwrap_or_else(|_| fallback())
}

fn fallback() -> Transcript {
    Transcript::new(vec![Utterance {
        speaker: Role::Agent,
        text: "Hello.".into(),
        start: Some(0.0),
        end: Some(1.0),
        word_times: Vec::new(),
    }])
    .unwrap_or_else(|_| unreachable!("a one-turn transcript is valid"))
}

fn generate_utterances(minutes: u32, seed: u64) -> Vec<Utterance> {
    let mut rng = Rng(seed);
    let target = f64::from(minutes.max(1)) * 60.0;
    let mut clock = 0.0_f64;
    let mut utterances = Vec::new();
    let mut speaker = Role::Agent;
    while clock < target {
        let lines: &[&str] = if speaker == Role::Agent {
            &AGENT_LINES
        } else {
            &CUSTOMER_LINES
        };
        let sentences = 1 + rng.below(3);
        let text: Vec<&str> = (0..sentences)
            .map(|_| lines[rng.below(lines.len())])
            .collect();
        let text = text.join(" ");
        let words = text.split_whitespace().count() as f64;
        // ~150 wpm, ±20%.
        let length = words / 2.5 * (0.8 + rng.below(40) as f64 / 100.0);
        // Mostly short gaps, sometimes a pause, sometimes an overlap (interruption).
        let gap = match rng.below(10) {
            0 => -0.8,
            1 => 3.5,
            _ => 0.3 + rng.below(8) as f64 / 10.0,
        };
        let start = (clock + gap).max(
            utterances
                .last()
                .map_or(0.0, |u: &Utterance| u.start.unwrap_or(0.0)),
        );
        let end = start + length;
        utterances.push(Utterance {
            speaker,
            text,
            start: Some(round(start)),
            end: Some(round(end)),
            word_times: Vec::new(),
        });
        clock = clock.max(end);
        speaker = if speaker == Role::Agent {
            Role::Customer
        } else {
            Role::Agent
        };
    }
    utterances
}

fn round(seconds: f64) -> f64 {
    (seconds * 1_000.0).round() / 1_000.0
}

/// The same call as a callscope JSON call document.
pub fn generate_call_document(minutes: u32, seed: u64, call_id: &str) -> Value {
    let transcript = generate_call(minutes, seed);
    let duration = transcript.timed_length_seconds().unwrap_or(0.0).ceil();
    json!({
        "call_id": call_id,
        "agent_id": format!("agent-{}", seed % 7),
        "customer_id": format!("customer-{seed}"),
        "team_id": if seed % 2 == 0 { "east" } else { "west" },
        "language": "en",
        "start_time": "2026-11-02T09:00:00Z",
        "duration_seconds": duration,
        "utterances": transcript.utterances(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thirty_minute_call_has_about_the_words_of_thirty_minutes() {
        let t = generate_call(30, 7);
        let words: usize = t
            .utterances()
            .iter()
            .map(|u| u.text.split_whitespace().count())
            .sum();
        assert!((3_000..6_000).contains(&words), "{words} words");
        let end = t.timed_length_seconds().expect("timed");
        assert!((1_800.0..1_900.0).contains(&end), "{end} s");
    }

    #[test]
    fn the_same_seed_gives_the_same_call() {
        assert_eq!(generate_call(5, 42), generate_call(5, 42));
        assert_ne!(generate_call(5, 42), generate_call(5, 43));
    }

    #[test]
    fn call_documents_parse_as_calls() {
        let doc = generate_call_document(3, 9, "call-9");
        let call = callscope_core::formats::parse_value(doc, callscope_core::formats::Format::Auto)
            .expect("valid call");
        assert_eq!(call.call_id.as_str(), "call-9");
    }
}
