//! infra/template.yaml's operations resources held to the template's own pipeline: whatever
//! queue or function is added, it must come with its alarms and its log group. The queues and
//! functions come from the local template reader; the alarms, log groups and dashboard, which
//! the local cloud does not create, from the template it read (its Fn::ForEach loops expanded),
//! with the same conditions.

mod alarms;
mod dashboard;
mod iam;
mod logs;
mod reading;
mod runbooks;
