//! The chaos run, small: a few hundred calls through the whole pipeline (HTTP, the intake queue
//! and objects in the drop-in bucket; some erased before, while and after they are processed,
//! some re-analysed before and after the tenants' scorecards change) under every kind of fault
//! it injects (SDK faults in the stores and queues, invocations crashing partway, cut off past
//! their deadline or run twice, messages failed before and after their work, poison, a Redis
//! outage, the sweeper firing mid-flight), after which nothing accepted is lost, erased calls
//! are gone everywhere, every refusal is explained and no call is counted twice. `make chaos`
//! runs the same with more.

use callscope_local::chaos::{self, ChaosPlan};
use callscope_tests::workspace_root;

/// Sized for moto (one request at a time): 200 calls took 110 s before erasures, re-analyses
/// and S3 objects were mixed in (135 s after, the load at 8), 160 stay near the old time; 8
/// rounds of 20 still send every kind of poison (one kind a round) and make 3 calls FAILED.
const CALLS: usize = 160;

#[tokio::test]
async fn a_chaos_run_loses_nothing_counts_nothing_twice_and_explains_every_refusal() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run `make test`"
    );
    let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let plan = ChaosPlan {
        // More mischief per batch than the long run, so every kind strikes in a short one.
        mischief_period: 8,
        fail_one_in: 60,
        ..ChaosPlan::sized(CALLS)
    };
    let report = chaos::run(
        &workspace_root().join("infra/template.yaml"),
        &prefix,
        &plan,
        false,
    )
    .await
    .unwrap_or_else(|error| panic!("the chaos run did not complete: {error:#}"));
    eprintln!("{report}");
    assert_eq!(report.failures(), Vec::<String>::new(), "{report}");
}
