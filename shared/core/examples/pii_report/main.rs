//! Recall and precision of PII redaction per type on the labelled evaluation set: generated
//! calls (every type in every form) plus the hand-written calls in `data/pii/eval/`.
//! `make pii-report` (`cargo run -p callscope-core --example pii_report [-- --misses]`).

mod eval;
mod generate;

use callscope_core::redaction::Redactor;

fn main() {
    let show_misses = std::env::args().any(|a| a == "--misses");
    if let Some(i) = std::env::args().position(|a| a == "--show") {
        let n: usize = std::env::args()
            .nth(i + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        println!(
            "{}",
            generate::calls(2).split("\n---\n").nth(n).unwrap_or("")
        );
        return;
    }
    let redactor = Redactor::default();
    let generated = eval::parse("generated", &generate::calls(2));
    let mut written = Vec::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pii/eval");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("data/pii/eval")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        let text = std::fs::read_to_string(path).expect("readable");
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        written.extend(eval::parse(&name, &text));
    }
    for (title, calls) in [("generated", &generated), ("hand-written", &written)] {
        let mut misses = Vec::new();
        let tallies = eval::score(calls, &redactor, &mut misses);
        println!("\n{title}: {} calls", calls.len());
        println!(
            "{:<22} {:>5} {:>8} {:>8} {:>6} {:>10}",
            "type", "gold", "recall", "hidden", "found", "precision"
        );
        for (pii, t) in &tallies {
            println!(
                "{:<22} {:>5} {:>7.1}% {:>7.1}% {:>6} {:>9.1}%",
                pii.as_str(),
                t.gold,
                t.recall() * 100.0,
                t.hidden_rate() * 100.0,
                t.predicted,
                t.precision() * 100.0
            );
        }
        if show_misses {
            for m in &misses {
                println!("  {m}");
            }
        }
    }
    println!("\nrecall: found as its type and wholly replaced; hidden: wholly replaced by any placeholder;");
    println!("precision: replaced spans that overlap a labelled span of their type.");
}
