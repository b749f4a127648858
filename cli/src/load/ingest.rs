//! Sending the run's calls: each planned request as one `POST /api/v1/calls`, or a
//! `POST /api/v1/calls/bulk` (split where its body would pass the size limit), `concurrency` at
//! a time. A call is accepted when its 202 (or its bulk item's `accepted`) is read.

use indicatif::ProgressBar;
use serde::Deserialize;

use super::http::{Driver, Target};
use super::plan::{split_by_size, Plan};
use super::watch::Tracker;

pub const SINGLE: &str = "POST /api/v1/calls";
pub const BULK: &str = "POST /api/v1/calls/bulk";

#[derive(Debug, Deserialize)]
struct BulkAnswer {
    results: Vec<BulkItem>,
}

#[derive(Debug, Deserialize)]
struct BulkItem {
    index: usize,
    status: String,
}

pub async fn ingest(driver: &Driver<'_>, plan: &Plan, tracker: &Tracker, bar: &ProgressBar) {
    let target = driver.target;
    driver
        .each(&plan.requests, |group| async move {
            if !driver.in_time(group.len() as u64) {
                return;
            }
            if let [index] = group.as_slice() {
                let body = plan.document(*index).to_string();
                if let Some(answer) = target.post(SINGLE, "/api/v1/calls", body).await {
                    if answer.status == 202 {
                        tracker.accepted(*index);
                    }
                }
                bar.inc(1);
                return;
            }
            let documents = group
                .iter()
                .map(|&i| (i, plan.document(i).to_string()))
                .collect();
            for part in split_by_size(documents) {
                let indexes: Vec<usize> = part.iter().map(|(i, _)| *i).collect();
                let bodies: Vec<String> = part.into_iter().map(|(_, d)| d).collect();
                let body = format!("[{}]", bodies.join(","));
                if let Some(answer) = target.post(BULK, "/api/v1/calls/bulk", body).await {
                    if answer.status == 202 {
                        read_bulk(target, tracker, &indexes, &answer.body);
                    }
                }
                bar.inc(indexes.len() as u64);
            }
        })
        .await;
}

/// Each item of a bulk answer: `accepted`, or an error counted by its status.
fn read_bulk(target: &Target, tracker: &Tracker, indexes: &[usize], body: &[u8]) {
    let Ok(answer) = serde_json::from_slice::<BulkAnswer>(body) else {
        target
            .recorder
            .error("bulk answer unreadable", indexes.len() as u64);
        return;
    };
    let mut seen = 0;
    for item in answer.results {
        let Some(&call) = indexes.get(item.index) else {
            continue;
        };
        seen += 1;
        if item.status == "accepted" {
            tracker.accepted(call);
        } else {
            target
                .recorder
                .error(&format!("bulk item {}", item.status), 1);
        }
    }
    target.recorder.error(
        "bulk item missing",
        indexes.len().saturating_sub(seen) as u64,
    );
}
