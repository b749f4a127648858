//! Erasure marks: the durable record an erasure leaves before it takes a call's rows out of the
//! export, so that compaction, which can fold a read made before the erasure into a file written
//! after it, drops the call's rows too (docs/export.md, "Alongside erasure").
//!
//! A mark is an empty object whose key says everything (`erasures/tenant=…/day=…/{call_id}/
//! {analysed_until}`), so compaction reads the marks of a day with one `ListObjectsV2` and no
//! `GetObject`. They live outside [`CALLS_PREFIX`](crate::CALLS_PREFIX), the Glue table's
//! location, so no reader (Athena, `callscope local sql`) ever sees them; the bucket's lifecycle
//! rule expires them ([`MARK_DAYS`]).

use callscope_core::domain::{Day, TenantId};
use chrono::{DateTime, Utc};

/// The folder of every erasure mark in the export bucket, beside `calls/`.
pub const ERASURES_PREFIX: &str = "erasures";

/// Days a mark is kept (the export bucket's lifecycle rule on `erasures/`; a test holds the
/// template to it). It has to outlive the compactions that may still write the erased row: one
/// that read before the erasure (at most the outbound function's 120 s), and the next one of the
/// day after a compaction that died (the stream retries the failed batch, which writes to and
/// compacts that day again; a batch the retries gave up on sits in `OutboundFailureQueue` for 14
/// days, and docs/operations.md compacts its days when it is sent again).
pub const MARK_DAYS: u32 = 30;

/// The format of the time in a mark's key: RFC 3339 to the microsecond, as the export's
/// `analysed_at` is stored.
const TIME: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A call taken out of the export: its rows analysed up to `analysed_until` are erased; a later
/// row is the same id sent again, and stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureMark {
    pub call_id: String,
    pub analysed_until: DateTime<Utc>,
}

impl ErasureMark {
    /// Its key under the tenant's day.
    pub fn key(&self, tenant: &TenantId, day: Day) -> String {
        format!(
            "{}/{}/{}",
            erasure_prefix(tenant, day),
            self.call_id,
            self.analysed_until.format(TIME)
        )
    }

    /// The mark a listed key is, or `None` for a key that is no mark. Call ids never contain
    /// `/`, so the last two parts of the key are the call and the time.
    pub fn parse(key: &str) -> Option<Self> {
        let (rest, time) = key.rsplit_once('/')?;
        let (folder, call_id) = rest.rsplit_once('/')?;
        if !folder.starts_with(&format!("{ERASURES_PREFIX}/tenant=")) || call_id.is_empty() {
            return None;
        }
        let analysed_until = DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
        Some(Self {
            call_id: call_id.to_owned(),
            analysed_until,
        })
    }

    /// Whether the row `(call_id, analysed_at)` is one this mark erased.
    pub fn covers(&self, call_id: &str, analysed_at: DateTime<Utc>) -> bool {
        call_id == self.call_id && analysed_at <= self.analysed_until
    }
}

/// The folder of one tenant's day's marks: what compaction lists.
pub fn erasure_prefix(tenant: &TenantId, day: Day) -> String {
    format!("{ERASURES_PREFIX}/tenant={tenant}/day={day}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marks_key_parses_back_and_covers_rows_up_to_its_time() {
        let tenant = TenantId::parse("tenant", "acme").unwrap();
        let day = Day::parse("day", "2026-11-02").unwrap();
        let mark = ErasureMark {
            call_id: "c-1.a:b_c".into(),
            analysed_until: "2026-11-02T10:00:00.123456Z".parse().unwrap(),
        };
        let key = mark.key(&tenant, day);
        assert_eq!(
            key,
            "erasures/tenant=acme/day=2026-11-02/c-1.a:b_c/2026-11-02T10:00:00.123456Z"
        );
        assert_eq!(ErasureMark::parse(&key), Some(mark.clone()));
        assert!(mark.covers("c-1.a:b_c", mark.analysed_until));
        assert!(!mark.covers("c-1.a:b_c", "2026-11-02T10:00:00.123457Z".parse().unwrap()));
        assert!(!mark.covers("c-2", mark.analysed_until));
        for stray in [
            "calls/tenant=acme/day=2026-11-02/b1.parquet",
            "erasures/tenant=acme/day=2026-11-02/c-1/yesterday",
            "erasures/tenant=acme/day=2026-11-02//2026-11-02T10:00:00.000000Z",
        ] {
            assert_eq!(ErasureMark::parse(stray), None, "{stray}");
        }
    }
}
