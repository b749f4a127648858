//! Webhooks: where a tenant wants its events POSTed, one HTTPS endpoint per event kind. The
//! signing secret is not part of this section: the server generates it and keeps it apart
//! (docs/webhooks.md#the-signing-secret), so no settings read or write ever carries it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::settings::limits::MAX_URL_CHARS;

/// The event kinds a tenant can subscribe an endpoint to (EventBridge detail-types).
pub const EVENT_KINDS: [&str; 2] = ["CallAnalysed", "CallAlert"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhooks {
    /// Event kind (`CallAnalysed`, `CallAlert`) → the URL its events are POSTed to. A kind
    /// without an entry is not delivered.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = WebhookEndpoints))]
    pub endpoints: BTreeMap<String, String>,
}

/// How the OpenAPI document describes [`Webhooks::endpoints`]: one optional URL per event kind.
/// The pattern is the https:// URLs every deployment takes (a host of letters, digits and
/// single `-`, a port, a path, a query); any other absolute https:// URL without credentials or
/// `#fragment` is taken too, and `http://` to a loopback host when running against a local
/// emulator. A kind is left out rather than `null`.
#[cfg(feature = "openapi")]
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, dead_code)]
pub struct WebhookEndpoints {
    #[schema(
        max_length = 2048,
        pattern = r#"^https://[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(\.[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*)*(:[0-9]{1,4})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$"#
    )]
    #[serde(default)]
    CallAnalysed: String,
    #[schema(
        max_length = 2048,
        pattern = r#"^https://[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(\.[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*)*(:[0-9]{1,4})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$"#
    )]
    #[serde(default)]
    CallAlert: String,
}

/// Which endpoints a deployment may deliver to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointPolicy {
    /// `https://` only: a deployed stack.
    #[default]
    HttpsOnly,
    /// Also `http://` to a loopback host (127.0.0.1, ::1, localhost): a run against an emulator,
    /// where the receiver is a process on the same machine.
    AllowLoopbackHttp,
}

impl Webhooks {
    /// The rules that hold wherever the section is read (https, or http to loopback).
    pub fn validate(&self) -> Result<(), InputError> {
        self.check(EndpointPolicy::AllowLoopbackHttp)
    }

    /// [`validate`](Self::validate) under a deployment's policy: `HttpsOnly` also refuses
    /// loopback `http://`.
    pub fn check(&self, policy: EndpointPolicy) -> Result<(), InputError> {
        for (kind, url) in &self.endpoints {
            let field = format!("endpoints.{kind}");
            if !EVENT_KINDS.contains(&kind.as_str()) {
                return Err(InputError::invalid(
                    field,
                    format!("is not an event kind: one of {}", EVENT_KINDS.join(", ")),
                ));
            }
            endpoint(url, policy).map_err(|rule| InputError::invalid(field, rule))?;
        }
        Ok(())
    }

    /// The endpoint of `kind`, if the tenant set one.
    pub fn endpoint(&self, kind: &str) -> Option<&str> {
        self.endpoints.get(kind).map(String::as_str)
    }
}

/// `url` as an endpoint under `policy`, or the rule it breaks.
pub fn endpoint(url: &str, policy: EndpointPolicy) -> Result<url::Url, String> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("must be an absolute URL ({e})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "must not carry credentials (user:password@): authenticate deliveries by their signature"
                .into(),
        );
    }
    if parsed.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("must name a host".into()),
    };
    match (parsed.scheme(), policy) {
        ("https", _) => Ok(parsed),
        ("http", EndpointPolicy::AllowLoopbackHttp) if loopback => Ok(parsed),
        ("http", EndpointPolicy::HttpsOnly) if loopback => Err(
            "must be https:// (http:// to a loopback host is accepted only when running against a local emulator)"
                .into(),
        ),
        _ => Err("must be an https:// URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhooks(kind: &str, url: &str) -> Webhooks {
        Webhooks {
            endpoints: [(kind.to_owned(), url.to_owned())].into(),
        }
    }

    #[test]
    fn https_endpoints_are_accepted_for_both_kinds() {
        for kind in EVENT_KINDS {
            let w = webhooks(kind, "https://hooks.example.com/callscope?x=1");
            assert_eq!(w.check(EndpointPolicy::HttpsOnly), Ok(()));
        }
    }

    #[test]
    fn a_bad_endpoint_is_refused_naming_the_kind_and_the_rule() {
        let cases = [
            (
                "CallAnalysed",
                "http://hooks.example.com/",
                "must be an https:// URL",
            ),
            (
                "CallAnalysed",
                "ftp://hooks.example.com/",
                "must be an https:// URL",
            ),
            (
                "CallAnalysed",
                "hooks.example.com",
                "must be an absolute URL",
            ),
            (
                "CallAlert",
                "https://u:p@hooks.example.com/",
                "must not carry credentials",
            ),
            (
                "CallAlert",
                "https://hooks.example.com/#x",
                "must not have a #fragment",
            ),
            (
                "CallErased",
                "https://hooks.example.com/",
                "is not an event kind",
            ),
        ];
        for (kind, url, rule) in cases {
            let e = webhooks(kind, url).validate().unwrap_err();
            assert_eq!(e.field, format!("endpoints.{kind}"), "{url}");
            assert!(e.rule.starts_with(rule), "{url}: {}", e.rule);
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        let e = webhooks("CallAnalysed", &long).validate().unwrap_err();
        assert!(e.rule.contains("at most"), "{}", e.rule);
    }

    #[test]
    fn loopback_http_is_accepted_only_where_the_policy_allows_it() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost:9/",
            "http://[::1]/x",
        ] {
            let w = webhooks("CallAnalysed", url);
            assert_eq!(w.check(EndpointPolicy::AllowLoopbackHttp), Ok(()), "{url}");
            let e = w.check(EndpointPolicy::HttpsOnly).unwrap_err();
            assert!(e.rule.contains("local emulator"), "{url}: {}", e.rule);
        }
        let e = webhooks("CallAnalysed", "http://10.0.0.1/")
            .check(EndpointPolicy::AllowLoopbackHttp)
            .unwrap_err();
        assert_eq!(e.rule, "must be an https:// URL");
    }
}
