//! In-memory implementations of the ports, for unit tests of the use cases: fast, no services,
//! and with switches to make them fail the way the real stores and queues can.
//! [`HookedExport`] wraps any `ExportFiles` (these or the S3 adapter, for the e2e tests) to land
//! another use case, or a crash, at an exact step.

mod cache;
mod calls;
mod erasures;
mod hooked;
mod objects;
mod outbound;
mod queues;
mod rollups;
mod settings;
mod transcription;
mod webhooks;

use std::sync::Mutex;

use callscope_core::domain::Timestamp;

pub use cache::MemoryCache;
pub use calls::MemoryCalls;
pub use erasures::MemoryErasures;
pub use hooked::{ExportCall, HookRun, HookedExport, Once};
pub use objects::MemoryObjects;
pub use outbound::{MemoryBus, MemoryExport};
pub use queues::{MemoryDeadLetter, MemoryPublisher};
pub use rollups::MemoryRollups;
pub use settings::MemorySettings;
pub use transcription::MemoryTranscribe;
pub use webhooks::{MemoryParked, MemoryReceiver, MemorySecrets};

use crate::ports::Clock;

/// A clock that says what it is told.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn at(rfc3339: &str) -> Self {
        let now = Timestamp::parse("now", rfc3339).unwrap_or_else(|e| panic!("test clock: {e}"));
        Self(Mutex::new(now))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = lock(&self.0);
        *now = Timestamp::new(now.time() + by);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}

/// Locks a test double's state; a poisoned lock means a test already panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
