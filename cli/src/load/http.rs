//! The API under load, over HTTP: every request timed and recorded under its endpoint, with its
//! status and the `x-cache` header the query API sets. Loopback only unless asked otherwise: a
//! load run against a deployed API costs money and loads a shared service.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Url};

use super::stats::{Outcome, Recorder};

#[derive(Debug, Clone)]
pub struct Target {
    client: Client,
    base: Url,
    token: Option<String>,
    pub recorder: Arc<Recorder>,
}

/// An answer's status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The base URL, refused when it is not loopback and `allow_remote` is off.
pub fn base_url(raw: &str, allow_remote: bool) -> anyhow::Result<Url> {
    let url = Url::parse(raw).with_context(|| format!("--base-url {raw:?} is not a URL"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "--base-url {raw:?}: the scheme must be http or https"
    );
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(
        loopback || allow_remote,
        "--base-url {raw:?} is not a loopback address; pass --allow-remote to load a deployed API (it is billed)"
    );
    Ok(url)
}

impl Target {
    pub fn new(
        base: Url,
        token: Option<String>,
        request_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = Client::builder()
            .timeout(request_timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            base,
            token,
            recorder: Arc::default(),
        })
    }

    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let builder = self
            .client
            .request(method, format!("{}{path}", self.base()));
        match &self.token {
            Some(token) => builder.header(AUTHORIZATION, format!("Bearer {token}")),
            None => builder,
        }
    }

    /// A GET, recorded under `endpoint`; `None` when no answer came.
    pub async fn get(&self, endpoint: &'static str, path: &str) -> Option<Answer> {
        self.send(endpoint, self.request(reqwest::Method::GET, path))
            .await
    }

    /// A JSON POST, recorded under `endpoint`.
    pub async fn post(&self, endpoint: &'static str, path: &str, body: String) -> Option<Answer> {
        let request = self
            .request(reqwest::Method::POST, path)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        self.send(endpoint, request).await
    }

    async fn send(&self, endpoint: &'static str, request: RequestBuilder) -> Option<Answer> {
        let started = Instant::now();
        let answer = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let cache = response
                .headers()
                .get("x-cache")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>((Answer { status, body }, cache))
        }
        .await;
        let elapsed = started.elapsed();
        match answer {
            Ok((answer, cache)) => {
                self.recorder.record(
                    endpoint,
                    elapsed,
                    Outcome::Status(answer.status),
                    cache.as_deref(),
                );
                Some(answer)
            }
            Err(error) => {
                let kind = if error.is_timeout() {
                    "timeout"
                } else if error.is_connect() {
                    "connect"
                } else {
                    "other"
                };
                tracing::debug!(endpoint, %error, "request failed");
                self.recorder
                    .record(endpoint, elapsed, Outcome::Transport(kind), None);
                None
            }
        }
    }

    /// A GET outside the measurements (health, the meter).
    pub async fn get_unrecorded(&self, path: &str) -> anyhow::Result<Answer> {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .with_context(|| format!("GET {}{path}", self.base()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .context("reading the answer")?
            .to_vec();
        Ok(Answer { status, body })
    }
}

/// How every phase of a run sends its requests (the calls, the watch's polls, the queries): to
/// `target`, `concurrency` at a time, until `deadline`.
#[derive(Debug, Clone, Copy)]
pub struct Driver<'a> {
    pub target: &'a Target,
    pub concurrency: usize,
    pub deadline: Instant,
}

impl Driver<'_> {
    pub fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// `true` before the deadline; after it, `false` with the `requests` counted as not sent.
    pub fn in_time(&self, requests: u64) -> bool {
        if self.past_deadline() {
            self.target.recorder.error("not sent (timeout)", requests);
            return false;
        }
        true
    }

    /// `send` run for each item, `concurrency` at a time; the outputs in the order they end.
    pub async fn each<I, F, Fut>(&self, items: I, send: F) -> Vec<Fut::Output>
    where
        I: IntoIterator,
        F: FnMut(I::Item) -> Fut,
        Fut: Future,
    {
        futures::stream::iter(items)
            .map(send)
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted_and_others_need_allow_remote() {
        for url in [
            "http://127.0.0.1:3000",
            "http://localhost:3071/",
            "http://[::1]:3000",
        ] {
            assert!(base_url(url, false).is_ok(), "{url}");
        }
        let error = base_url("https://api.example.com", false).expect_err("remote");
        assert!(error.to_string().contains("--allow-remote"), "{error}");
        assert!(base_url("https://api.example.com", true).is_ok());
        assert!(base_url("ftp://127.0.0.1", true).is_err());
        assert!(base_url("not a url", true).is_err());
    }
}
