//! `callscope dlq redrive`: parked messages back to the queue they failed on. SQS's own
//! `StartMessageMoveTask` where the endpoint has it (AWS, LocalStack): it runs inside SQS and
//! keeps every attribute. Where the endpoint answers that it has no such action (moto), the
//! receive/send redrive of `callscope_cloud::sqs::redrive`, with a note saying so; any other
//! error is an error, never a reason to switch methods.

use anyhow::{bail, Context};
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::start_message_move_task::StartMessageMoveTaskError;
use aws_sdk_sqs::types::QueueAttributeName;
use callscope_cloud::sqs;
use serde::Serialize;

/// How the messages were moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// SQS moves them in the background; `status` shows the DLQ emptying.
    MessageMoveTask,
    /// Received, sent to the target, deleted, one by one (here, before returning).
    ReceiveSend,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedriveOutcome {
    pub method: Method,
    pub from: String,
    pub to: String,
    /// Messages moved (receive/send only: a move task reports its progress in SQS).
    pub moved: Option<usize>,
    pub task_handle: Option<String>,
    /// Why receive/send was used.
    pub note: Option<String>,
}

/// Error codes by which an endpoint says it has no `StartMessageMoveTask`.
const UNSUPPORTED_CODES: [&str; 5] = [
    "UnsupportedOperation",
    "AWS.SimpleQueueService.UnsupportedOperation",
    "InvalidAction",
    "UnknownOperationException",
    "NotImplemented",
];

/// Moves the messages of the DLQ at `from` to `to` (default: the one queue whose redrive
/// policy names the DLQ). `limit` caps the count, which only receive/send can do.
pub async fn redrive(
    sqs_client: &aws_sdk_sqs::Client,
    from: &str,
    to: Option<&str>,
    limit: Option<usize>,
) -> anyhow::Result<RedriveOutcome> {
    let to = match to {
        Some(to) => to.to_owned(),
        None => source_of(sqs_client, from).await?,
    };
    let fallback = |note: String| async {
        let report = sqs::redrive(sqs_client, from, &to, limit.unwrap_or(usize::MAX)).await?;
        anyhow::Ok(RedriveOutcome {
            method: Method::ReceiveSend,
            from: from.to_owned(),
            to: to.clone(),
            moved: Some(report.moved),
            task_handle: None,
            note: Some(note),
        })
    };
    if let Some(limit) = limit {
        return fallback(format!(
            "--limit {limit}: a message move task cannot stop at a count, so messages are moved one by one"
        ))
        .await;
    }
    let started = sqs_client
        .start_message_move_task()
        .source_arn(queue_arn(sqs_client, from).await?)
        .destination_arn(queue_arn(sqs_client, &to).await?)
        .customize()
        // An endpoint without the action answers at once; retrying would only repeat it.
        .config_override(
            aws_sdk_sqs::config::Config::builder().retry_config(RetryConfig::disabled()),
        )
        .send()
        .await;
    match started {
        Ok(task) => Ok(RedriveOutcome {
            method: Method::MessageMoveTask,
            from: from.to_owned(),
            to: to.clone(),
            moved: None,
            task_handle: task.task_handle,
            note: None,
        }),
        Err(error) => match unsupported(&error) {
            Some(why) => {
                fallback(format!(
                    "the endpoint has no StartMessageMoveTask ({why}); moved the messages by receive/send"
                ))
                .await
            }
            None => Err(anyhow::Error::new(error).context(format!(
                "starting a message move task from {from} to {to}"
            ))),
        },
    }
}

/// Why the error says the endpoint lacks the action, or `None` for any other error.
pub fn unsupported(error: &SdkError<StartMessageMoveTaskError, HttpResponse>) -> Option<String> {
    if let Some(code) = error.code() {
        return UNSUPPORTED_CODES
            .contains(&code)
            .then(|| format!("it answered {code}"));
    }
    let raw = error.raw_response()?;
    let status = raw.status().as_u16();
    // moto serves an action it has not implemented as a bare HTML error page (a Python
    // NotImplementedError behind a 500), not as an AWS error document; AWS's own 500s carry
    // an error code, so they never match.
    let html = raw
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    match status {
        501 => Some("HTTP 501 Not Implemented".to_owned()),
        500 if html => Some("HTTP 500 with an HTML page instead of an AWS error".to_owned()),
        _ => None,
    }
}

async fn queue_arn(sqs_client: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    sqs_client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .with_context(|| format!("reading the ARN of {url}"))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .with_context(|| format!("{url} has no ARN"))
}

/// The queue whose redrive policy parks in `dlq`: the default target of a redrive.
async fn source_of(sqs_client: &aws_sdk_sqs::Client, dlq: &str) -> anyhow::Result<String> {
    let sources = sqs_client
        .list_dead_letter_source_queues()
        .queue_url(dlq)
        .send()
        .await
        .with_context(|| format!("listing the queues that park in {dlq}"))?
        .queue_urls;
    match sources.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no queue's redrive policy names {dlq}: pass --to"),
        many => bail!("{} queues park in {dlq}: pass --to", many.len()),
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The DLQ: its URL, or its template name (ProcessDeadLetterQueue) in the local cloud or
    /// the --stack.
    #[arg(long)]
    pub from: String,
    /// The queue to move to (URL or template name); default: the queue that parks in --from.
    #[arg(long)]
    pub to: Option<String>,
    /// Move at most this many (one by one: a move task cannot stop at a count).
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub target: crate::operator::target::TargetArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sdk = crate::operator::sdk_config(args.target.profile.as_deref()).await;
    let from = queue_url(&args, &sdk, &args.from).await?;
    let to = match &args.to {
        Some(to) => Some(queue_url(&args, &sdk, to).await?),
        None => None,
    };
    let outcome = redrive(
        &aws_sdk_sqs::Client::new(&sdk),
        &from,
        to.as_deref(),
        args.limit,
    )
    .await?;
    if let Some(note) = &outcome.note {
        eprintln!("note: {note}");
    }
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// A URL as given, or a template name resolved in the target.
async fn queue_url(
    args: &Args,
    sdk: &aws_config::SdkConfig,
    queue: &str,
) -> anyhow::Result<String> {
    if queue.starts_with("http://") || queue.starts_with("https://") {
        return Ok(queue.to_owned());
    }
    let target = crate::operator::target::resolve(&args.target, sdk).await?;
    target
        .queue_url(queue)
        .map(str::to_owned)
        .with_context(|| format!("{} has no queue {queue}", target.label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::error::ErrorMetadata;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    fn answer(
        status: u16,
        content_type: &'static str,
        code: Option<&str>,
    ) -> SdkError<StartMessageMoveTaskError, HttpResponse> {
        let mut raw = Response::new(
            StatusCode::try_from(status).expect("status"),
            SdkBody::empty(),
        );
        raw.headers_mut().insert("content-type", content_type);
        let mut metadata = ErrorMetadata::builder();
        if let Some(code) = code {
            metadata = metadata.code(code);
        }
        SdkError::service_error(StartMessageMoveTaskError::generic(metadata.build()), raw)
    }

    #[test]
    fn an_endpoint_that_names_the_action_unsupported_gets_the_fallback() {
        let json = "application/x-amz-json-1.0";
        assert!(unsupported(&answer(400, json, Some("UnsupportedOperation"))).is_some());
        assert!(unsupported(&answer(400, json, Some("InvalidAction"))).is_some());
        assert!(unsupported(&answer(501, json, None)).is_some());
    }

    #[test]
    fn motos_html_error_page_gets_the_fallback() {
        let why = unsupported(&answer(500, "text/html; charset=utf-8", None));
        assert!(why.is_some_and(|w| w.contains("HTML")));
    }

    #[test]
    fn any_other_error_is_an_error() {
        let json = "application/x-amz-json-1.0";
        assert_eq!(unsupported(&answer(403, json, Some("AccessDenied"))), None);
        assert_eq!(unsupported(&answer(500, json, Some("InternalError"))), None);
        assert_eq!(unsupported(&answer(500, json, None)), None);
        assert_eq!(
            unsupported(&answer(400, json, Some("ResourceNotFoundException"))),
            None
        );
    }
}
