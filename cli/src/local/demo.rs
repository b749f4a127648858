//! `callscope local demo`: the whole write path on the local cloud, narrated. Real calls in each
//! accepted format and a day of generated calls go in over HTTP and the intake queue, with a
//! retried request, a conflicting one and bad input; the pipeline drains; the stored analyses
//! and the rollups come back out of DynamoDB.

use std::path::{Path, PathBuf};

use anyhow::Context;
use callscope_app::ports::RollupQueries;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_core::domain::{AgentId, CallId, Day, TeamId, TenantId};
use callscope_core::pipeline::{RollupScope, RollupTotals};
use callscope_local::template::{LocalTemplate, Stack};
use callscope_local::{HttpReply, LocalPipeline};
use callscope_samples::generate_call_document;
use serde_json::{json, Value};

const TENANT: &str = "acme";
/// The sample files that carry their own call metadata (the bare Transcribe and Contact Lens
/// outputs need it from the producer, see events/calls/README.md).
const SAMPLES: [&str; 3] = [
    "callscope_discovery.json",
    "plain_discovery.json",
    "transcribe_call_analytics_call.json",
];
const TEAM_AGENTS: [(&str, &str); 4] = [
    ("east", "ana.lima"),
    ("east", "ben.okafor"),
    ("west", "chen.wu"),
    ("west", "sam.ortiz"),
];
const DAY: &str = "2026-11-02";
const GENERATED_CALLS: u64 = 16;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = super::TEMPLATE)]
    template: PathBuf,
    #[arg(long, default_value = "events/calls")]
    samples: PathBuf,
    /// Keep the demo's queues and tables (named `demo-<id>-…`) instead of deleting them.
    #[arg(long)]
    keep: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let clients = AwsClients::from_config(&load_sdk_config().await);
    let prefix = format!("demo-{}-", std::process::id());
    let template =
        LocalTemplate::load_for_stack(&args.template, &Stack::local(&prefix), Default::default())?;
    let pipeline = LocalPipeline::start(clients, &template, &prefix).await?;
    println!(
        "provisioned {} queues and {} tables from {} (prefix {prefix})\n",
        pipeline.provisioned.queues.len(),
        pipeline.provisioned.tables.len(),
        args.template.display()
    );
    let result = narrate(&pipeline, &args.samples).await;
    if args.keep {
        println!("\nkept the demo's resources (prefix {prefix})");
    } else {
        pipeline.teardown().await?;
    }
    result
}

async fn narrate(pipeline: &LocalPipeline, samples: &Path) -> anyhow::Result<()> {
    println!("1. calls in over HTTP (POST /api/v1/calls, tenant {TENANT} from the JWT claim)");
    let mut call_ids = Vec::new();
    for name in SAMPLES {
        let body = read(&samples.join(name))?;
        let reply = pipeline.post("/api/v1/calls", &body, Some(TENANT)).await;
        print_reply(name, &reply);
        if let Some(id) = reply.body["call_id"].as_str() {
            call_ids.push(id.to_owned());
        }
    }

    let retried = read(&samples.join(SAMPLES[0]))?;
    let reply = pipeline.post("/api/v1/calls", &retried, Some(TENANT)).await;
    print_reply("the first call again (a client retry)", &reply);
    let mut conflicting: Value = serde_json::from_str(&retried)?;
    conflicting["agent_id"] = json!("someone.else");
    let reply = pipeline
        .post("/api/v1/calls", &conflicting.to_string(), Some(TENANT))
        .await;
    print_reply("the same call_id with other content", &reply);
    let reply = pipeline.post("/api/v1/calls", &retried, None).await;
    print_reply("a request without a tenant claim", &reply);

    println!("\n2. bad input gets a 4xx that names the field and the rule");
    let mut invalid: Vec<PathBuf> = std::fs::read_dir(samples.join("invalid"))
        .context("listing the invalid samples")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    invalid.sort();
    for path in invalid {
        let reply = pipeline
            .post("/api/v1/calls", &read(&path)?, Some(TENANT))
            .await;
        print_reply(&format!("invalid/{}", file_name(&path)), &reply);
    }

    println!(
        "\n3. a day of calls: half in one bulk request, half from a producer on the intake queue"
    );
    let generated: Vec<Value> = (0..GENERATED_CALLS)
        .map(|i| {
            let (team, agent) = TEAM_AGENTS[i as usize % TEAM_AGENTS.len()];
            let mut doc = generate_call_document(2 + (i % 5) as u32, i, &format!("gen-{i:03}"));
            doc["agent_id"] = json!(agent);
            doc["team_id"] = json!(team);
            doc["start_time"] = json!(format!("{DAY}T{:02}:00:00Z", 8 + i));
            doc["outcome"] = json!(["won", "lost", "follow_up"][i as usize % 3]);
            doc
        })
        .collect();
    let (bulk, queued) = generated.split_at(generated.len() / 2);
    let reply = pipeline
        .post(
            "/api/v1/calls/bulk",
            &Value::from(bulk.to_vec()).to_string(),
            Some(TENANT),
        )
        .await;
    println!(
        "   POST /api/v1/calls/bulk with {} calls → {} (accepted {}, rejected {})",
        bulk.len(),
        reply.status,
        reply.body["accepted"],
        reply.body["rejected"]
    );
    for doc in queued {
        pipeline
            .send("IntakeQueue", &doc.to_string(), &[("tenant", TENANT)])
            .await?;
    }
    println!("   sent {} messages to the intake queue", queued.len());
    call_ids.extend(
        generated
            .iter()
            .filter_map(|d| d["call_id"].as_str().map(str::to_owned)),
    );

    println!("\n4. the event sources drain intake → process → analytics (as Lambda's would)");
    let reports = pipeline.drain().await?;
    for stage in ["intake", "process", "aggregate"] {
        let report = reports.get(stage).copied().unwrap_or_default();
        println!(
            "   {stage:<9} received {:>3}, done {:>3}, failed {:>3}",
            report.received, report.deleted, report.failed
        );
    }

    println!("\n5. stored analyses (DynamoDB)");
    let tenant = TenantId::parse("tenant", TENANT)?;
    let calls = pipeline.calls_store();
    println!(
        "   {:<22} {:>5} {:>11} {:>9} {:>9} {:>6}  first recommendation",
        "call", "score", "talk ratio", "cust.sent", "questions", "pii"
    );
    for id in &call_ids {
        let call_id = CallId::parse("call_id", id.as_str())?;
        let Some(analysis) = calls.get_analysis(&tenant, &call_id).await? else {
            println!("   {id:<22} not analysed");
            continue;
        };
        println!(
            "   {:<22} {:>5} {:>11.2} {:>9.2} {:>9} {:>6}  {}",
            id,
            analysis.score,
            analysis.agent_talk_ratio,
            analysis.customer_sentiment_score,
            analysis.questions.agent + analysis.questions.customer,
            analysis.redactions.total(),
            analysis
                .recommendations
                .first()
                .map_or("—", |r| r.message.as_str())
        );
    }

    println!("\n6. rollups for {DAY} (each call counted once, whatever was retried)");
    let rollups = pipeline.rollup_store();
    println!(
        "   {:<18} {:>5} {:>9} {:>10} {:>9} {:>9}  outcomes",
        "scope", "calls", "minutes", "avg score", "avg ratio", "avg sent"
    );
    let mut scopes = vec![("tenant".to_owned(), RollupScope::Tenant)];
    for team in ["east", "west"] {
        scopes.push((
            format!("team {team}"),
            RollupScope::Team(TeamId::parse("team_id", team)?),
        ));
    }
    for (_, agent) in TEAM_AGENTS {
        scopes.push((
            format!("agent {agent}"),
            RollupScope::Agent(AgentId::parse("agent_id", agent)?),
        ));
    }
    let day = Day::parse("day", DAY)?;
    for (label, scope) in scopes {
        for totals in rollups
            .series(&tenant, &scope, Some(day), Some(day))
            .await?
            .values()
        {
            print_totals(&label, totals);
        }
    }
    Ok(())
}

fn print_reply(what: &str, reply: &HttpReply) {
    let summary = match reply.status {
        202 => format!(
            "call_id {} at {}",
            reply.body["call_id"].as_str().unwrap_or("?"),
            reply.header("location").unwrap_or("?")
        ),
        _ => match &reply.body["detail"] {
            Value::Array(details) => details
                .iter()
                .map(|d| format!("{}: {}", d["loc"], d["msg"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("; "),
            Value::String(detail) => detail.clone(),
            other => other.to_string(),
        },
    };
    println!("   {what:<40} → {} {summary}", reply.status);
}

fn print_totals(label: &str, totals: &RollupTotals) {
    let outcomes = totals
        .outcomes
        .iter()
        .map(|(outcome, n)| format!("{outcome} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "   {label:<18} {:>5} {:>9.1} {:>10.1} {:>9.2} {:>9.2}  {outcomes}",
        totals.calls,
        totals.duration_seconds / 60.0,
        totals.average_score().unwrap_or(0.0),
        totals.average_talk_ratio().unwrap_or(0.0),
        totals.average_sentiment().unwrap_or(0.0),
    );
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
