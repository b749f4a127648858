//! Functions served out of process, reached through the Lambda Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`) as `cargo lambda watch` serves it locally and
//! AWS serves it remotely. A [`RemoteFunction`] is an SQS batch handler and a stream batch
//! handler, so the event-source runners drive it exactly as they drive a function in-process.

use std::fmt;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_cloud::sqs::SqsBatchHandler;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::streams::StreamBatchHandler;

/// Why an invocation did not return the function's answer.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("nothing answered the Invoke API at {url} (is `make watch` running?): {detail}")]
    Unreachable { url: String, detail: String },
    /// The function ran and failed (a panic, an `Err`), or never started (`errorType` says).
    #[error("{function} failed: {kind}: {message}")]
    Function {
        function: String,
        kind: String,
        message: String,
    },
    #[error("{function} answered something that is not {expected}: {detail}")]
    BadResponse {
        function: String,
        expected: &'static str,
        detail: String,
    },
}

/// The Invoke API at a base URL such as `http://127.0.0.1:9000`.
#[derive(Clone)]
pub struct InvokeApi {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl fmt::Debug for InvokeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvokeApi")
            .field("base", &self.base)
            .finish()
    }
}

impl InvokeApi {
    /// No request timeout: `cargo lambda watch` compiles a function on its first invocation,
    /// and that invocation waits for the build.
    pub fn new(base_url: &str) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The function `name` (its binary's name under `cargo lambda watch`).
    pub fn function(&self, name: &str) -> RemoteFunction {
        RemoteFunction {
            api: self.clone(),
            name: name.to_owned(),
        }
    }

    /// Whether something accepts connections at the base URL (nothing is invoked).
    pub async fn is_up(&self) -> bool {
        let Ok(uri) = self.base.parse::<hyper::Uri>() else {
            return false;
        };
        let (Some(host), port) = (uri.host(), uri.port_u16().unwrap_or(80)) else {
            return false;
        };
        tokio::net::TcpStream::connect((host, port)).await.is_ok()
    }
}

/// One function behind the Invoke API.
#[derive(Debug, Clone)]
pub struct RemoteFunction {
    api: InvokeApi,
    name: String,
}

/// The body of a failed invocation, from Lambda and from cargo lambda watch alike.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionErrorBody {
    error_type: Option<String>,
    error_message: Option<String>,
}

impl RemoteFunction {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Invokes synchronously (RequestResponse) with `event` and reads the answer as `R`.
    /// A failed function is an error: AWS says so with `X-Amz-Function-Error` on a 200,
    /// cargo lambda watch with a 5xx; both send `{errorType, errorMessage}`.
    pub async fn invoke<E: Serialize, R: DeserializeOwned>(
        &self,
        event: &E,
        expected: &'static str,
    ) -> Result<R, InvokeError> {
        let url = format!(
            "{}/2015-03-31/functions/{}/invocations",
            self.api.base, self.name
        );
        let body = serde_json::to_vec(event).map_err(|e| self.bad("a JSON event", e))?;
        let request = hyper::Request::post(&url)
            .header("content-type", "application/json")
            .header("x-amz-invocation-type", "RequestResponse")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.bad("a request", e))?;
        let unreachable = |detail: String| InvokeError::Unreachable {
            url: url.clone(),
            detail,
        };
        let response = self
            .api
            .client
            .request(request)
            .await
            .map_err(|e| unreachable(format!("{e:?}")))?;
        let status = response.status();
        let function_error = response.headers().get("x-amz-function-error").cloned();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        if function_error.is_some() || !status.is_success() {
            let body: Option<FunctionErrorBody> = serde_json::from_slice(&bytes).ok();
            let fallback = || String::from_utf8_lossy(&bytes).chars().take(500).collect();
            return Err(InvokeError::Function {
                function: self.name.clone(),
                kind: body
                    .as_ref()
                    .and_then(|b| b.error_type.clone())
                    .unwrap_or_else(|| format!("HTTP {status}")),
                message: body.and_then(|b| b.error_message).unwrap_or_else(fallback),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| self.bad(expected, e))
    }

    fn bad(&self, expected: &'static str, error: impl fmt::Display) -> InvokeError {
        InvokeError::BadResponse {
            function: self.name.clone(),
            expected,
            detail: error.to_string(),
        }
    }
}

/// An invocation error, or an answer that is not a batch response, fails the whole batch: the
/// runner then deletes nothing, as Lambda's event source mapping does.
impl SqsBatchHandler for RemoteFunction {
    fn handle(
        &self,
        event: SqsEvent,
    ) -> BoxFuture<'_, Result<SqsBatchResponse, lambda_runtime::Error>> {
        Box::pin(async move {
            self.invoke(&event, "an SQS batch response")
                .await
                .map_err(lambda_runtime::Error::from)
        })
    }
}

/// A failed invocation is reported as a failure of the batch's first record, so the stream
/// runner retries the whole batch, as Lambda does.
impl StreamBatchHandler for RemoteFunction {
    fn handle(&self, event: Event) -> BoxFuture<'_, DynamoDbEventResponse> {
        Box::pin(async move {
            match self
                .invoke::<_, DynamoDbEventResponse>(&event, "a stream batch response")
                .await
            {
                Ok(response) => response,
                Err(error) => {
                    tracing::warn!(%error, "stream batch failed as a whole");
                    let mut response = DynamoDbEventResponse::default();
                    let first = event
                        .records
                        .first()
                        .and_then(|r| r.change.sequence_number.clone());
                    let mut failure = DynamoDbBatchItemFailure::default();
                    failure.item_identifier = first;
                    response.batch_item_failures.push(failure);
                    response
                }
            }
        })
    }
}
