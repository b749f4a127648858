//! The operator's commands as a library, so the integration tests run exactly what
//! `callscope status`, `callscope calls get` and `callscope dlq redrive` run.

pub mod operator;
