//! Composition root of the query API function: config, clients and the cache once per cold start.

use callscope_cloud::{
    aws,
    config::{FromEnv, QueryConfig},
    telemetry,
    telemetry::Function,
};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let telemetry = telemetry::init(Function::Query);
    let config = QueryConfig::from_env()?;
    let sdk = aws::load_sdk_config().await;
    let router = callscope_query::router(&config, &aws::AwsClients::from_config(&sdk))?;
    lambda_http::lambda_runtime::run(telemetry.wrap(callscope_http::lambda::handler(router))).await
}
