//! A decorator over any `ExportFiles` that runs a hook before each call of the port: the tests
//! land an erasure or a compaction at an exact step of another, or make a step fail as if the
//! process died there. One decorator for the unit tests (over `MemoryExport`) and the e2e tests
//! (over the S3 adapter), instead of each repeating the trait's delegation.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;

use super::lock;
use crate::ports::{ExportFile, ExportFiles, ExportStore, Listed, OutboundError, Swapped};

/// A call of the port, as a hook sees it (before it reaches the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportCall<'a> {
    /// `ExportStore::put`: an outbound batch's file, or compaction's folded file.
    Put(&'a str),
    /// An erasure mark written.
    Mark(&'a str),
    List(&'a str),
    Read(&'a str),
    /// `HeadObject`: compaction checking an input before deleting it.
    Version(&'a str),
    /// A conditional replacement (`delete`: a conditional delete).
    Swap {
        key: &'a str,
        delete: bool,
    },
}

/// What a hook runs before a call; an error fails the call with it, the store untouched.
pub type HookRun = BoxFuture<'static, Result<(), OutboundError>>;
type Hook = Box<dyn Fn(&ExportCall<'_>) -> Option<HookRun> + Send + Sync>;

/// `inner`, with `hook` consulted before each call: `Some(run)` runs `run` first.
pub struct HookedExport {
    inner: Arc<dyn ExportFiles>,
    hook: Hook,
}

impl std::fmt::Debug for HookedExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookedExport")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl HookedExport {
    pub fn new(
        inner: Arc<dyn ExportFiles>,
        hook: impl Fn(&ExportCall<'_>) -> Option<HookRun> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            hook: Box::new(hook),
        }
    }

    /// Runs `then` once, before the first call `at` picks; [`Once::fired`] says whether it did.
    pub fn once<F, Fut>(
        inner: Arc<dyn ExportFiles>,
        at: impl Fn(&ExportCall<'_>) -> bool + Send + Sync + 'static,
        then: F,
    ) -> (Self, Once)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), OutboundError>> + Send + 'static,
    {
        let pending = Mutex::new(Some(then));
        let fired = Once::default();
        let flag = fired.clone();
        let hooked = Self::new(inner, move |call| {
            if !at(call) {
                return None;
            }
            let then = lock(&pending).take()?;
            flag.0.store(true, Ordering::SeqCst);
            Some(Box::pin(then()) as HookRun)
        });
        (hooked, fired)
    }

    async fn before(&self, call: ExportCall<'_>) -> Result<(), OutboundError> {
        match (self.hook)(&call) {
            Some(run) => run.await,
            None => Ok(()),
        }
    }
}

/// Whether a [`HookedExport::once`] hook ran.
#[derive(Debug, Clone, Default)]
pub struct Once(Arc<AtomicBool>);

impl Once {
    pub fn fired(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl ExportStore for HookedExport {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), OutboundError> {
        self.before(ExportCall::Put(key)).await?;
        self.inner.put(key, bytes).await
    }
}

#[async_trait]
impl ExportFiles for HookedExport {
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, OutboundError> {
        self.before(ExportCall::List(prefix)).await?;
        self.inner.list(prefix).await
    }

    async fn read(&self, key: &str) -> Result<Option<ExportFile>, OutboundError> {
        self.before(ExportCall::Read(key)).await?;
        self.inner.read(key).await
    }

    async fn version(&self, key: &str) -> Result<Option<String>, OutboundError> {
        self.before(ExportCall::Version(key)).await?;
        self.inner.version(key).await
    }

    async fn mark(&self, key: &str) -> Result<(), OutboundError> {
        self.before(ExportCall::Mark(key)).await?;
        self.inner.mark(key).await
    }

    async fn swap(
        &self,
        key: &str,
        etag: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<Swapped, OutboundError> {
        let delete = bytes.is_none();
        self.before(ExportCall::Swap { key, delete }).await?;
        self.inner.swap(key, etag, bytes).await
    }
}
