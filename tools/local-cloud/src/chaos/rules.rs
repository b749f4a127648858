//! The faults the stores and queues inject in a chaos run, by operation and by what the
//! request's body says it writes, spread over the run and scaled with its size.

use super::feed::PlannedCall;
use super::ChaosPlan;
use crate::faults::{Fault, Rule};

const TRANSACT: &str = "DynamoDB_20120810.TransactWriteItems";
const PUT: &str = "DynamoDB_20120810.PutItem";
const UPDATE: &str = "DynamoDB_20120810.UpdateItem";
const QUERY: &str = "DynamoDB_20120810.Query";
const SEND: &str = "AmazonSQS.SendMessage";
const SEND_BATCH: &str = "AmazonSQS.SendMessageBatch";
/// The faults the stores and queues inject, spread over the run: how often each strikes
/// scales with the run's size.
pub fn fault_rules(plan: &ChaosPlan, failing: &[&PlannedCall]) -> Vec<Rule> {
    let times = |per: usize| (plan.calls / per).max(2);
    let mut rules: Vec<Rule> = failing
        .iter()
        .map(|call| {
            Rule::new(PUT, Fault::Invalid, usize::MAX)
                .when_body_contains(&format!("CALL#{}\"", call.call_id))
                .when_body_contains("\"ANALYSIS\"")
        })
        .collect();
    rules.extend([
        // aggregate: the rollup transaction (markers + ADDs)
        Rule::new(TRANSACT, Fault::TransactionConflict, times(40)).every(4),
        Rule::new(TRANSACT, Fault::Throttle, times(40)).every(5),
        Rule::new(TRANSACT, Fault::CommittedThenLost, times(60)).every(7),
        Rule::new(TRANSACT, Fault::TimedOut, times(60)).every(9),
        // ingest and intake: the call's conditional write and its transcript
        Rule::new(PUT, Fault::Throttle, times(25))
            .when_body_contains("attribute_not_exists(pk)")
            .every(11),
        Rule::new(PUT, Fault::TimedOut, times(50))
            .when_body_contains("attribute_not_exists(pk)")
            .every(17),
        Rule::new(PUT, Fault::Throttle, times(30))
            .when_body_contains("TRANSCRIPT")
            .every(13),
        Rule::new(PUT, Fault::CommittedThenLost, times(40))
            .when_body_contains("TRANSCRIPT")
            .every(19),
        // process: loading the call, the analysis, the PROCESSED mark after the event is sent
        Rule::new(QUERY, Fault::Throttle, times(40)).every(23),
        Rule::new(PUT, Fault::CommittedThenLost, times(40))
            .when_body_contains("\"ANALYSIS\"")
            .every(23),
        Rule::new(PUT, Fault::TimedOut, times(60))
            .when_body_contains("\"ANALYSIS\"")
            .every(29),
        Rule::new(UPDATE, Fault::Throttle, times(30))
            .when_body_contains(":processed")
            .every(7),
        Rule::new(UPDATE, Fault::TimedOut, times(60))
            .when_body_contains(":processed")
            .every(31),
        // queues: batch entries failed, batches sent but unanswered, parking throttled
        Rule::new(SEND_BATCH, Fault::FirstEntryFailed, times(30)).every(5),
        Rule::new(SEND_BATCH, Fault::CommittedThenLost, times(60)).every(11),
        Rule::new(SEND_BATCH, Fault::TimedOut, times(60)).every(13),
        Rule::new(SEND, Fault::Throttle, times(100)).every(3),
    ]);
    rules
}
