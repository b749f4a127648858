//! The ports of a tenant job, paged through the tenant's calls: a customer's erasure (a data
//! subject's request) or a bulk re-analysis of a range. The request item records its progress,
//! and the page-by-page listing of the tenant's calls finds the calls the job acts on. (The
//! names say "erasure": erasure came first, and its API, item and queue keep them.)

use async_trait::async_trait;
use callscope_core::domain::{CallId, CustomerId, TenantId, Timestamp};

use super::StoreError;

/// Where an erasure request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureStatus {
    /// Pages of the tenant's calls are still to be looked through.
    Running,
    /// Every page was looked through and every call of the customer found was erased.
    Done,
}

impl ErasureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureStatus::Running => "running",
            ErasureStatus::Done => "done",
        }
    }
}

/// What a job does, and to which of the tenant's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum JobKind {
    /// Erase every call of this customer.
    Erase(CustomerId),
    /// Re-analyse every processed call that started in `[from, to]` (an open end when none).
    Reanalyse {
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    },
}

impl JobKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            JobKind::Erase(_) => "erase",
            JobKind::Reanalyse { .. } => "reanalyse",
        }
    }
}

/// A tenant's job request: erase every call of one customer, or re-analyse a range of calls.
/// It holds no personal data beyond the customer id the tenant sent (and the requester's JWT
/// subject, for the audit trail).
#[derive(Debug, Clone, PartialEq)]
pub struct ErasureRequest {
    pub tenant: TenantId,
    pub erasure_id: String,
    pub kind: JobKind,
    pub status: ErasureStatus,
    /// Calls acted on so far: erased, or queued for re-analysis.
    pub erased: u64,
    /// Calls of a re-analysis' range left alone (not processed, or gone); 0 for an erasure.
    pub skipped: u64,
    /// Pages recorded so far: the next page to record is this one.
    pub pages: u32,
    /// Where page `pages` starts, as recorded with the page before it (none before the first
    /// page is recorded, and once done).
    pub next_cursor: Option<String>,
    pub requested_at: Timestamp,
    /// The JWT subject of who asked (each erased call's audit line names it too).
    pub requested_by: String,
    pub finished_at: Option<Timestamp>,
}

/// How a recorded page ends the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageEnd {
    /// More of the tenant's calls follow, from this cursor.
    More(String),
    /// The last page: the request is done at this time.
    Last(Timestamp),
}

/// The erasure requests: one item each, expiring some days after it was made.
#[async_trait]
pub trait ErasureRequests: Send + Sync + std::fmt::Debug {
    /// Stores a new request (its id is new: a request with the same id is an error).
    async fn create(&self, request: &ErasureRequest) -> Result<(), StoreError>;

    /// The request, or `None` (never made, another tenant's, or expired).
    async fn get(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
    ) -> Result<Option<ErasureRequest>, StoreError>;

    /// Records page `page` done, once: only while the request has recorded exactly `page`
    /// pages, it adds `erased` and `skipped`, counts the page and keeps `end` (the next page's
    /// cursor, or done). Returns whether it applied (false: this page was recorded already).
    async fn record_page(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
        skipped: u64,
        end: &PageEnd,
    ) -> Result<bool, StoreError>;

    /// Adds calls erased by an attempt at page `page` that stopped part-way (the retry will
    /// not find them again), only while the page is not recorded. Returns whether it applied.
    async fn add_erased(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        page: u32,
        erased: u64,
    ) -> Result<bool, StoreError>;

    /// Removes a request whose first page could not be queued (the client was told to retry).
    async fn forget(&self, tenant: &TenantId, erasure_id: &str) -> Result<(), StoreError>;
}

/// One page of the tenant's calls, and the job's among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerCallsPage {
    /// The job's calls on this page (the customer's, or those started in the range).
    pub calls: Vec<CallId>,
    /// Where the next page starts; none on the last page.
    pub next: Option<String>,
}

/// The tenant's calls, page by page, with the job's picked out.
#[async_trait]
pub trait CustomerCalls: Send + Sync + std::fmt::Debug {
    /// Looks through at most `limit` of the tenant's calls from `cursor` (the start when
    /// none) and returns the job's among them: the customer's for an erasure, those started
    /// in the range for a re-analysis (whatever their status: the job checks it per call).
    async fn customer_page(
        &self,
        tenant: &TenantId,
        kind: &JobKind,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<CustomerCallsPage, StoreError>;
}
