//! The local cloud without Docker or a Lambda emulator: infra/template.yaml's queues and tables
//! in the AWS emulator, the functions built exactly as their composition roots build them, the
//! event sources that invoke them as Lambda would, and HTTP delivered as API Gateway delivers
//! it. Developer tooling: the tests, `callscope local …` and `make serve` use it; no Lambda
//! links it.
//!
//! # Layout
//!
//! | concern | modules |
//! |---|---|
//! | the template, read and provisioned | [`template`] (a small CloudFormation reader: parameters, conditions, intrinsics, `Fn::ForEach`, SAM functions and their events), [`provision`] (queues, tables and streams in the emulator; each function's environment), [`redis`] (a Redis to talk to) |
//! | the functions, run as Lambda would | [`pipeline`] (every function in-process, HTTP in as payload v2 events), [`runner`] (SQS event-source mappings: poll, invoke, delete what succeeded), [`streams`] (DynamoDB Streams to `invalidate`), [`gateway`] (the API Gateway stand-in of `local serve`), [`invoke`] + [`pump`] (the same sources against the binaries `cargo lambda watch` serves) |
//! | out of callscope | [`sql`] (DuckDB over the Parquet export in the emulator's S3, in place of Athena) |
//! | proving the invariants | [`expected`] (rollups computed from the calls themselves), [`faults`] (SDK faults injected into every request), [`flaky`] (invocations that crash or run twice), [`chaos`] (the chaos run), [`traces`] (what an erased call left in the tables or the bucket), [`cost`] (units per call by the request meter) |

pub mod chaos;
pub mod cost;
pub mod expected;
pub mod faults;
pub mod flaky;
pub mod gateway;
pub mod invoke;
pub mod pipeline;
pub mod provision;
pub mod pump;
pub mod redis;
pub mod runner;
pub mod sql;
pub mod streams;
pub mod template;
pub mod traces;

pub use callscope_http::lambda::{call, HttpReply};
pub use pipeline::{attribute, LocalPipeline, TENANT_CLAIM};
