//! `callscope local drop FILE --tenant T`: puts a file in the local stack's drop-in bucket under
//! `{tenant}/` (its sidecar `NAME.meta.json` first, when one lies beside it), as a producer or
//! the AWS CLI would; with `make serve` running, the call shows in the API seconds later.

use std::path::PathBuf;

use anyhow::Context;
use callscope_cloud::aws::{load_sdk_config, AwsClients};
use callscope_core::domain::TenantId;
use callscope_core::objects::{call_id_of, sidecar_key};
use callscope_local::provision::bucket_name;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The document (.json or .txt; .meta.json beside it is its sidecar).
    file: PathBuf,
    #[arg(long)]
    tenant: String,
    /// The key under the tenant's prefix (default: the file's name).
    #[arg(long)]
    key: Option<String>,
    /// The local stack's prefix (its bucket).
    #[arg(long, default_value = super::PREFIX)]
    prefix: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let tenant = TenantId::parse("--tenant", &args.tenant).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .context("the file has no name")?;
    let key = format!("{tenant}/{}", args.key.as_deref().unwrap_or(name));
    let bucket = bucket_name(&args.prefix, "DropInBucket");
    let clients = AwsClients::from_config(&load_sdk_config().await);
    let sidecar = args.file.with_file_name(sidecar_key(name));
    if let Ok(bytes) = std::fs::read(&sidecar) {
        let sidecar_key = sidecar_key(&key);
        put(&clients, &bucket, &sidecar_key, bytes).await?;
        println!("put s3://{bucket}/{sidecar_key}");
    }
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    put(&clients, &bucket, &key, bytes).await?;
    // A recording is not a document: its call is made from its Transcribe job's output.
    if callscope_core::recordings::MediaFormat::of_key(&key).is_some() {
        println!(
            "put s3://{bucket}/{key}: a recording; under {tenant}/audio/ it starts a Transcribe job whose output, {tenant}/transcribe/callscope-….json, becomes the call"
        );
        return Ok(());
    }
    println!(
        "put s3://{bucket}/{key}: its call is {} unless the document names its own call_id (GET /api/v1/calls/ID)",
        call_id_of(&bucket, &key)
    );
    Ok(())
}

async fn put(clients: &AwsClients, bucket: &str, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .with_context(|| {
            format!("putting s3://{bucket}/{key} (is the local stack provisioned? make serve)")
        })?;
    Ok(())
}
