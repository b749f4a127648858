//! The `callscope` command as a library: `main.rs` parses the arguments and hands each
//! subcommand to the module named after it here, and the integration tests run exactly what
//! `callscope status`, `callscope calls get` and `callscope dlq redrive` run.
//!
//! # Layout
//!
//! | command                      | module                                        |
//! |------------------------------|-----------------------------------------------|
//! | `callscope analyse`          | [`analyse`]                                   |
//! | `callscope openapi`          | [`openapi`] (the whole HTTP API's document)   |
//! | `callscope local <x>`        | [`local`]: `local/{provision,demo,serve,pump,chaos,bench_api,cost,drop}.rs`, and [`local::StackArgs`] they share |
//! | `callscope status`           | [`operator::status`]                          |
//! | `callscope calls get`        | [`operator::calls`]                           |
//! | `callscope dlq peek/redrive` | [`operator::dlq`]                             |
//! | `callscope load`             | [`load`]                                      |
//! | `callscope import`           | [`import`] (bulk backfill through the drop-in bucket) |

pub mod analyse;
pub mod import;
pub mod load;
pub mod local;
pub mod openapi;
pub mod operator;
