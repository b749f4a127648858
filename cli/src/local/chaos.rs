//! `callscope local chaos`: the chaos run on the local cloud — calls in over HTTP, bulk, the
//! intake queue and the drop-in bucket, some erased and re-analysed, under injected faults,
//! crashes, cut-offs, duplicates, poison and a Redis outage — then the invariants checked and
//! the account printed as a table (exits non-zero when one does not hold).

use std::path::PathBuf;

use callscope_local::chaos::{self, ChaosPlan};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = super::TEMPLATE)]
    template: PathBuf,
    /// Calls to send (sized for moto: about ten minutes on 2 shared cores, see the README).
    #[arg(long, default_value_t = 1_000)]
    calls: usize,
    /// Varies the calls and which messages are failed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the run's queues and tables (named `chaos-<pid>-…`) to inspect them.
    #[arg(long)]
    keep: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let prefix = format!("chaos-{}-", std::process::id());
    let plan = ChaosPlan {
        seed: args.seed,
        ..ChaosPlan::sized(args.calls)
    };
    println!("chaos run of {} calls under prefix {prefix}…", plan.calls);
    let report = chaos::run(&args.template, &prefix, &plan, args.keep).await?;
    println!("{report}");
    anyhow::ensure!(
        report.passed(),
        "the chaos run broke {} promise(s)",
        report.failures().len()
    );
    Ok(())
}
