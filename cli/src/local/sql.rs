//! `callscope local sql "SELECT …"`: a query over the Parquet export in the local cloud's S3,
//! run by DuckDB as Athena would run it over the deployed bucket (the view is `calls`, with the
//! partition keys `tenant` and `day` as columns; docs/export.md has the queries).

use std::path::PathBuf;

use callscope_cloud::aws::load_sdk_config;
use callscope_local::provision::bucket_name;
use callscope_local::sql::{query, Format};

use super::PREFIX;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The query; the table is `calls`.
    sql: String,
    /// Prefix of the local stack whose export to read.
    #[arg(long, default_value = PREFIX)]
    prefix: String,
    /// Print the rows as a JSON list of objects instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let s3 = aws_sdk_s3::Client::new(&load_sdk_config().await);
    let bucket = bucket_name(&args.prefix, "ExportBucket");
    let format = if args.json {
        Format::Json
    } else {
        Format::Table
    };
    let root = PathBuf::from(".");
    print!("{}", query(&s3, &bucket, &root, &args.sql, format).await?);
    Ok(())
}
