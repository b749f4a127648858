//! The `next_cursor` of a listing: where the page stopped (and, when the read budget ran out
//! while skipping, how many matching calls are still to pass over), signed with the stack's
//! cursor key over the tenant and the filters it was issued for. Opaque to clients; anything
//! else sent as a cursor — edited, forged, too long, another tenant's or another filter's — is
//! refused as a 422 naming `cursor` before any table is read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callscope_core::InputError;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ports::{ListFilter, Position};

/// Longer than any cursor this API issues (ids are ≤ 128 characters): refused unread.
pub const MAX_CURSOR_CHARS: usize = 1_024;

/// The HMAC-SHA-256 key cursors are signed with (per stack, from `CURSOR_SECRET`).
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    /// `None` for an empty secret.
    pub fn new(secret: &[u8]) -> Option<Self> {
        (!secret.is_empty()).then(|| Self(secret.to_vec()))
    }

    fn mac(&self, filter: &ListFilter, payload: &str) -> Hmac<Sha256> {
        // Any length is a valid HMAC key.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        // The filter's JSON names the tenant: a cursor is bound to both.
        mac.update(b"callscope-cursor-v1\n");
        mac.update(&serde_json::to_vec(filter).unwrap_or_default());
        mac.update(b"\n");
        mac.update(payload.as_bytes());
        mac
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "p")]
    pub position: Position,
    /// Matching calls still to pass over below `position`.
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub skip: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `{payload}.{tag}`, both URL-safe base64.
pub fn encode(key: &CursorKey, cursor: &Cursor, filter: &ListFilter) -> String {
    // A Position of validated ids and a timestamp always serialises.
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default());
    let tag = key.mac(filter, &payload).finalize().into_bytes();
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
}

pub fn decode(key: &CursorKey, raw: &str, filter: &ListFilter) -> Result<Cursor, InputError> {
    if raw.len() > MAX_CURSOR_CHARS {
        return Err(InputError::invalid(
            "cursor",
            format!(
                "is longer than any cursor this API issues ({MAX_CURSOR_CHARS} characters at most)"
            ),
        ));
    }
    let refused = || {
        InputError::invalid(
            "cursor",
            "is not a cursor this API issued for this listing; send the next_cursor of the previous page with the same filters",
        )
    };
    let (payload, tag) = raw.trim().split_once('.').ok_or_else(refused)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refused())?;
    key.mac(filter, payload)
        .verify_slice(&tag)
        .map_err(|_| refused())?;
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
    serde_json::from_slice(&json).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{call_id, tenant};
    use callscope_core::domain::{AgentId, Timestamp};

    fn key(secret: &str) -> CursorKey {
        CursorKey::new(secret.as_bytes()).expect("long enough")
    }

    fn filter(tenant_id: &str, agent: Option<&str>) -> ListFilter {
        ListFilter {
            tenant: tenant(tenant_id),
            agent: agent.map(|a| AgentId::parse("agent_id", a).expect("id")),
            team: None,
            from: None,
            to: None,
            min_sentiment: None,
            max_sentiment: None,
        }
    }

    fn cursor() -> Cursor {
        Cursor {
            position: Position {
                start_time: Timestamp::parse("t", "2026-11-02T09:00:00Z").expect("time"),
                call_id: call_id("c-1"),
            },
            skip: 3,
        }
    }

    #[test]
    fn a_cursor_reads_back_only_for_the_tenant_filters_and_key_it_was_signed_for() {
        let k = key("a stack's cursor secret");
        let acme_ana = filter("acme", Some("ana"));
        let raw = encode(&k, &cursor(), &acme_ana);
        assert_eq!(decode(&k, &raw, &acme_ana), Ok(cursor()));
        for (other_key, other_filter) in [
            (&k, filter("acme", Some("ben"))),
            (&k, filter("globex", Some("ana"))),
            (&key("another stack's secret"), acme_ana.clone()),
        ] {
            let refused = decode(other_key, &raw, &other_filter).expect_err("refused");
            assert_eq!(refused.field, "cursor");
        }
    }

    #[test]
    fn an_edited_forged_or_oversized_cursor_is_refused() {
        let k = key("a stack's cursor secret");
        let f = filter("acme", None);
        let raw = encode(&k, &cursor(), &f);
        let (payload, tag) = raw.split_once('.').expect("signed");
        // The same tag over another position: an edited cursor.
        let mut edited = cursor();
        edited.skip = 0;
        let edited_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&edited).expect("json"));
        let unsigned = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor()).expect("json"));
        for bad in [
            format!("{edited_payload}.{tag}"),
            unsigned,
            format!("{payload}."),
            format!("{payload}.{tag}x"),
            "not a cursor!".to_owned(),
            "%00".to_owned(),
            "a".repeat(MAX_CURSOR_CHARS + 1),
            String::new(),
        ] {
            assert!(decode(&k, &bad, &f).is_err(), "{bad:.40}");
        }
    }

    #[test]
    fn an_empty_secret_is_refused() {
        assert!(CursorKey::new(b"").is_none());
    }
}
