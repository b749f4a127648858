//! `callscope analyze FILE|-`: the analysis of one call, as JSON on stdout.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
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
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let bytes = read_input(&args.file)?;
    // The input error already says which field broke which rule: print it as it is.
    let parsed = formats::parse_transcript(&bytes, args.format).map_err(anyhow::Error::new)?;
    let analysis = callscope_core::analyze(&parsed.transcript, parsed.duration_seconds);
    let json = if args.compact {
        serde_json::to_string(&analysis)
    } else {
        serde_json::to_string_pretty(&analysis)
    }
    .context("writing the analysis as JSON")?;
    println!("{json}");
    Ok(())
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
