//! Running an axum `Router` as a Lambda function behind API Gateway (HTTP API, payload v2), and
//! invoking it in-process with the same conversions, for local runs and tests.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::Router;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::aws_lambda_events::encodings::Body;
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Adapter, Context, LambdaEvent, Request, Service};
use serde_json::Value;
use tower::util::MapRequest;
use tower::ServiceExt;

/// The path prefix [`strip_stage`] took off a request (`/dev`), for links back into the API:
/// absent under the `$default` stage, or when the path did not carry the stage (a custom
/// domain's mapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePrefix(pub String);

impl StagePrefix {
    /// `path` (`/api/v1/…`) as the client must request it: behind the stage of `prefix`.
    pub fn link(prefix: Option<&StagePrefix>, path: &str) -> String {
        match prefix {
            Some(StagePrefix(stage)) => format!("{stage}{path}"),
            None => path.to_owned(),
        }
    }
}

/// Routes are written without the stage (`/api/v1/calls`); with a named stage the path API
/// Gateway delivers starts with it (`/dev/api/v1/calls`), so it is taken off before routing and
/// kept as the request's [`StagePrefix`].
pub fn strip_stage(mut request: Request) -> Request {
    let stage = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| s != "$default") else {
        return request;
    };
    let prefix = format!("/{stage}");
    let path = request.uri().path();
    let Some(rest) = path.strip_prefix(&prefix).filter(|r| r.starts_with('/')) else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    if let Ok(uri) = path_and_query.parse() {
        *request.uri_mut() = uri;
        request.extensions_mut().insert(StagePrefix(prefix));
    }
    request
}

/// `router` as a Lambda handler of API Gateway events, the stage taken off each path.
pub type Handler =
    Adapter<'static, axum::response::Response, MapRequest<Router, fn(Request) -> Request>>;

/// The handler [`run`] serves, for a composition root that wraps it (in telemetry) before
/// handing it to `lambda_runtime::run`.
pub fn handler(router: Router) -> Handler {
    Adapter::from(router.map_request(strip_stage as fn(Request) -> Request))
}

/// Serves `router` to the Lambda runtime until the sandbox ends.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::lambda_runtime::run(handler(router)).await
}

/// Invokes `router` with one API Gateway event exactly as [`run`] does on Lambda, and returns
/// the response event API Gateway would turn into the HTTP answer.
pub async fn invoke(
    router: &Router,
    event: LambdaRequest,
) -> Result<ApiGatewayV2httpResponse, serde_json::Error> {
    invoke_before(router, event, 0).await
}

/// [`invoke`] with the invocation's deadline (milliseconds since the epoch; 0: none) in the
/// Lambda context, as the runtime sets it.
pub async fn invoke_before(
    router: &Router,
    event: LambdaRequest,
    deadline_millis: u64,
) -> Result<ApiGatewayV2httpResponse, serde_json::Error> {
    let mut context = Context::default();
    context.deadline = deadline_millis;
    let service =
        tower::service_fn(|request: Request| router.clone().oneshot(strip_stage(request)));
    let mut adapter = Adapter::from(service);
    let response: Result<_, Infallible> = adapter.call(LambdaEvent::new(event, context)).await;
    let response = match response {
        Ok(response) => response,
        Err(never) => match never {},
    };
    // The runtime sends the response as JSON; reading that JSON back is what API Gateway does.
    serde_json::from_value(serde_json::to_value(response)?)
}

/// An HTTP request as API Gateway (HTTP API, payload v2) hands it to a function, for local runs
/// and tests: the stage in the path, the authorizer's verified claims in the request context.
#[derive(Debug, Clone, Default)]
pub struct HttpEvent {
    pub method: String,
    /// Path without the stage, e.g. `/api/v1/calls`.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    /// The body as API Gateway passes it: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    pub is_base64_encoded: bool,
    /// Claims of a verified JWT; `None` when the route had no token.
    pub claims: Option<std::collections::HashMap<String, String>>,
    /// The API's stage (`$default` when empty).
    pub stage: String,
}

impl HttpEvent {
    pub fn into_request(self) -> LambdaRequest {
        use lambda_http::aws_lambda_events::apigw::{
            ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
            ApiGatewayV2httpRequest,
        };
        use lambda_http::http::{HeaderName, HeaderValue, Method};

        let stage = if self.stage.is_empty() {
            "$default".to_owned()
        } else {
            self.stage
        };
        let raw_path = if stage == "$default" {
            self.path.clone()
        } else {
            format!("/{stage}{}", self.path)
        };
        let mut request = ApiGatewayV2httpRequest::default();
        request.version = Some("2.0".into());
        request.route_key = Some(format!("{} {}", self.method, self.path));
        request.raw_path = Some(raw_path.clone());
        request.raw_query_string = Some(self.query);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request.headers.append(name, value);
            }
        }
        request.body = self.body;
        request.is_base64_encoded = self.is_base64_encoded;
        let context = &mut request.request_context;
        context.stage = Some(stage);
        context.request_id = Some(format!("local-{:x}", rand_id()));
        context.http.method = Method::from_bytes(self.method.as_bytes()).unwrap_or(Method::GET);
        context.http.path = Some(raw_path);
        context.http.protocol = Some("HTTP/1.1".into());
        context.http.source_ip = Some("127.0.0.1".into());
        if let Some(claims) = self.claims {
            let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
            jwt.claims = claims;
            let mut authorizer = ApiGatewayRequestAuthorizer::default();
            authorizer.jwt = Some(jwt);
            context.authorizer = Some(authorizer);
        }
        LambdaRequest::ApiGatewayV2(request)
    }
}

/// A request id unique enough for local logs, without a random number generator.
fn rand_id() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    nanos ^ u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What an HTTP call returned.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Delivers one HTTP event to a function through the Lambda HTTP adapter, as API Gateway would.
pub async fn call(function: &Router, event: HttpEvent) -> HttpReply {
    let response = match invoke(function, event.into_request()).await {
        Ok(response) => response,
        Err(error) => {
            return HttpReply {
                status: 502,
                headers: BTreeMap::new(),
                body: Value::from(format!(
                    "the function's response is not a v2 response: {error}"
                )),
            }
        }
    };
    let body = match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap_or(Value::from(text.clone())),
        Some(Body::Binary(bytes)) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    HttpReply {
        status: u16::try_from(response.status_code).unwrap_or(502),
        headers: response
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body,
    }
}
