//! Speaker-role inference measured: labelled calls have their roles hidden (each speaker becomes
//! `spk_N` in order of first speech, as standard Transcribe labels them) and inferred again
//! (`callscope_core::roles`). Prints, per set, how many calls got the agent right, how many
//! were swapped, how the confident and low-confidence answers did, and what the old rule (the
//! first to speak is the agent) would have got. `make roles-report`, or
//! `cargo run -p callscope-core --example roles_report [-- --wrong]`.

#[path = "pii_report/eval.rs"]
mod eval;
#[path = "pii_report/generate.rs"]
#[allow(dead_code)]
mod generate;

use callscope_core::domain::{Role, Utterance};
use callscope_core::formats::{self, Format, ParseOptions};
use callscope_core::roles::{self, Tally, Trial};

fn utterance(speaker: Role, text: &str) -> Utterance {
    Utterance {
        speaker,
        text: text.to_owned(),
        start: None,
        end: None,
        word_times: Vec::new(),
    }
}

struct Set {
    name: &'static str,
    tally: Tally,
    wrong: Vec<String>,
}

impl Set {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            tally: Tally::default(),
            wrong: Vec::new(),
        }
    }

    fn add(&mut self, call: &str, utterances: &[Utterance]) {
        let Some(trial): Option<Trial> = roles::trial(utterances) else {
            return;
        };
        if !trial.right {
            self.wrong
                .push(format!("{call} (confidence {:.2})", trial.confidence));
        }
        self.tally.add(&trial);
    }
}

fn main() {
    let show_wrong = std::env::args().any(|a| a == "--wrong");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

    let mut written = Set::new("written (data/roles/calls.txt)");
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/roles/calls.txt"))
            .expect("data/roles/calls.txt");
    for (name, body) in roles::labelled_blocks(&text) {
        let (utterances, _) =
            formats::parse_plain(&body, &ParseOptions::default()).expect("a labelled call");
        written.add(name, &utterances);
    }

    let mut events = Set::new("sample calls (events/calls/*.json)");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/events/calls"))
        .expect("events/calls")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).expect("readable");
        if let Ok(parsed) = formats::parse_transcript(&bytes, Format::Auto) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            events.add(&name, parsed.transcript.utterances());
        }
    }

    let mut pii_written = Set::new("PII eval calls (data/pii/eval/*.txt)");
    let mut pii_files: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pii/eval"))
            .expect("data/pii/eval")
            .flatten()
            .map(|e| e.path())
            .collect();
    pii_files.sort();
    for path in pii_files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        for call in eval::parse(&stem, &text) {
            let utterances: Vec<Utterance> =
                call.turns.iter().map(|(r, t)| utterance(*r, t)).collect();
            pii_written.add(&call.name, &utterances);
        }
    }

    let mut pii_generated = Set::new("PII generator calls (examples/pii_report)");
    for call in eval::parse("generated", &generate::calls(1)) {
        let utterances: Vec<Utterance> = call.turns.iter().map(|(r, t)| utterance(*r, t)).collect();
        pii_generated.add(&call.name, &utterances);
    }

    let mut sampled = Set::new("sample generator (callscope-samples, 1–6 min)");
    for seed in 0..100u64 {
        let call = callscope_samples::generate_call(1 + (seed % 6) as u32, seed);
        sampled.add(&format!("seed {seed}"), call.utterances());
    }

    println!(
        "| set | calls | agent right | swapped | confident (right) | low confidence (right) | first speaker rule |"
    );
    println!("|---|---|---|---|---|---|---|");
    let sets = [written, events, pii_written, pii_generated, sampled];
    let mut all = Tally::default();
    for set in &sets {
        let t = set.tally;
        row(set.name, &t);
        all.calls += t.calls;
        all.right += t.right;
        all.confident += t.confident;
        all.confident_right += t.confident_right;
        all.first_speaker_right += t.first_speaker_right;
    }
    row("all", &all);
    if show_wrong {
        for set in &sets {
            for wrong in &set.wrong {
                println!("wrong: {}: {wrong}", set.name);
            }
        }
    }
}

fn row(name: &str, t: &Tally) {
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let low = t.calls - t.confident;
    let low_right = t.right - t.confident_right;
    println!(
        "| {name} | {} | {} ({:.0} %) | {} | {} ({}) | {} ({}) | {} ({:.0} %) |",
        t.calls,
        t.right,
        pct(t.right, t.calls),
        t.calls - t.right,
        t.confident,
        t.confident_right,
        low,
        low_right,
        t.first_speaker_right,
        pct(t.first_speaker_right, t.calls),
    );
}
