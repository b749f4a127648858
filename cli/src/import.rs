//! `callscope import PATH|s3://BUCKET/PREFIX --tenant T`: bulk backfill through the drop-in
//! path. Each document (and its sidecar) is written under `{tenant}/import/…` of the drop-in
//! bucket, where S3's notification hands it to the dropin function like any dropped object.
//! Checked first with the same parsers (a document they refuse is reported, not written),
//! rate-limited, with a progress bar, resumable after Ctrl-C (a state file of what is done),
//! and a summary of accepted / duplicate / rejected with reasons. `--wait` then follows the
//! calls until each is processed, and reports files per second through the pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use callscope_app::ports::{CallRepository, CallStatus};
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_cloud::dynamo::DynamoCalls;
use callscope_core::domain::{CallId, TenantId};
use callscope_core::objects::{
    self, call_of_object, from_sidecar, Metadata, NamePattern, ObjectKind, MAX_OBJECT_BYTES,
};
use callscope_local::provision::bucket_name;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory (walked recursively) or `s3://BUCKET/PREFIX`.
    source: String,
    /// The tenant the calls belong to (their keys start with it).
    #[arg(long)]
    tenant: String,
    /// The drop-in bucket (default: the local stack's, `{prefix}dropinbucket`).
    #[arg(long)]
    bucket: Option<String>,
    /// The local stack's prefix (its bucket and calls table).
    #[arg(long, default_value = crate::local::PREFIX)]
    prefix: String,
    /// Files written per second at most.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// What is done so far, one key a line: a rerun skips it (resume after Ctrl-C).
    #[arg(long, default_value = "callscope-import.state")]
    state: PathBuf,
    /// A file-name pattern giving missing metadata (`{agent_id}_{customer_id}_{start_time}.json`),
    /// as the tenant's pattern in the stack would.
    #[arg(long)]
    name_pattern: Option<String>,
    /// Wait until every accepted call is processed, and report files per second.
    #[arg(long)]
    wait: bool,
}

/// One file to import.
struct Item {
    /// Where it comes from, relative to the source (its key under `{tenant}/import/`).
    relative: String,
    bytes: Vec<u8>,
    sidecar: Option<Vec<u8>>,
}

#[derive(Default)]
struct Summary {
    accepted: Vec<CallId>,
    duplicate: usize,
    /// Done by an earlier run (the state file).
    resumed: usize,
    rejected: BTreeMap<String, Vec<String>>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let tenant = TenantId::parse("--tenant", &args.tenant).map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(args.rate > 0.0, "--rate must be positive");
    let pattern = args
        .name_pattern
        .as_deref()
        .map(NamePattern::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--name-pattern: {e}"))?;
    let clients = AwsClients::from_config(&load_sdk_config().await);
    let bucket = args
        .bucket
        .clone()
        .unwrap_or_else(|| bucket_name(&args.prefix, "DropInBucket"));
    let items = match args.source.strip_prefix("s3://") {
        Some(location) => s3_items(&clients, location).await?,
        None => dir_items(Path::new(&args.source))?,
    };
    let done: BTreeSet<String> = std::fs::read_to_string(&args.state)
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut state = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.state)
        .with_context(|| format!("opening {}", args.state.display()))?;

    let bar = ProgressBar::new(items.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec} ({eta} left) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
    let started = Instant::now();
    let mut interrupted = false;
    for item in items {
        let key = format!("{tenant}/import/{}", item.relative);
        if done.contains(&key) {
            summary.resumed += 1;
            bar.inc(1);
            continue;
        }
        tokio::select! {
            _ = every.tick() => {}
            _ = tokio::signal::ctrl_c() => { interrupted = true; break; }
        }
        match import_one(&clients, &bucket, &key, &item, pattern.as_ref()).await {
            Ok(Some(call_id)) => summary.accepted.push(call_id),
            Ok(None) => summary.duplicate += 1,
            Err(Rejected(reason)) => summary
                .rejected
                .entry(reason)
                .or_default()
                .push(item.relative.clone()),
        }
        writeln!(state, "{key}").context("writing the state file")?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let written = started.elapsed();
    println!(
        "{} accepted, {} duplicate, {} rejected, {} done by an earlier run ({:.1} s, {:.1} files/s written){}",
        summary.accepted.len(),
        summary.duplicate,
        summary.rejected.values().map(Vec::len).sum::<usize>(),
        summary.resumed,
        written.as_secs_f64(),
        summary.accepted.len() as f64 / written.as_secs_f64().max(1e-9),
        if interrupted { "; interrupted: run again to resume" } else { "" }
    );
    for (reason, files) in &summary.rejected {
        println!(
            "  rejected {}: {reason} ({})",
            files.len(),
            files.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if args.wait && !interrupted {
        wait_processed(&clients, &args.prefix, &tenant, &summary.accepted, started).await?;
    }
    Ok(())
}

struct Rejected(String);

/// Checks one file with the parsers the dropin function uses, then writes it (its sidecar
/// first). `None`: the same object is already there.
async fn import_one(
    clients: &AwsClients,
    bucket: &str,
    key: &str,
    item: &Item,
    pattern: Option<&NamePattern>,
) -> Result<Option<CallId>, Rejected> {
    let kind = objects::kind_of(key);
    if !matches!(kind, ObjectKind::Json | ObjectKind::Text) {
        return Err(Rejected("not a .json or .txt document".into()));
    }
    if item.bytes.len() as u64 > MAX_OBJECT_BYTES {
        return Err(Rejected(format!("over {MAX_OBJECT_BYTES} bytes")));
    }
    let mut layers: Vec<Metadata> = Vec::new();
    if let Some(sidecar) = &item.sidecar {
        layers.push(from_sidecar(sidecar).map_err(|e| Rejected(format!("sidecar: {e}")))?);
    }
    if let Some(fields) = pattern.and_then(|p| p.fields_of(objects::file_name(key))) {
        layers.push(fields);
    }
    let call = call_of_object(
        &item.bytes,
        kind,
        &layers,
        &objects::call_id_of(bucket, key),
    )
    .map_err(|e| Rejected(e.to_string()))?;
    let etag = md5_hex(&item.bytes);
    let existing = clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    if existing
        .ok()
        .and_then(|h| h.e_tag)
        .map(|e| e.trim_matches('"').to_owned())
        == Some(etag)
    {
        return Ok(None);
    }
    if let Some(sidecar) = &item.sidecar {
        put(clients, bucket, &objects::sidecar_key(key), sidecar.clone()).await?;
    }
    put(clients, bucket, key, item.bytes.clone()).await?;
    Ok(Some(call.call_id))
}

async fn put(
    clients: &AwsClients,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), Rejected> {
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Rejected(format!("writing s3://{bucket}/{key}: {e}")))
}

/// The ETag S3 gives an object written in one PUT (its MD5), to tell a re-import apart.
fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Documents under `dir` with their sidecars (a sidecar is never an item of its own).
fn dir_items(dir: &Path) -> anyhow::Result<Vec<Item>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in
            std::fs::read_dir(&next).with_context(|| format!("reading {}", next.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut items = Vec::new();
    for path in files {
        let relative = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if objects::kind_of(&relative) == ObjectKind::Sidecar {
            continue;
        }
        let sidecar_path = dir.join(objects::sidecar_key(&relative));
        items.push(Item {
            bytes: std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
            sidecar: std::fs::read(&sidecar_path).ok(),
            relative,
        });
    }
    Ok(items)
}

/// The objects under `bucket/prefix`, read (sidecars with their documents).
async fn s3_items(clients: &AwsClients, location: &str) -> anyhow::Result<Vec<Item>> {
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .with_context(|| format!("listing s3://{location}"))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let all: BTreeSet<String> = keys.iter().cloned().collect();
    let mut items = Vec::new();
    for key in keys {
        if objects::kind_of(&key) == ObjectKind::Sidecar {
            continue;
        }
        let read = |key: String| async move {
            let object = clients
                .s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await?;
            let bytes = object.body.collect().await?.into_bytes().to_vec();
            anyhow::Ok(bytes)
        };
        let sidecar_key = objects::sidecar_key(&key);
        let sidecar = match all.contains(&sidecar_key) {
            true => Some(
                read(sidecar_key)
                    .await
                    .with_context(|| format!("reading a sidecar of {key}"))?,
            ),
            false => None,
        };
        items.push(Item {
            bytes: read(key.clone())
                .await
                .with_context(|| format!("reading s3://{bucket}/{key}"))?,
            sidecar,
            relative: key
                .strip_prefix(prefix)
                .unwrap_or(&key)
                .trim_start_matches('/')
                .to_owned(),
        });
    }
    Ok(items)
}

/// Polls the calls until each is PROCESSED (or FAILED), then reports the pipeline's rate.
async fn wait_processed(
    clients: &AwsClients,
    prefix: &str,
    tenant: &TenantId,
    calls: &[CallId],
    started: Instant,
) -> anyhow::Result<()> {
    let store = DynamoCalls::new(clients.dynamodb.clone(), format!("{prefix}CallsTable"));
    let mut pending: Vec<&CallId> = calls.iter().collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for call_id in pending {
            let status = store
                .load(tenant, call_id)
                .await
                .ok()
                .flatten()
                .map(|c| c.status);
            if !matches!(status, Some(CallStatus::Processed | CallStatus::Failed)) {
                still.push(call_id);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{} of {} calls processed in {elapsed:.1} s: {:.1} files/s through the pipeline{}",
        calls.len() - pending.len(),
        calls.len(),
        (calls.len() - pending.len()) as f64 / elapsed.max(1e-9),
        if pending.is_empty() {
            String::new()
        } else {
            format!("; {} not yet (see `callscope status`)", pending.len())
        }
    );
    Ok(())
}
