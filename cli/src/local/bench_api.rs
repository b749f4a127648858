//! `callscope local bench-api`: the query API's latency per endpoint, in-process against the
//! local cloud — the router invoked with API Gateway events as on Lambda, once with the Redis
//! cache warm and once with no cache (every answer from DynamoDB, here the emulator).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::config::{FromEnv, QueryConfig};
use callscope_http::lambda::HttpEvent;
use callscope_local::template::{LocalTemplate, Stack};
use callscope_local::{call, LocalPipeline, TENANT_CLAIM};
use serde_json::{json, Value};

const TENANT: &str = "acme";
const AGENTS: [&str; 5] = ["ana", "ben", "chen", "dara", "eli"];

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = super::TEMPLATE)]
    template: PathBuf,
    /// Calls stored before measuring.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Requests per endpoint and cache mode.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Also write the figures as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let redis =
        std::env::var("REDIS_URL").context("REDIS_URL is not set (infra/local-cloud.sh env)")?;
    let overrides = BTreeMap::from([("CacheUrl".to_owned(), redis)]);
    let prefix = format!("bench-{}-", std::process::id());
    let template =
        LocalTemplate::load_for_stack(&args.template, &Stack::local(&prefix), overrides)?;
    let clients = AwsClients::from_config(&load_sdk_config().await);
    let pipeline = LocalPipeline::start(clients.clone(), &template, &prefix).await?;
    let result = measure(&pipeline, &clients, &args).await;
    pipeline.teardown().await?;
    result
}

async fn measure(
    pipeline: &LocalPipeline,
    clients: &AwsClients,
    args: &Args,
) -> anyhow::Result<()> {
    eprintln!("storing and processing {} calls…", args.calls);
    let documents: Vec<Value> = (0..args.calls)
        .map(|i| {
            let mut doc = callscope_samples::generate_call_document(
                2 + (i % 4) as u32,
                i as u64,
                &format!("b-{i:05}"),
            );
            doc["agent_id"] = json!(AGENTS[i % AGENTS.len()]);
            doc["start_time"] = json!(format!("2026-11-{:02}T{:02}:00:00Z", 1 + i % 7, 8 + i % 10));
            doc
        })
        .collect();
    for chunk in documents.chunks(100) {
        let reply = pipeline
            .post(
                "/api/v1/calls/bulk",
                &Value::from(chunk.to_vec()).to_string(),
                Some(TENANT),
            )
            .await;
        anyhow::ensure!(reply.status == 202, "bulk ingest failed: {}", reply.body);
    }
    pipeline.drain().await?;

    let mut uncached_env: HashMap<String, String> = pipeline.provisioned.functions["QueryFunction"]
        .env
        .clone()
        .into_iter()
        .collect();
    uncached_env.remove("CACHE_URL");
    let uncached = callscope_query::router(
        &QueryConfig::from_lookup(|name| uncached_env.get(name).cloned())?,
        clients,
    )?;
    let endpoints = [
        ("list", "/api/v1/calls"),
        ("list by agent", "/api/v1/calls?agent_id=ana&limit=20"),
        ("detail", "/api/v1/calls/b-00007"),
        ("recommendations", "/api/v1/calls/b-00007/recommendations"),
        ("agents", "/api/v1/analytics/agents"),
        ("agent series", "/api/v1/analytics/agents/ana"),
        ("health", "/health"),
    ];
    let mut rows = Vec::new();
    println!(
        "{:<16} {:<9} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "cache", "p50 ms", "p95 ms", "p99 ms", "req/s"
    );
    for (mode, router) in [("warm", &pipeline.api), ("off", &uncached)] {
        for (name, path) in endpoints {
            let timings = time_requests(router, path, args.requests).await?;
            let row = Row::of(name, mode, &timings);
            println!(
                "{:<16} {:<9} {:>9.2} {:>9.2} {:>9.2} {:>9.0}",
                row.endpoint,
                row.cache,
                row.p50_ms,
                row.p95_ms,
                row.p99_ms,
                row.requests_per_second
            );
            rows.push(row);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Latencies of `count` sequential requests, after five to warm up.
async fn time_requests(
    router: &Router,
    path_and_query: &str,
    count: usize,
) -> anyhow::Result<Vec<Duration>> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let event = || HttpEvent {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        claims: Some(HashMap::from([(
            TENANT_CLAIM.to_owned(),
            TENANT.to_owned(),
        )])),
        stage: "dev".into(),
        ..HttpEvent::default()
    };
    for _ in 0..5 {
        call(router, event()).await;
    }
    let mut timings = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let reply = call(router, event()).await;
        timings.push(started.elapsed());
        anyhow::ensure!(
            reply.status == 200,
            "{path_and_query}: {} {}",
            reply.status,
            reply.body
        );
    }
    Ok(timings)
}

#[derive(Debug, serde::Serialize)]
struct Row {
    endpoint: String,
    cache: String,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    requests_per_second: f64,
}

impl Row {
    fn of(endpoint: &str, cache: &str, timings: &[Duration]) -> Self {
        let mut ms: Vec<f64> = timings.iter().map(|d| d.as_secs_f64() * 1_000.0).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
        let total: f64 = ms.iter().sum();
        Self {
            endpoint: endpoint.to_owned(),
            cache: cache.to_owned(),
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            requests_per_second: ms.len() as f64 / (total / 1_000.0),
        }
    }
}
