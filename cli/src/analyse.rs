//! `callscope analyse FILE|-`: the analysis of one call, as JSON on stdout; with `--compare`, a
//! table of our figures beside the file's own Contact Lens / Call Analytics figures.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use callscope_core::fidelity::{self, Row};
use callscope_core::formats::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The call document or Transcribe / Contact Lens output; `-` reads stdin.
    file: PathBuf,
    /// auto, callscope, plain or transcribe.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// One line of JSON instead of pretty-printed.
    #[arg(long)]
    compact: bool,
    /// Print our figures beside the file's `ConversationCharacteristics` (Transcribe Call
    /// Analytics / Contact Lens) instead of the JSON; exits 1 when one is out of tolerance.
    #[arg(long)]
    compare: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let bytes = read_input(&args.file)?;
    // The input error already says which field broke which rule: print it as it is.
    let parsed = formats::parse_transcript(&bytes, args.format).map_err(anyhow::Error::new)?;
    let analysis = callscope_core::analyse(&parsed.transcript, parsed.duration_seconds);
    if args.compare {
        return compare(&bytes, &analysis);
    }
    let json = if args.compact {
        serde_json::to_string(&analysis)
    } else {
        serde_json::to_string_pretty(&analysis)
    }
    .context("writing the analysis as JSON")?;
    println!("{json}");
    Ok(())
}

fn compare(bytes: &[u8], analysis: &callscope_core::CallAnalysis) -> anyhow::Result<()> {
    let file: serde_json::Value = serde_json::from_slice(bytes).context("reading the file")?;
    let rows = fidelity::rows(analysis, &file);
    anyhow::ensure!(
        !rows.is_empty(),
        "the file has no ConversationCharacteristics to compare with (only Transcribe Call Analytics and Contact Lens files carry them)"
    );
    print!("{}", render(&rows));
    if rows.iter().all(Row::within) {
        Ok(())
    } else {
        std::process::exit(1)
    }
}

/// The rows as an aligned text table, one line per metric.
fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<24} {:>10} {:>10} {:>10}  {:<16} {}\n",
        "metric", "callscope", "file", "difference", "tolerance", "agrees"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<24} {:>10.2} {:>10.2} {:>+10.2}  {:<16} {}\n",
            r.metric,
            r.ours,
            r.theirs,
            r.ours - r.theirs,
            r.tolerance.describe(),
            if r.within() { "yes" } else { "NO" }
        ));
    }
    out
}

fn read_input(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
    } else {
        bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    }
    Ok(bytes)
}
