//! The integration and end-to-end tests, one binary against the local cloud (moto or
//! LocalStack at `AWS_ENDPOINT_URL`, and Redis): each module is one area. One binary because
//! each test binary links the AWS SDK, axum and every function crate, and on a 2-core machine
//! linking eleven of them was most of a fresh `make test`.

mod alerts;
mod bulk_reanalysis;
mod cache_freshness;
mod chaos;
mod cost;
mod customer_erasure;
mod dropin;
mod edges;
mod erasure;
mod events;
mod exactly_once;
mod export;
mod faults;
mod ingest_http;
mod openapi;
mod operator;
mod pipeline;
mod pump;
mod read_api;
mod read_bounds;
mod recordings;
mod settings;
mod webhooks;
