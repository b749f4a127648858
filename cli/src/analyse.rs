//! `callscope analyse FILE|-`: the analysis of one call, as JSON on stdout; with `--compare`, a
//! table of our figures beside the file's own Contact Lens / Call Analytics figures.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use callscope_core::fidelity::{self, Row};
use callscope_core::formats::{self, Format, ParseOptions};
use callscope_core::Role;

fn label_role(raw: &str) -> Result<(String, Role), String> {
    let (label, role) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?}: write LABEL=ROLE, as in ch_0=agent"))?;
    let role = Role::parse("speaker-role", role).map_err(|e| e.rule)?;
    Ok((label.trim().to_owned(), role))
}

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
    /// The role of a speaker or channel label, as a source setting would fix it
    /// (`--speaker-role ch_0=agent`); labels not given are inferred from what they say.
    #[arg(long = "speaker-role", value_name = "LABEL=ROLE", value_parser = label_role)]
    speaker_roles: Vec<(String, Role)>,
    /// Print our figures beside the file's `ConversationCharacteristics` (Transcribe Call
    /// Analytics / Contact Lens) instead of the JSON; exits 1 when one is out of tolerance.
    #[arg(long)]
    compare: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let bytes = read_input(&args.file)?;
    // The input error already says which field broke which rule: print it as it is.
    let options = ParseOptions {
        speaker_roles: args.speaker_roles.iter().cloned().collect(),
    };
    let parsed = formats::parse_transcript_with(&bytes, args.format, &options)
        .map_err(anyhow::Error::new)?;
    let mut analysis = callscope_core::analyse(&parsed.transcript, parsed.duration_seconds);
    analysis.roles = parsed.roles;
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
