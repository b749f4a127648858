//! Points and days in time as callscope stores them: UTC, with one canonical text form each, so
//! keys built from them sort in time order.

use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// A UTC calendar day (`YYYY-MM-DD`): the day a call is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(NaiveDate);

impl Day {
    pub fn of(time: DateTime<Utc>) -> Self {
        Self(time.date_naive())
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map(Self)
            .map_err(|_| InputError::invalid(field, format!("{raw:?} is not a day (YYYY-MM-DD)")))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The first instant of the day.
    pub fn start(self) -> DateTime<Utc> {
        self.0.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The next day, or `None` past chrono's last day.
    pub fn next(self) -> Option<Self> {
        self.0.succ_opt().map(Self)
    }
}

/// Which end of a range a bound is: a date alone stands for its first instant at the start
/// and its last at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Start,
    End,
}

/// A range bound as the API reads `from_date`/`to_date` (the calls list, bulk re-analysis):
/// ISO 8601 with `Z` or an offset, without (UTC), or a date alone (its first or last instant).
pub fn range_bound(field: &str, raw: &str, bound: Bound) -> Result<Timestamp, InputError> {
    let text = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Timestamp::new(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(Timestamp::new(naive.and_utc()));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = match bound {
            Bound::Start => date.and_hms_opt(0, 0, 0),
            Bound::End => date.and_hms_milli_opt(23, 59, 59, 999),
        };
        if let Some(time) = time {
            return Ok(Timestamp::new(time.and_utc()));
        }
    }
    // At most 40 characters of the value are echoed back.
    let quoted = match raw.char_indices().nth(40) {
        None => format!("{raw:?}"),
        Some((cut, _)) => format!("{:?}…", &raw[..cut]),
    };
    Err(InputError::invalid(
        field,
        format!("{quoted} is not an ISO 8601 date or date-time such as 2026-11-01T09:00:00Z"),
    ))
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl TryFrom<String> for Day {
    type Error = InputError;
    fn try_from(raw: String) -> Result<Self, InputError> {
        Self::parse("day", &raw)
    }
}

impl From<Day> for String {
    fn from(day: Day) -> String {
        day.to_string()
    }
}

/// A UTC instant with millisecond precision whose text form (`2026-11-01T09:30:00.000Z`) has a
/// fixed width, so it sorts in time order inside index keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn new(time: DateTime<Utc>) -> Self {
        // Truncated to what the text form keeps, so a value read back compares equal.
        let millis = time.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(time))
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| Self::new(t.with_timezone(&Utc)))
            .map_err(|_| InputError::invalid(field, format!("{raw:?} is not an RFC 3339 time")))
    }

    pub fn time(self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(time: DateTime<Utc>) -> Self {
        Self::new(time)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InputError;
    fn try_from(raw: String) -> Result<Self, InputError> {
        Self::parse("timestamp", &raw)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_reads_back_from_its_text_and_refuses_other_text() {
        let day = Day::parse("from_date", "2026-11-02").expect("day");
        assert_eq!(day.to_string(), "2026-11-02");
        assert_eq!(day.next().expect("next").to_string(), "2026-11-03");
        let error = Day::parse("from_date", "02/11/2026").expect_err("not a day");
        assert_eq!(error.field, "from_date");
    }

    #[test]
    fn timestamps_have_a_fixed_width_text_that_sorts_in_time_order() {
        let early = Timestamp::parse("t", "2026-11-02T09:00:00Z").expect("time");
        let late = Timestamp::parse("t", "2026-11-02T10:00:00.5+01:00").expect("time");
        assert_eq!(early.to_string(), "2026-11-02T09:00:00.000Z");
        assert_eq!(late.to_string(), "2026-11-02T09:00:00.500Z");
        assert!(early < late && early.to_string() < late.to_string());
        assert_eq!(
            Timestamp::parse("t", &late.to_string()).expect("again"),
            late
        );
    }
}
