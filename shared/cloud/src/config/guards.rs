//! The checks a configuration value must pass before a function may start with it: settings
//! that are safe on a laptop and dangerous in an account are refused at cold start.
//!
//! - `LOCAL_DEFAULT_TENANT` maps every token without a tenant claim to one tenant. It is
//!   accepted only when the function's AWS calls go to an emulator: `AWS_ENDPOINT_URL` names a
//!   loopback host, no per-service endpoint (`AWS_ENDPOINT_URL_DYNAMODB`, `…_SQS`) names
//!   another, and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is not on. A deployed function whose
//!   SDK talks to loopback reaches no table at all, so the default tenant can never read or
//!   write real data. (`AWS_LAMBDA_FUNCTION_NAME` being unset is no proof: `cargo lambda watch`
//!   sets it locally, and an unset variable says nothing about where the data is.)
//! - `CACHE_URL` must be `rediss://` (TLS), or `redis://` to a loopback host (a local
//!   `redis-server`): a plain connection to anything else carries the cached call data and the
//!   credentials in clear, wherever the function runs.

use std::net::IpAddr;

use callscope_core::domain::TenantId;

use super::{ConfigError, Env};

/// Endpoint variables the SDK reads for the services the functions call.
const ENDPOINT_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_ENDPOINT_URL_SQS",
];

/// `CACHE_NAMESPACE`: written raw at the start of every cache key (`namespace:…`), so a
/// deployed cache user can be allowed exactly `~namespace:*`; letters, digits, `.`, `_` and `-`
/// only, so no namespace's keys start like another's and none holds a hash tag.
pub(super) fn cache_namespace(env: &Env<'_>) -> Result<String, ConfigError> {
    let namespace = env.required("CACHE_NAMESPACE")?;
    let valid = namespace.len() <= 128
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(namespace)
    } else {
        Err(ConfigError::Invalid {
            name: "CACHE_NAMESPACE".into(),
            reason: "must be 1–128 of A-Z a-z 0-9 . _ -".into(),
        })
    }
}

pub(super) fn default_tenant(env: &Env<'_>) -> Result<Option<TenantId>, ConfigError> {
    let Some(raw) = env.optional("LOCAL_DEFAULT_TENANT") else {
        return Ok(None);
    };
    let invalid = |reason: String| ConfigError::Invalid {
        name: "LOCAL_DEFAULT_TENANT".into(),
        reason,
    };
    if let Some(why) = not_an_emulator(env) {
        return Err(invalid(format!(
            "is only accepted against a local emulator, and {why}; unset it"
        )));
    }
    TenantId::parse("LOCAL_DEFAULT_TENANT", raw)
        .map(Some)
        .map_err(|e| invalid(e.rule))
}

/// Why the SDK may reach a real account (`None`: every endpoint is a loopback one). The
/// environment's endpoint variables take precedence over a profile's `endpoint_url` settings,
/// so with `AWS_ENDPOINT_URL` on loopback and no service variable elsewhere, no call leaves the
/// machine.
pub(super) fn not_an_emulator(env: &Env<'_>) -> Option<String> {
    if env
        .optional("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return Some("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true sends calls to AWS".into());
    }
    if env.optional("AWS_ENDPOINT_URL").is_none() {
        return Some("AWS_ENDPOINT_URL is not set (the calls go to AWS)".into());
    }
    ENDPOINT_VARIABLES.iter().find_map(|name| {
        let url = env.optional(name)?;
        (!is_loopback_url(&url)).then(|| format!("{name} is not a loopback address"))
    })
}

pub(super) fn cache_url(url: String) -> Result<String, ConfigError> {
    let scheme = url.split("://").next().unwrap_or_default();
    let safe = match scheme.to_ascii_lowercase().as_str() {
        "rediss" | "unix" | "redis+unix" => true,
        "redis" => is_loopback_url(&url),
        _ => false,
    };
    if safe {
        Ok(url)
    } else {
        Err(ConfigError::Invalid {
            name: "CACHE_URL".into(),
            // The URL is not quoted: it may hold the cache's password.
            reason: "must be rediss:// (TLS), or redis:// to a loopback host for a local Redis: a plain connection elsewhere carries cached calls and credentials in clear".into(),
        })
    }
}

/// `TENANT_REQUESTS_PER_MINUTE`, 0 meaning no limit.
pub(super) fn requests_per_minute(env: &Env<'_>) -> Result<u32, ConfigError> {
    whole_number(env, "TENANT_REQUESTS_PER_MINUTE", 0)
}

/// A required whole number of at least `min`.
pub(super) fn whole_number(env: &Env<'_>, name: &str, min: u32) -> Result<u32, ConfigError> {
    let raw = env.required(name)?;
    match raw.trim().parse::<u32>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(ConfigError::Invalid {
            name: name.into(),
            reason: format!("{raw:?} is not a whole number of at least {min}"),
        }),
    }
}

/// Whether `url`'s host is `localhost` or a loopback IP (`127.0.0.0/8`, `::1`).
fn is_loopback_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{FromEnv, IngestConfig, QueryConfig};
    use super::*;

    fn query(vars: &[(&str, &str)]) -> Result<QueryConfig, ConfigError> {
        let mut all: HashMap<&str, &str> = HashMap::from([
            ("CALLS_TABLE", "c"),
            ("ANALYTICS_TABLE", "a"),
            ("TENANT_CLAIM", "tenant_id"),
            ("CACHE_NAMESPACE", "ns"),
            ("TENANT_REQUESTS_PER_MINUTE", "600"),
            ("CURSOR_SECRET", "a test stack's cursor secret"),
        ]);
        all.extend(vars.iter().copied());
        QueryConfig::from_lookup(|name| all.get(name).map(|v| (*v).to_owned()))
    }

    fn ingest(vars: &[(&str, &str)]) -> Result<IngestConfig, ConfigError> {
        let mut all: HashMap<&str, &str> = HashMap::from([
            ("CALLS_TABLE", "c"),
            ("PROCESS_QUEUE_URL", "q"),
            ("ANALYTICS_QUEUE_URL", "a"),
            ("REANALYSE_QUEUE_URL", "r"),
            ("ERASURE_QUEUE_URL", "e"),
            ("TENANT_CLAIM", "tenant_id"),
            ("TENANT_REQUESTS_PER_MINUTE", "0"),
            ("LOCAL_DEFAULT_TENANT", "acme"),
        ]);
        all.extend(vars.iter().copied());
        IngestConfig::from_lookup(|name| all.get(name).map(|v| (*v).to_owned()))
    }

    fn refused(result: Result<impl std::fmt::Debug, ConfigError>, variable: &str) -> String {
        match result {
            Err(ConfigError::Invalid { name, reason }) if name == variable => reason,
            other => panic!("expected {variable} to be refused, got {other:?}"),
        }
    }

    #[test]
    fn a_cache_namespace_that_could_reach_into_other_keys_is_refused() {
        assert_eq!(
            query(&[("CACHE_NAMESPACE", "callscope-dev-1a2b3c4d")])
                .expect("valid")
                .cache_namespace,
            "callscope-dev-1a2b3c4d"
        );
        for bad in ["a:b", "{acme}", "with space", &"n".repeat(129)] {
            refused(query(&[("CACHE_NAMESPACE", bad)]), "CACHE_NAMESPACE");
        }
    }

    #[test]
    fn the_default_tenant_is_accepted_against_a_loopback_emulator() {
        for endpoint in [
            "http://localhost:4566",
            "http://127.0.0.1:4566",
            "http://[::1]:4566/",
        ] {
            let config = ingest(&[
                ("AWS_ENDPOINT_URL", endpoint),
                ("AWS_LAMBDA_FUNCTION_NAME", "ingest"),
            ])
            .expect(endpoint);
            assert_eq!(config.default_tenant.map(String::from), Some("acme".into()));
        }
    }

    #[test]
    fn the_default_tenant_is_refused_wherever_the_sdk_may_reach_aws() {
        let deployed = refused(
            ingest(&[("AWS_LAMBDA_FUNCTION_NAME", "ingest")]),
            "LOCAL_DEFAULT_TENANT",
        );
        assert!(
            deployed.contains("AWS_ENDPOINT_URL is not set"),
            "{deployed}"
        );
        for (name, value) in [
            (
                "AWS_ENDPOINT_URL",
                "https://dynamodb.us-east-1.amazonaws.com",
            ),
            ("AWS_ENDPOINT_URL", "http://localhost.evil.example:4566"),
            ("AWS_ENDPOINT_URL", "http://10.0.0.8:4566"),
        ] {
            refused(ingest(&[(name, value)]), "LOCAL_DEFAULT_TENANT");
        }
        let local = ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
        let per_service = (
            "AWS_ENDPOINT_URL_DYNAMODB",
            "https://dynamodb.eu-west-1.amazonaws.com",
        );
        refused(ingest(&[local, per_service]), "LOCAL_DEFAULT_TENANT");
        let ignored = ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        refused(ingest(&[local, ignored]), "LOCAL_DEFAULT_TENANT");
    }

    #[test]
    fn a_plain_redis_url_is_refused_unless_it_is_loopback() {
        let reason = refused(
            query(&[("CACHE_URL", "redis://:secret@cache.internal:6379")]),
            "CACHE_URL",
        );
        assert!(reason.contains("rediss://"), "{reason}");
        assert!(!reason.contains("secret"), "the password is never echoed");
        for url in [
            "rediss://cache.example.com:6379",
            "redis://127.0.0.1:6421",
            "redis://localhost:6379/0",
        ] {
            assert_eq!(
                query(&[("CACHE_URL", url)])
                    .expect(url)
                    .cache_url
                    .as_deref(),
                Some(url)
            );
        }
        assert_eq!(query(&[]).expect("no cache").cache_url, None);
    }

    #[test]
    fn the_rate_limit_is_a_whole_number() {
        assert_eq!(query(&[]).expect("valid").requests_per_minute, 600);
        refused(
            query(&[("TENANT_REQUESTS_PER_MINUTE", "lots")]),
            "TENANT_REQUESTS_PER_MINUTE",
        );
    }
}
