//! Tenant jobs paged through a tenant's calls: the customer erasure use case (a data subject's
//! request) and the bulk re-analysis of a range of calls. A tenant asks for every call of a
//! `customer_id` to be erased (`POST /api/v1/erasures`) or for its processed calls that started
//! in a range to be re-analysed (`POST /api/v1/reanalyses`, after changing its scorecard or
//! trackers), both in the ingest function, and reads how far it got (`GET …/{id}`); the
//! erasures function does the work from the erasure queue, one page of the tenant's calls per
//! message. One request item, one queue, one function and one page loop serve both kinds; only
//! the listing's filter and the per-call action differ ([`JobKind`]).
//!
//! **Names.** The types, the queue, the function and the item keep the erasure's names: the
//! erasure API, its item layout, its queue, alarms and IAM were already in place, and renaming
//! them would churn the template and every test for no behaviour. The erasures function also
//! runs re-analysis pages.
//!
//! **Why asynchronous, page by page.** No index is keyed by customer, so the customer's calls
//! are found by reading the tenant's whole listing (the `ByTenant` index, the customer a
//! filter); a re-analysis' range is the index's key condition, but may still hold a tenant's
//! every call. Either outlasts API Gateway's 29 s. So the request is stored and its first page
//! queued (202); each page message looks through at most `page_size` of the tenant's calls,
//! acts on the job's among them, records the page on the request, then queues the next page
//! with its cursor, or marks the request done.
//!
//! **The per-call action.** An erasure erases each of the customer's calls through
//! [`CallLifecycle::erase`] (so each call's rollups are corrected once and it gets its audit
//! line, `who` = the requester). A re-analysis queues [`CallLifecycle::reanalyse`] for each
//! processed call of the range (`erased` counts them, shown as `queued`; a call not processed,
//! or gone, counts as `skipped`). Re-analyses still run through the reanalyse queue, which the
//! process function drains at its own low concurrency: a bulk request never starves new calls.
//!
//! **Exactly once per page.** The request counts its recorded pages; recording page `p` is a
//! conditional write that applies only while `p` pages are recorded, so a redelivered or
//! retried page never adds its calls twice. The next page is queued before its page is
//! recorded, so a page found recorded has nothing left to do (a redelivery ends there, and
//! copies do not multiply down the chain). A page whose work fails part-way (or whose next
//! page cannot be queued) is retried, never skipped: for an erasure, the calls it erased first
//! are added to the count on the unrecorded page, and the retry lists the page again from the
//! same cursor (they are gone from it); for a re-analysis nothing is counted until the record,
//! and the retry queues the page's calls again (a call may then be re-analysed twice, which
//! only makes one more revision). Another instance can take a page in the milliseconds between
//! its queueing and the record of the page before; it reads the request again for a few
//! seconds until that record shows.
//!
//! **Idempotency.** None beyond erasing's own: two requests for the same customer are two
//! requests, each erasing what is left (the second finds nothing, or what arrived since); two
//! re-analyses of a range re-analyse it twice.

use std::sync::Arc;

use async_trait::async_trait;
use callscope_core::domain::{CorrelationId, CustomerId, TenantId, Timestamp};
use callscope_core::pipeline::ErasurePage;
use callscope_core::InputError;

use crate::consumer::{read_json, Consume, Disposition, Refusal};
use crate::lifecycle::{CallLifecycle, LifecycleError};
use crate::ports::{
    publish_each, Clock, CustomerCalls, ErasureRequest, ErasureRequests, ErasureStatus, JobKind,
    PageEnd, Publisher, Received, StoreError,
};
use crate::Deadline;

/// Listing entries one page looks through: a page with every entry the customer's is still
/// erased well within the function's time (each erasure is a handful of requests; a
/// re-analysis, a read and a send), and a tenant of a million calls is 5,000 pages.
pub const PAGE_SIZE: u32 = 200;
/// How often, and how long each time, a page that arrived before the page before it was
/// recorded reads the request again (about 5 s in all).
const PREDECESSOR_WAITS: u32 = 20;
const PREDECESSOR_WAIT: std::time::Duration = std::time::Duration::from_millis(250);
/// How long a request is kept (the item's TTL) after it was made.
pub const KEPT_DAYS: i64 = 30;
/// The rule of an erasure id (the ids this service makes are UUIDs).
const ID_RULE: &str = "must be 1–64 of `A-Z a-z 0-9 -`";

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error(transparent)]
    Invalid(#[from] InputError),
    #[error("request {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the erasure (tenant job) queue did not take the first page")]
    NotSent,
}

/// Checks an erasure id as a path segment (`field` names it in the error).
pub fn parse_erasure_id(field: &str, raw: &str) -> Result<String, InputError> {
    let valid = !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(InputError::invalid(field, ID_RULE))
    }
}

#[derive(Debug, Clone)]
pub struct CustomerErasures {
    requests: Arc<dyn ErasureRequests>,
    calls: Arc<dyn CustomerCalls>,
    lifecycle: CallLifecycle,
    queue: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    page_size: u32,
}

impl CustomerErasures {
    pub fn new(
        requests: Arc<dyn ErasureRequests>,
        calls: Arc<dyn CustomerCalls>,
        lifecycle: CallLifecycle,
        queue: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            requests,
            calls,
            lifecycle,
            queue,
            clock,
            page_size: PAGE_SIZE,
        }
    }

    /// Pages of `size` listing entries (tests use small ones).
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Stores the request and queues its first page. `customer_id` follows the rule calls'
    /// `customer_id` follows; `erasure_id` is new (the caller makes it); `who` is the JWT
    /// subject. If the first page cannot be queued the request is removed again and the
    /// answer is [`ErasureError::NotSent`]: nothing was accepted.
    pub async fn request(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        customer_id: &str,
        who: &str,
    ) -> Result<ErasureRequest, ErasureError> {
        let customer_id = CustomerId::parse("customer_id", customer_id)?;
        self.start(tenant, erasure_id, JobKind::Erase(customer_id), who)
            .await
    }

    /// Stores a re-analysis of the tenant's processed calls that started in `[from, to]` (an
    /// open end when none; `to` before `from` is refused, naming `to_date`) and queues its
    /// first page, as [`Self::request`] does.
    pub async fn request_reanalysis(
        &self,
        tenant: &TenantId,
        reanalysis_id: &str,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        who: &str,
    ) -> Result<ErasureRequest, ErasureError> {
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(InputError::invalid("to_date", "must not be before from_date").into());
            }
        }
        self.start(tenant, reanalysis_id, JobKind::Reanalyse { from, to }, who)
            .await
    }

    async fn start(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
        kind: JobKind,
        who: &str,
    ) -> Result<ErasureRequest, ErasureError> {
        let erasure_id = parse_erasure_id("erasure_id", erasure_id)?;
        let request = ErasureRequest {
            tenant: tenant.clone(),
            erasure_id: erasure_id.clone(),
            kind,
            status: ErasureStatus::Running,
            erased: 0,
            skipped: 0,
            pages: 0,
            next_cursor: None,
            requested_at: self.clock.now(),
            requested_by: who.to_owned(),
            finished_at: None,
        };
        self.requests.create(&request).await?;
        let first = ErasurePage {
            tenant: tenant.clone(),
            erasure_id: erasure_id.clone(),
            page: 0,
            cursor: None,
        };
        if !self.send(&first).await {
            if let Err(error) = self.requests.forget(tenant, &erasure_id).await {
                tracing::warn!(%tenant, erasure_id, %error,
                    "a tenant job request whose first page was not queued stays, running, until it expires");
            }
            return Err(ErasureError::NotSent);
        }
        match &request.kind {
            JobKind::Erase(_) => tracing::warn!(
                audit = "customer_erasure_requested",
                who,
                tenant = %tenant,
                erasure_id,
                at = %request.requested_at,
                "customer erasure requested"
            ),
            JobKind::Reanalyse { from, to } => tracing::info!(
                who,
                tenant = %tenant,
                reanalysis_id = erasure_id,
                from = ?from.map(|t| t.to_string()),
                to = ?to.map(|t| t.to_string()),
                "bulk re-analysis requested"
            ),
        }
        Ok(request)
    }

    /// The request's progress; another tenant's is not found.
    pub async fn progress(
        &self,
        tenant: &TenantId,
        erasure_id: &str,
    ) -> Result<ErasureRequest, ErasureError> {
        let erasure_id = parse_erasure_id("erasure_id", erasure_id)?;
        self.requests
            .get(tenant, &erasure_id)
            .await?
            .ok_or(ErasureError::NotFound(erasure_id))
    }

    async fn send(&self, page: &ErasurePage) -> bool {
        // The erasure id ties the pages' log lines together.
        let correlation_id = CorrelationId::parse("correlation_id", page.erasure_id.clone())
            .unwrap_or_else(|_| unreachable!("an erasure id is a valid correlation id"));
        publish_each(
            self.queue.as_ref(),
            &[(page, &page.tenant, &correlation_id)],
        )
        .await
            == [true]
    }

    /// One page: see the module's comment.
    async fn run_page(&self, page: &ErasurePage, deadline: Deadline) -> Disposition {
        let (tenant, id) = (&page.tenant, page.erasure_id.as_str());
        let request = match self.request_for(page, deadline).await {
            Ok(Some(request)) => request,
            Ok(None) => {
                tracing::warn!(%tenant, erasure_id = id, page = page.page,
                    "the page's erasure request is gone (expired or withdrawn); nothing to do");
                return Disposition::Done;
            }
            Err(error) => {
                tracing::warn!(%tenant, erasure_id = id, %error, "erasure request not read; retrying");
                return Disposition::Retry;
            }
        };
        if request.pages > page.page {
            // Recorded already (this is a redelivery): its next page was queued before.
            return Disposition::Done;
        }
        if request.pages < page.page {
            // The page before queued this one but has not recorded itself after the waits: it
            // failed to (and is retried, which records it), so this one is retried too.
            tracing::warn!(%tenant, erasure_id = id, page = page.page, recorded = request.pages,
                "an erasure page arrived before the page before it was recorded; retrying");
            return Disposition::Retry;
        }
        let listed = match self
            .calls
            .customer_page(
                tenant,
                &request.kind,
                page.cursor.as_deref(),
                self.page_size,
            )
            .await
        {
            Ok(listed) => listed,
            Err(error) => {
                tracing::warn!(%tenant, erasure_id = id, %error, "the page was not listed; retrying");
                return Disposition::Retry;
            }
        };
        let (mut erased, mut skipped) = (0_u64, 0_u64);
        for call_id in &listed.calls {
            if !deadline.allows_more_work() {
                return self.stop_part_way(page, &request.kind, erased).await;
            }
            let acted = match &request.kind {
                JobKind::Erase(_) => {
                    self.lifecycle
                        .erase(tenant, call_id, &request.requested_by)
                        .await
                }
                JobKind::Reanalyse { .. } => {
                    self.lifecycle.reanalyse(tenant, call_id).await.map(|_| ())
                }
            };
            match acted {
                Ok(()) => erased += 1,
                // Erased since it was listed (a DELETE of its own, or a duplicate of this page);
                // a re-analysis counts it skipped, as a call not processed.
                Err(LifecycleError::NotFound(_) | LifecycleError::NotProcessed { .. }) => {
                    if matches!(request.kind, JobKind::Reanalyse { .. }) {
                        skipped += 1;
                    }
                }
                Err(error) => {
                    tracing::warn!(%tenant, erasure_id = id, kind = request.kind.as_str(), %call_id, %error,
                        "a call of the page was not acted on; the page is retried");
                    return self.stop_part_way(page, &request.kind, erased).await;
                }
            }
        }
        // The next page is queued before this one is recorded: a recorded page's successor is
        // always on the queue, so a page found recorded has nothing left to do.
        let end = match listed.next {
            Some(cursor) => {
                if !self.next(page, cursor.clone()).await {
                    tracing::warn!(%tenant, erasure_id = id, "the next page was not queued; retrying this one");
                    return self.stop_part_way(page, &request.kind, erased).await;
                }
                PageEnd::More(cursor)
            }
            None => PageEnd::Last(self.clock.now()),
        };
        match self
            .requests
            .record_page(tenant, id, page.page, erased, skipped, &end)
            .await
        {
            // Another delivery of this page recorded it first.
            Ok(false) => Disposition::Done,
            Ok(true) => {
                if let (PageEnd::Last(at), JobKind::Reanalyse { .. }) = (&end, &request.kind) {
                    tracing::info!(
                        who = request.requested_by,
                        tenant = %tenant,
                        reanalysis_id = id,
                        queued = request.erased + erased,
                        skipped = request.skipped + skipped,
                        at = %at,
                        "bulk re-analysis done"
                    );
                } else if let PageEnd::Last(at) = end {
                    tracing::warn!(
                        audit = "customer_erasure_done",
                        who = request.requested_by,
                        tenant = %tenant,
                        erasure_id = id,
                        erased = request.erased + erased,
                        at = %at,
                        "customer erasure done"
                    );
                }
                Disposition::Done
            }
            Err(error) => {
                // The retry lists the page again (its next page may then be queued twice: the
                // copy that records second does nothing); the calls erased now are not found
                // again, so `erased` falls short by them.
                tracing::warn!(%tenant, erasure_id = id, %error, "the page was not recorded; retrying");
                Disposition::Retry
            }
        }
    }

    /// The page's request, read again for a while when it shows the page before this one not
    /// yet recorded: that page queues this one just before it records itself, so another
    /// instance can pick this one up in between (milliseconds). Waiting here for the record
    /// spares the retry, which would wait the queue's whole visibility timeout.
    async fn request_for(
        &self,
        page: &ErasurePage,
        deadline: Deadline,
    ) -> Result<Option<ErasureRequest>, StoreError> {
        let mut waits = 0;
        loop {
            let request = self.requests.get(&page.tenant, &page.erasure_id).await?;
            let early = request.as_ref().is_some_and(|r| r.pages < page.page);
            if !early || waits == PREDECESSOR_WAITS || !deadline.allows_more_work() {
                return Ok(request);
            }
            waits += 1;
            tokio::time::sleep(PREDECESSOR_WAIT).await;
        }
    }

    async fn next(&self, page: &ErasurePage, cursor: String) -> bool {
        let next = ErasurePage {
            tenant: page.tenant.clone(),
            erasure_id: page.erasure_id.clone(),
            page: page.page + 1,
            cursor: Some(cursor),
        };
        self.send(&next).await
    }

    /// Counts what this attempt erased before it stopped (the retry will not list those calls
    /// again), then retries the page. A re-analysis counts nothing here: its retry lists and
    /// queues the same calls again, and counts them when it records the page.
    async fn stop_part_way(&self, page: &ErasurePage, kind: &JobKind, erased: u64) -> Disposition {
        if erased > 0 && matches!(kind, JobKind::Erase(_)) {
            if let Err(error) = self
                .requests
                .add_erased(&page.tenant, &page.erasure_id, page.page, erased)
                .await
            {
                tracing::warn!(tenant = %page.tenant, erasure_id = page.erasure_id, erased, %error,
                    "calls erased by a stopped page were not counted; `erased` will fall short by them");
            }
        }
        Disposition::Retry
    }
}

#[async_trait]
impl Consume for CustomerErasures {
    type Message = ErasurePage;

    const QUEUE: &'static str = "erasure";

    fn read(&self, message: &Received) -> Result<ErasurePage, Refusal> {
        read_json(message, "an erasure page")
    }

    /// One page after another: a batch is usually one message (the template's batch size).
    async fn handle(&self, batch: &[ErasurePage], deadline: Deadline) -> Vec<Disposition> {
        let mut dispositions = Vec::with_capacity(batch.len());
        for page in batch {
            dispositions.push(if deadline.allows_more_work() {
                self.run_page(page, deadline).await
            } else {
                Disposition::Retry
            });
        }
        dispositions
    }
}

#[cfg(test)]
mod tests;
