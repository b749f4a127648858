//! The `next_cursor` of a listing: where the page stopped, and a fingerprint of the filters it
//! was made for, as URL-safe base64 of a small JSON object. Opaque to clients.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callscope_core::InputError;
use serde::{Deserialize, Serialize};

use crate::ports::{ListFilter, Position};

#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "p")]
    position: Position,
    #[serde(rename = "f")]
    filters: String,
}

pub fn encode(position: Position, filter: &ListFilter) -> String {
    let cursor = Cursor {
        position,
        filters: fingerprint(filter),
    };
    // A Position of validated ids and a timestamp always serialises.
    let json = serde_json::to_vec(&cursor).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

pub fn decode(raw: &str, filter: &ListFilter) -> Result<Position, InputError> {
    let unreadable = || InputError::invalid("cursor", "is not a cursor this API returned");
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| unreadable())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    if cursor.filters != fingerprint(filter) {
        return Err(InputError::invalid(
            "cursor",
            "belongs to a listing with other filters; send it with the filters it came with",
        ));
    }
    Ok(cursor.position)
}

/// FNV-1a of the filters' JSON: stable across builds, short, not a secret.
fn fingerprint(filter: &ListFilter) -> String {
    let json = serde_json::to_vec(filter).unwrap_or_default();
    let hash = json.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{call_id, tenant};
    use callscope_core::domain::Timestamp;

    fn filter(agent: Option<&str>) -> ListFilter {
        ListFilter {
            tenant: tenant("acme"),
            agent: agent
                .map(|a| callscope_core::domain::AgentId::parse("agent_id", a).expect("id")),
            team: None,
            from: None,
            to: None,
            min_sentiment: None,
            max_sentiment: None,
        }
    }

    #[test]
    fn a_cursor_reads_back_only_with_the_filters_it_was_made_for() {
        let position = Position {
            start_time: Timestamp::parse("t", "2026-11-02T09:00:00Z").expect("time"),
            call_id: call_id("c-1"),
        };
        let cursor = encode(position.clone(), &filter(Some("ana")));
        assert_eq!(decode(&cursor, &filter(Some("ana"))), Ok(position));
        let other = decode(&cursor, &filter(Some("ben"))).expect_err("other filters");
        assert_eq!(other.field, "cursor");
        assert!(decode("not a cursor!", &filter(None)).is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("{}"), &filter(None)).is_err());
    }
}
