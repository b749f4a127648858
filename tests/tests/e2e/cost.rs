//! What a call costs, by the request meter on the local pipeline: fixed generated calls of 5 and
//! 30 minutes go through ingest, process and aggregate, and their write and read units per call
//! must stay at what the storage design costs (measured: 24.2 and 30.5 write units; 26.7 and 35.7
//! since the analysis item carries each turn and interval, ~3.9 KB more compressed for the 30-minute
//! call). A change that stores more, transacts more or projects more into the indexes fails here.

use callscope_local::cost::measure;
use callscope_tests::metered_local_pipeline;

/// (minutes, most write units per call, most read units per call): what was measured, with
/// room for how the local runner happens to batch the rollups (coalescing varies by batch).
/// Reads were 1.0 and 2.0 until the export: the outbound function reads each processed call
/// once for its Parquet row and event (measured 2.0 and 3.7 since).
const BUDGETS: [(u32, f64, f64); 2] = [(5, 28.0, 2.5), (30, 40.0, 4.5)];

#[tokio::test(flavor = "multi_thread")]
async fn a_call_costs_what_the_storage_design_says_in_write_and_read_units() {
    let (pipeline, meter) = metered_local_pipeline().await;
    let mut report = Vec::new();
    for (minutes, max_write, max_read) in BUDGETS {
        let cost = measure(&pipeline, &meter, minutes, 3, "acme")
            .await
            .expect("calls measured");
        let (write, read) = (
            cost.bill.write_units_per_call,
            cost.bill.read_units_per_call,
        );
        report.push(format!("{minutes} min: {write} WCU, {read} RCU per call"));
        // Nothing at all metered would mean the meter is not on the clients.
        assert!(
            write >= 10.0,
            "{minutes} min: only {write} write units per call"
        );
        assert!(
            write <= max_write,
            "{minutes} min: {write} write units per call (at most {max_write})"
        );
        assert!(
            read <= max_read,
            "{minutes} min: {read} read units per call (at most {max_read})"
        );
    }
    eprintln!("{}", report.join("; "));
    pipeline.teardown().await.expect("teardown");
}
