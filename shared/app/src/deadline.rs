//! When an invocation must have answered: work that could not finish before it is not started,
//! and reported for retry, so a batch never times out half done (and every message retried).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time kept for what is started last: longer than one store or queue operation may take
/// (the SDK gives up on an operation after 5 s, see `callscope_cloud::aws`).
pub const MARGIN: Duration = Duration::from_secs(6);

/// 2001-09-09, in milliseconds since the epoch: earlier deadlines are not real ones.
const NOT_BEFORE_MILLIS: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<SystemTime>);

impl Deadline {
    /// No deadline (local runs, tests).
    pub const NONE: Deadline = Deadline(None);

    /// Lambda's deadline, in milliseconds since the epoch; 0 (no context) means none, and so
    /// does any value before 2001: not an instant Lambda can send, but what `cargo lambda watch`
    /// puts in the deadline header (its 600 000 ms timeout, as a constant), which would
    /// otherwise make every local invocation look out of time before it starts.
    pub fn from_epoch_millis(millis: u64) -> Self {
        if millis < NOT_BEFORE_MILLIS {
            return Self::NONE;
        }
        Self(Some(UNIX_EPOCH + Duration::from_millis(millis)))
    }

    pub fn at(time: SystemTime) -> Self {
        Self(Some(time))
    }

    /// Whether there is time to start another unit of work and finish it.
    pub fn allows_more_work(&self) -> bool {
        match self.0 {
            None => true,
            Some(deadline) => deadline
                .duration_since(SystemTime::now())
                .is_ok_and(|left| left > MARGIN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_stops_being_started_a_margin_before_the_deadline() {
        assert!(Deadline::NONE.allows_more_work());
        assert!(Deadline::from_epoch_millis(0).allows_more_work());
        let soon = SystemTime::now() + MARGIN / 2;
        assert!(!Deadline::at(soon).allows_more_work());
        let later = SystemTime::now() + MARGIN * 3;
        assert!(Deadline::at(later).allows_more_work());
        assert!(!Deadline::at(UNIX_EPOCH).allows_more_work());
    }

    #[test]
    fn the_constant_deadline_of_cargo_lambda_watch_is_no_deadline() {
        assert_eq!(Deadline::from_epoch_millis(600_000), Deadline::NONE);
        let real = SystemTime::now() + Duration::from_secs(30);
        let millis = real
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        let deadline = Deadline::from_epoch_millis(u64::try_from(millis).expect("fits"));
        assert_ne!(deadline, Deadline::NONE);
        assert!(deadline.allows_more_work());
    }
}
