//! Typed configuration of each function, read from the environment once per cold start.
//!
//! A missing or invalid variable fails the cold start with its name: a function must never run
//! on a silently defaulted table or queue.

mod guards;

use std::collections::BTreeMap;

use callscope_core::domain::TenantId;
use callscope_core::settings::EndpointPolicy;

use guards::{cache_namespace, cache_url, default_tenant, requests_per_minute, whole_number};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(String),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

/// A function's configuration, read from its environment once per cold start.
pub trait FromEnv: Sized {
    /// Reads the configuration from the variables `env` finds.
    fn read(env: &Env<'_>) -> Result<Self, ConfigError>;

    /// From the process environment: what a function's composition root calls.
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Through a lookup function, so tests and the local runner can supply the variables.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env(&lookup))
    }
}

/// The variables a configuration is read from.
pub struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env(..)")
    }
}

impl Env<'_> {
    fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or_else(|| ConfigError::Missing(name.to_owned()))
    }

    /// Unset and empty are both "not given" (CloudFormation writes empty parameters as "").
    fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

/// The HTTP ingest function: `POST /api/v1/calls` and `/api/v1/calls/bulk`, and the calls'
/// lifecycle (`DELETE /api/v1/calls/{id}`, `POST /api/v1/calls/{id}/reanalyse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    pub calls_table: String,
    pub process_queue_url: String,
    /// Where an erasure's `CallErased` goes (aggregate subtracts it).
    pub analytics_queue_url: String,
    /// Where re-analysis requests go (process drains it at a low concurrency).
    pub reanalyse_queue_url: String,
    /// `ERASURE_QUEUE_URL`: where a customer erasure's first page goes (the erasures function
    /// drains it).
    pub erasure_queue_url: String,
    /// The JWT claim that carries the tenant (`TENANT_CLAIM`).
    pub tenant_claim: String,
    /// `LOCAL_DEFAULT_TENANT`: only for local runs without an authorizer, against an emulator
    /// (refused otherwise, see `guards`); requests without a tenant claim are refused unless
    /// this is set explicitly.
    pub default_tenant: Option<TenantId>,
    /// `TENANT_REQUESTS_PER_MINUTE`: each tenant's requests a minute, per sandbox (0: no limit).
    pub requests_per_minute: u32,
    /// `DROPIN_BUCKET`: where `POST /api/v1/uploads` presigns PUTs (unset: no uploads).
    pub dropin_bucket: Option<String>,
}

impl FromEnv for IngestConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            process_queue_url: env.required("PROCESS_QUEUE_URL")?,
            analytics_queue_url: env.required("ANALYTICS_QUEUE_URL")?,
            reanalyse_queue_url: env.required("REANALYSE_QUEUE_URL")?,
            erasure_queue_url: env.required("ERASURE_QUEUE_URL")?,
            tenant_claim: env.required("TENANT_CLAIM")?,
            default_tenant: default_tenant(env)?,
            requests_per_minute: requests_per_minute(env)?,
            dropin_bucket: env.optional("DROPIN_BUCKET"),
        })
    }
}

/// The dropin function: objects S3 announces on the drop-in queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DropInConfig {
    pub calls_table: String,
    pub process_queue_url: String,
    pub dropin_dlq_url: String,
    /// `DROPIN_BUCKET`: the drop-in bucket, whose keys start with their tenant.
    pub bucket: String,
    /// `NAME_PATTERNS` (`TENANT=PATTERN;…`): file-name patterns per tenant.
    pub name_patterns: callscope_core::objects::NamePatterns,
    /// `OBJECT_SOURCES` (`BUCKET/PREFIX=TENANT,…`): other buckets' calls (Amazon Connect).
    pub sources: callscope_app::dropin::ObjectSources,
}

impl FromEnv for DropInConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let invalid = |name: &str, reason: String| ConfigError::Invalid {
            name: name.to_owned(),
            reason,
        };
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            process_queue_url: env.required("PROCESS_QUEUE_URL")?,
            dropin_dlq_url: env.required("DROPIN_DLQ_URL")?,
            bucket: env.required("DROPIN_BUCKET")?,
            name_patterns: callscope_core::objects::NamePatterns::parse(
                &env.optional("NAME_PATTERNS").unwrap_or_default(),
            )
            .map_err(|e| invalid("NAME_PATTERNS", e.to_string()))?,
            sources: callscope_app::dropin::ObjectSources::parse(
                &env.optional("OBJECT_SOURCES").unwrap_or_default(),
            )
            .map_err(|e| invalid("OBJECT_SOURCES", e.to_string()))?,
        })
    }
}

/// The recordings function: audio objects S3 announces on the recordings queue, each started as
/// an Amazon Transcribe job.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingsConfig {
    pub recordings_dlq_url: String,
    /// Where a failed job's call is stored FAILED.
    pub calls_table: String,
    /// `CALL_ANALYTICS`, `AGENT_CHANNEL`, `MAX_SPEAKERS`, `REDACT_PII`, `IDENTIFY_LANGUAGE`,
    /// `LANGUAGES`: the template's recording parameters.
    pub settings: callscope_core::recordings::RecordingSettings,
    /// `TRANSCRIBE_DATA_ACCESS_ROLE_ARN`: the role Call Analytics jobs run as (required with
    /// `CALL_ANALYTICS=true`).
    pub data_access_role_arn: Option<String>,
}

impl FromEnv for RecordingsConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let invalid = |name: &str, reason: String| ConfigError::Invalid {
            name: name.to_owned(),
            reason,
        };
        let flag = |name: &str| match env.optional(name).as_deref().map(str::trim) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(invalid(name, format!("{other:?} is not true or false"))),
        };
        let agent_channel = match env.optional("AGENT_CHANNEL").as_deref().map(str::trim) {
            None => None,
            Some("0") => Some(0),
            Some("1") => Some(1),
            Some(other) => {
                return Err(invalid(
                    "AGENT_CHANNEL",
                    format!("{other:?} is not 0, 1 or empty (mixed audio)"),
                ))
            }
        };
        let max_speakers = whole_number(env, "MAX_SPEAKERS", 2)?;
        if max_speakers > 30 {
            return Err(invalid(
                "MAX_SPEAKERS",
                format!("{max_speakers} is more than Transcribe tells apart (30)"),
            ));
        }
        let languages: Vec<String> = env
            .required("LANGUAGES")?
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if languages.is_empty() {
            return Err(invalid("LANGUAGES", "names no language code".into()));
        }
        let settings = callscope_core::recordings::RecordingSettings {
            call_analytics: flag("CALL_ANALYTICS")?,
            agent_channel,
            max_speakers: u8::try_from(max_speakers).unwrap_or(30),
            redact_pii: flag("REDACT_PII")?,
            identify_language: flag("IDENTIFY_LANGUAGE")?,
            languages,
        };
        let data_access_role_arn = env.optional("TRANSCRIBE_DATA_ACCESS_ROLE_ARN");
        if settings.call_analytics && data_access_role_arn.is_none() {
            return Err(ConfigError::Missing(
                "TRANSCRIBE_DATA_ACCESS_ROLE_ARN".to_owned(),
            ));
        }
        Ok(Self {
            recordings_dlq_url: env.required("RECORDINGS_DLQ_URL")?,
            calls_table: env.required("CALLS_TABLE")?,
            settings,
            data_access_role_arn,
        })
    }
}

/// The intake function: calls dropped on the intake queue by trusted producers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeConfig {
    pub calls_table: String,
    pub process_queue_url: String,
    pub intake_dlq_url: String,
    /// `PRODUCER_TENANTS` (`UNIQUEID=tenant,…`): each producer bound to its tenant. Empty:
    /// any sender the queue policy lets in may name any tenant.
    pub producer_tenants: Option<BTreeMap<String, TenantId>>,
    /// `MAX_RECEIVE_COUNT`: the intake queue's `maxReceiveCount` (the template's
    /// MaxReceiveCount), so a message that keeps failing is parked redacted before SQS moves it.
    pub max_receive_count: u32,
    /// `REDRIVE_SENDERS` (`UNIQUEID,…`): senders whose `original_sender` attribute the binding
    /// believes (the intake and redrive roles). Unset: none.
    pub redrive_senders: std::collections::BTreeSet<String>,
}

impl FromEnv for IntakeConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let producer_tenants = env
            .optional("PRODUCER_TENANTS")
            .map(|raw| parse_producer_tenants(&raw))
            .transpose()?;
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            process_queue_url: env.required("PROCESS_QUEUE_URL")?,
            intake_dlq_url: env.required("INTAKE_DLQ_URL")?,
            producer_tenants,
            max_receive_count: whole_number(env, "MAX_RECEIVE_COUNT", 1)?,
            redrive_senders: env
                .optional("REDRIVE_SENDERS")
                .map(|raw| {
                    raw.split(',')
                        .map(str::trim)
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessConfig {
    pub calls_table: String,
    /// Read only for a missing call: its rollup ledger says whether it was erased.
    pub analytics_table: String,
    pub analytics_queue_url: String,
    pub process_dlq_url: String,
}

impl FromEnv for ProcessConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            analytics_table: env.required("ANALYTICS_TABLE")?,
            analytics_queue_url: env.required("ANALYTICS_QUEUE_URL")?,
            process_dlq_url: env.required("PROCESS_DLQ_URL")?,
        })
    }
}

/// The erasures function: customer erasure requests, page by page, from the erasure queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasuresConfig {
    pub calls_table: String,
    /// Where each erased call's `CallErased` goes (aggregate subtracts it).
    pub analytics_queue_url: String,
    /// Where the next page of a request goes (its own queue).
    pub erasure_queue_url: String,
    pub erasure_dlq_url: String,
    /// Where a bulk re-analysis queues each call's re-analysis (the process function drains it
    /// at its low concurrency).
    pub reanalyse_queue_url: String,
    /// `DROPIN_BUCKET`: the raw objects erased calls were read from (unset: none deleted).
    pub dropin_bucket: Option<String>,
}

impl FromEnv for ErasuresConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            analytics_queue_url: env.required("ANALYTICS_QUEUE_URL")?,
            erasure_queue_url: env.required("ERASURE_QUEUE_URL")?,
            erasure_dlq_url: env.required("ERASURE_DLQ_URL")?,
            reanalyse_queue_url: env.required("REANALYSE_QUEUE_URL")?,
            dropin_bucket: env.optional("DROPIN_BUCKET"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateConfig {
    pub analytics_table: String,
    pub analytics_dlq_url: String,
}

impl FromEnv for AggregateConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            analytics_table: env.required("ANALYTICS_TABLE")?,
            analytics_dlq_url: env.required("ANALYTICS_DLQ_URL")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    pub calls_table: String,
    pub process_queue_url: String,
    /// `STALE_AFTER_SECONDS`: a call RECEIVED longer ago than this is queued again. Longer than
    /// a healthy process queue's wait, so the sweeper only acts on calls whose message was lost.
    pub stale_after: chrono::Duration,
}

impl FromEnv for SweepConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let seconds = whole_number(env, "STALE_AFTER_SECONDS", 0)?;
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            process_queue_url: env.required("PROCESS_QUEUE_URL")?,
            stale_after: chrono::Duration::seconds(i64::from(seconds)),
        })
    }
}

/// The query API function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConfig {
    pub calls_table: String,
    pub analytics_table: String,
    pub tenant_claim: String,
    /// `LOCAL_DEFAULT_TENANT`, as for ingest: off unless set explicitly.
    pub default_tenant: Option<TenantId>,
    /// `CACHE_URL` (`rediss://`, or `redis://` on a loopback host); unset or empty: no cache.
    pub cache_url: Option<String>,
    /// `CACHE_NAMESPACE`: the first part of every cache key, so stacks can share a cache.
    pub cache_namespace: String,
    /// `TENANT_REQUESTS_PER_MINUTE`: each tenant's requests a minute (0: no limit), counted in
    /// the cache when there is one.
    pub requests_per_minute: u32,
    /// `CURSOR_SECRET`: the key list cursors are signed with (HMAC-SHA-256), per stack. The
    /// template passes the `CursorSecret` parameter (16 characters or more), else the calls
    /// table's generated name: unique per stack and never shown to API clients.
    pub cursor_secret: Secret,
    /// Which webhook endpoints a settings write may set: loopback `http://` only when the
    /// function's AWS calls go to an emulator (as for `LOCAL_DEFAULT_TENANT`), never in AWS.
    pub webhook_endpoints: EndpointPolicy,
}

/// A value that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn cursor_secret(env: &Env<'_>) -> Result<Secret, ConfigError> {
    env.required("CURSOR_SECRET").map(Secret)
}

impl FromEnv for QueryConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            analytics_table: env.required("ANALYTICS_TABLE")?,
            tenant_claim: env.required("TENANT_CLAIM")?,
            default_tenant: default_tenant(env)?,
            cache_url: env.optional("CACHE_URL").map(cache_url).transpose()?,
            cache_namespace: cache_namespace(env)?,
            requests_per_minute: requests_per_minute(env)?,
            cursor_secret: cursor_secret(env)?,
            webhook_endpoints: webhook_endpoints(env),
        })
    }
}

/// The invalidate function: it exists only where there is a cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidateConfig {
    pub cache_url: String,
    pub cache_namespace: String,
}

impl FromEnv for InvalidateConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            cache_url: cache_url(env.required("CACHE_URL")?)?,
            cache_namespace: cache_namespace(env)?,
        })
    }
}

/// The outbound function: the calls table it reads analyses from, the bus it publishes to and
/// the bucket it exports into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundConfig {
    pub calls_table: String,
    /// `EVENT_BUS_NAME`: the bus `CallAnalysed` events go to.
    pub event_bus_name: String,
    /// `EXPORT_BUCKET`: the Parquet export's bucket.
    pub export_bucket: String,
    /// `EXPORT_TRANSCRIPT_TENANTS`: tenants whose export rows carry the redacted transcript
    /// (comma-separated; empty: none). A stand-in until the tenant settings carry the opt-in.
    pub transcript_tenants: std::collections::BTreeSet<TenantId>,
    /// `DROPIN_BUCKET`: where a call's raw object is deleted once its transcript expires
    /// (unset: no drop-in bucket, nothing to delete).
    pub dropin_bucket: Option<String>,
}

impl FromEnv for OutboundConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let transcript_tenants = env
            .optional("EXPORT_TRANSCRIPT_TENANTS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                TenantId::parse("tenant", t).map_err(|e| ConfigError::Invalid {
                    name: "EXPORT_TRANSCRIPT_TENANTS".into(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            event_bus_name: env.required("EVENT_BUS_NAME")?,
            export_bucket: env.required("EXPORT_BUCKET")?,
            transcript_tenants,
            dropin_bucket: env.optional("DROPIN_BUCKET"),
        })
    }
}

/// Loopback `http://` endpoints are for a receiver on the laptop that runs the emulator.
fn webhook_endpoints(env: &Env<'_>) -> EndpointPolicy {
    match guards::not_an_emulator(env) {
        None => EndpointPolicy::AllowLoopbackHttp,
        Some(_) => EndpointPolicy::HttpsOnly,
    }
}

/// The webhooks function: the webhook queue's events POSTed to the tenants' endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhooksConfig {
    /// `CALLS_TABLE`: where the tenants' settings and signing secrets are.
    pub calls_table: String,
    /// `WEBHOOK_QUEUE_URL`: the queue whose messages are hidden for the backoff delay.
    pub webhook_queue_url: String,
    /// `WEBHOOK_DLQ_URL`: where an event is parked after its last attempt.
    pub webhook_dlq_url: String,
    /// `WEBHOOK_MAX_ATTEMPTS`, `WEBHOOK_BACKOFF_SECONDS` (the first wait, doubled each time),
    /// `WEBHOOK_MAX_BACKOFF_SECONDS`, `WEBHOOK_TIMEOUT_SECONDS` (one POST).
    pub retry: callscope_app::webhooks::RetryPolicy,
    pub endpoints: EndpointPolicy,
}

impl FromEnv for WebhooksConfig {
    fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        let seconds = |name: &str, min: u32| {
            guards::whole_number(env, name, min).map(|n| std::time::Duration::from_secs(n.into()))
        };
        Ok(Self {
            calls_table: env.required("CALLS_TABLE")?,
            webhook_queue_url: env.required("WEBHOOK_QUEUE_URL")?,
            webhook_dlq_url: env.required("WEBHOOK_DLQ_URL")?,
            retry: callscope_app::webhooks::RetryPolicy {
                max_attempts: guards::whole_number(env, "WEBHOOK_MAX_ATTEMPTS", 1)?,
                base_delay: seconds("WEBHOOK_BACKOFF_SECONDS", 0)?,
                max_delay: seconds("WEBHOOK_MAX_BACKOFF_SECONDS", 0)?,
                timeout: seconds("WEBHOOK_TIMEOUT_SECONDS", 1)?,
            },
            endpoints: webhook_endpoints(env),
        })
    }
}

/// `AROAEXAMPLE=acme,AIDAEXAMPLE=globex` → unique id → tenant.
/// Why AWS calls made with this process's environment may reach a real account, or `None` when
/// every endpoint the SDK will use is a loopback emulator: what `callscope local …` checks
/// before it creates or deletes anything.
pub fn calls_may_reach_aws(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    guards::not_an_emulator(&Env(&lookup))
}

fn parse_producer_tenants(raw: &str) -> Result<BTreeMap<String, TenantId>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "PRODUCER_TENANTS".into(),
        reason,
    };
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (producer, tenant) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("{pair:?} is not UNIQUEID=tenant")))?;
            let tenant =
                TenantId::parse("tenant", tenant.trim()).map_err(|e| invalid(e.to_string()))?;
            Ok((producer.trim().to_owned(), tenant))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn recording_settings_come_from_the_templates_parameters_and_bad_ones_are_named() {
        let base = [
            ("RECORDINGS_DLQ_URL", "d"),
            ("CALLS_TABLE", "calls"),
            ("CALL_ANALYTICS", "false"),
            ("AGENT_CHANNEL", ""),
            ("MAX_SPEAKERS", "2"),
            ("REDACT_PII", "true"),
            ("IDENTIFY_LANGUAGE", "true"),
            ("LANGUAGES", "en-US, es-US"),
            ("TRANSCRIBE_DATA_ACCESS_ROLE_ARN", ""),
        ];
        let config = RecordingsConfig::from_lookup(lookup(&base)).expect("valid");
        assert_eq!(config.settings.agent_channel, None);
        assert!(config.settings.redact_pii && config.settings.identify_language);
        assert_eq!(config.settings.languages, ["en-US", "es-US"]);
        assert_eq!(config.data_access_role_arn, None);
        let with = |name: &str, value: &str| {
            let mut vars = base.to_vec();
            vars.retain(|(n, _)| *n != name);
            vars.push((name, value));
            RecordingsConfig::from_lookup(lookup(&vars))
        };
        assert_eq!(
            with("AGENT_CHANNEL", "1")
                .expect("valid")
                .settings
                .agent_channel,
            Some(1)
        );
        for (name, value) in [
            ("AGENT_CHANNEL", "2"),
            ("MAX_SPEAKERS", "31"),
            ("REDACT_PII", "yes"),
        ] {
            assert!(
                matches!(with(name, value), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name}={value}"
            );
        }
        // Call Analytics cannot start without the role it runs as.
        assert_eq!(
            with("CALL_ANALYTICS", "true").expect_err("no role"),
            ConfigError::Missing("TRANSCRIBE_DATA_ACCESS_ROLE_ARN".into())
        );
    }

    #[test]
    fn a_missing_variable_is_named() {
        let err = AggregateConfig::from_lookup(lookup(&[("ANALYTICS_TABLE", "t")]))
            .expect_err("missing DLQ");
        assert_eq!(err, ConfigError::Missing("ANALYTICS_DLQ_URL".into()));
    }

    #[test]
    fn the_default_tenant_is_off_unless_set_and_must_be_a_valid_id() {
        let base = [
            ("CALLS_TABLE", "c"),
            ("PROCESS_QUEUE_URL", "q"),
            ("ANALYTICS_QUEUE_URL", "a"),
            ("REANALYSE_QUEUE_URL", "r"),
            ("ERASURE_QUEUE_URL", "e"),
            ("TENANT_CLAIM", "tenant_id"),
            ("TENANT_REQUESTS_PER_MINUTE", "0"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ];
        assert_eq!(
            IngestConfig::from_lookup(lookup(&base))
                .expect("valid")
                .default_tenant,
            None
        );
        let mut with_empty = base.to_vec();
        with_empty.push(("LOCAL_DEFAULT_TENANT", ""));
        assert_eq!(
            IngestConfig::from_lookup(lookup(&with_empty))
                .expect("valid")
                .default_tenant,
            None
        );
        let mut with_bad = base.to_vec();
        with_bad.push(("LOCAL_DEFAULT_TENANT", "a#b"));
        assert!(matches!(
            IngestConfig::from_lookup(lookup(&with_bad)),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn producers_are_bound_to_tenants_by_unique_id_and_a_bad_pair_is_named() {
        let base = [
            ("CALLS_TABLE", "c"),
            ("PROCESS_QUEUE_URL", "q"),
            ("INTAKE_DLQ_URL", "d"),
            ("MAX_RECEIVE_COUNT", "5"),
        ];
        let with = |value: &'static str| {
            let mut vars = base.to_vec();
            vars.push(("PRODUCER_TENANTS", value));
            IntakeConfig::from_lookup(lookup(&vars))
        };
        let bound = with("AROA1=acme, AIDA2=globex")
            .expect("valid")
            .producer_tenants
            .expect("set");
        assert_eq!(bound["AIDA2"].as_str(), "globex");
        assert_eq!(with("").expect("valid").producer_tenants, None);
        assert!(
            matches!(with("AROA1"), Err(ConfigError::Invalid { name, .. }) if name == "PRODUCER_TENANTS")
        );
    }

    #[test]
    fn redrive_senders_are_unique_ids_and_none_when_unset() {
        let base = [
            ("CALLS_TABLE", "c"),
            ("PROCESS_QUEUE_URL", "q"),
            ("INTAKE_DLQ_URL", "d"),
            ("MAX_RECEIVE_COUNT", "5"),
        ];
        let unset = IntakeConfig::from_lookup(lookup(&base)).expect("valid");
        assert!(unset.redrive_senders.is_empty());
        let mut vars = base.to_vec();
        vars.push(("REDRIVE_SENDERS", "AROAINTAKE, AROAOPS,"));
        let set = IntakeConfig::from_lookup(lookup(&vars)).expect("valid");
        assert_eq!(
            set.redrive_senders.into_iter().collect::<Vec<_>>(),
            ["AROAINTAKE", "AROAOPS"]
        );
    }

    #[test]
    fn the_cursor_secret_is_required_and_never_shown() {
        let base = [
            ("CALLS_TABLE", "c"),
            ("ANALYTICS_TABLE", "a"),
            ("TENANT_CLAIM", "tenant_id"),
            ("CACHE_NAMESPACE", "callscope"),
            ("TENANT_REQUESTS_PER_MINUTE", "0"),
        ];
        let with = |secret: Option<&'static str>| {
            let mut vars = base.to_vec();
            vars.extend(secret.map(|s| ("CURSOR_SECRET", s)));
            QueryConfig::from_lookup(lookup(&vars))
        };
        assert_eq!(
            with(None).expect_err("missing"),
            ConfigError::Missing("CURSOR_SECRET".into())
        );
        let config = with(Some("arn:aws:cloudformation:stack/x/0e7c")).expect("valid");
        assert_eq!(
            config.cursor_secret.expose(),
            "arn:aws:cloudformation:stack/x/0e7c"
        );
        assert!(!format!("{config:?}").contains("0e7c"));
    }

    #[test]
    fn the_sweep_age_must_be_whole_seconds() {
        let base = [("CALLS_TABLE", "c"), ("PROCESS_QUEUE_URL", "q")];
        let with = |age: &'static str| {
            let mut vars = base.to_vec();
            vars.push(("STALE_AFTER_SECONDS", age));
            SweepConfig::from_lookup(lookup(&vars))
        };
        assert_eq!(
            with("600").expect("valid").stale_after,
            chrono::Duration::minutes(10)
        );
        assert!(matches!(
            with("ten minutes"),
            Err(ConfigError::Invalid { name, .. }) if name == "STALE_AFTER_SECONDS"
        ));
    }
}
