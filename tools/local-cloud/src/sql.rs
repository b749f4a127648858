//! DuckDB in place of Athena: the Parquet export in the emulator's S3 downloaded as it lies
//! (`calls/tenant=…/day=…/`) into a scratch folder, and one query run over it as the view
//! `calls` by `infra/duckdb_sql.py` in the pinned DuckDB venv (`infra/local-cloud.sh sql-venv`).
//! `callscope local sql` prints the answer; the tests run the docs' queries through it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use callscope_export::CALLS_PREFIX;

/// How the answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
        }
    }
}

/// Runs `query` over every file in `bucket`'s export; `root` is the repository (where infra/ is).
pub async fn query(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    root: &Path,
    query: &str,
    format: Format,
) -> anyhow::Result<String> {
    let scratch = std::env::temp_dir().join(format!(
        "callscope-sql-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    let result = async {
        download(s3, bucket, &scratch).await?;
        run_duckdb(root, &scratch, query, format)
    }
    .await;
    // The scratch copy is only for this query.
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Every object under `calls/` into `into`, keys as paths.
pub async fn download(s3: &aws_sdk_s3::Client, bucket: &str, into: &Path) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("{CALLS_PREFIX}/"))
            .set_continuation_token(token)
            .send()
            .await
            .with_context(|| format!("listing s3://{bucket}/{CALLS_PREFIX}/"))?;
        for object in page.contents.unwrap_or_default() {
            let Some(key) = object.key else { continue };
            // Keys are written by the export: relative, no `..`.
            if key.split('/').any(|part| part == ".." || part.is_empty()) {
                bail!("unexpected key {key:?} in the export bucket");
            }
            let body = s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .with_context(|| format!("reading s3://{bucket}/{key}"))?
                .body
                .collect()
                .await
                .with_context(|| format!("reading s3://{bucket}/{key}"))?
                .into_bytes();
            let path: PathBuf = into.join(&key);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, &body).with_context(|| format!("writing {}", path.display()))?;
            count += 1;
        }
        match page.next_continuation_token {
            Some(next) => token = Some(next),
            None => return Ok(count),
        }
    }
}

/// The DuckDB venv's Python, created by the project's script if it is not there yet.
fn duckdb_python(root: &Path) -> anyhow::Result<PathBuf> {
    let output = Command::new(root.join("infra/local-cloud.sh"))
        .arg("sql-venv")
        .current_dir(root)
        .output()
        .context("running infra/local-cloud.sh sql-venv")?;
    if !output.status.success() {
        bail!(
            "infra/local-cloud.sh sql-venv failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let venv = String::from_utf8(output.stdout).context("the venv path is not UTF-8")?;
    Ok(PathBuf::from(venv.trim()).join("bin/python"))
}

fn run_duckdb(root: &Path, files: &Path, query: &str, format: Format) -> anyhow::Result<String> {
    let output = Command::new(duckdb_python(root)?)
        .arg(root.join("infra/duckdb_sql.py"))
        .arg(files)
        .arg(query)
        .arg(format.as_str())
        .output()
        .context("running DuckDB")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    String::from_utf8(output.stdout).context("DuckDB's answer is not UTF-8")
}
