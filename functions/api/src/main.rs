//! Composition root of the query API function: config, clients and the cache once per cold start.

use callscope_cloud::{aws, config::ApiConfig, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init_tracing();
    let config = ApiConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let router = callscope_api::router(&config, &aws::AwsClients::from_config(&sdk))?;
    callscope_http::lambda::run(router).await
}
