//! `GET /api/v1/calls`: a page of calls within fixed budgets, whatever the tenant's size —
//! index items read (skipped calls counted past, never held), items counted for `total`, and
//! bytes of JSON per page — with a signed cursor wherever a budget ended the page.

use callscope_core::domain::{CallId, TenantId};
use callscope_core::InputError;

use super::cursor::{self, Cursor};
use super::views::{CallList, CallView};
use super::{ListCalls, Queries, QueryError, Served, LIST};
use crate::ports::{CallListing, PageRequest, Position, Scope, StoreError};

/// What one list request may cost, whatever the tenant's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimits {
    /// Index items the page may read: skipped, filtered out and listed alike. Past it the page
    /// ends early with a `next_cursor`.
    pub page_budget: usize,
    /// Index items `total` may count; past it `total` is a lower bound and `total_exact` false.
    pub count_budget: usize,
    /// Bytes of JSON of the listed calls: the page ends before the call that would pass it
    /// (the first call always shows), far under Lambda's 6 MB response limit.
    pub page_bytes: usize,
}

impl ListLimits {
    /// A listing index item holds the listing attributes (≈ 0.35 KB measured for a short call
    /// on the local pipeline; under 1 KB with a full preview and signature), so each budget
    /// reads at most ≈ 3 MB of index in a few Query pages (≤ ≈ 370 read units eventually
    /// consistent), whatever the tenant's size.
    pub const DEFAULT: Self = Self {
        page_budget: 3_000,
        count_budget: 3_000,
        page_bytes: 1_500_000,
    };
}

impl Default for ListLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Transcripts read per BatchGetItem while a page is filled: the reading stops with the byte
/// budget, so a page of long calls never reads the rest.
const TRANSCRIPT_CHUNK: usize = 25;

impl Queries {
    /// A page of calls, newest first, with the total for the filters (exact when it can be
    /// counted within the budget). Every part is bounded: the index items read
    /// ([`ListLimits`]), the skipped calls (counted past, never held) and the page's bytes.
    pub async fn list_calls(&self, request: ListCalls) -> Result<Served<CallList>, QueryError> {
        let resume = request
            .cursor
            .as_deref()
            .map(|raw| cursor::decode(&self.cursor_key, raw, &request.filter))
            .transpose()?;
        if let Some(resume) = &resume {
            // Signed positions always lie in their filter's range; checked anyway so that no
            // start key outside the key condition ever reaches the store.
            let at = resume.position.start_time;
            let filter = &request.filter;
            if filter.from.is_some_and(|from| at < from) || filter.to.is_some_and(|to| at > to) {
                return Err(
                    InputError::invalid("cursor", "lies outside from_date..to_date").into(),
                );
            }
        }
        let tenant = request.filter.tenant.clone();
        let params = serde_json::json!({
            "f": request.filter, "l": request.limit, "o": request.offset, "c": request.cursor,
        })
        .to_string();
        let limits = self.limits;
        self.cached
            .get_or_load(&tenant, LIST, &[Scope::Tenant], &params, || async {
                let page_request = PageRequest {
                    filter: request.filter.clone(),
                    skip: resume.as_ref().map_or(0, |c| c.skip) + request.offset,
                    after: resume.map(|c| c.position),
                    limit: request.limit,
                    budget: limits.page_budget,
                };
                let (page, count) = futures::try_join!(
                    self.calls.page(&page_request),
                    self.calls.count(&request.filter, limits.count_budget)
                )
                .map_err(|e| refused_cursor(e, request.cursor.is_some()))?;
                let (calls, cut) = self.views(&tenant, &page.calls, limits.page_bytes).await?;
                let next = match cut {
                    Some(position) => Some(Cursor { position, skip: 0 }),
                    None => page.next.map(|position| Cursor {
                        position,
                        skip: page.skip_left,
                    }),
                };
                // A lower bound at least as large as what this request saw.
                let seen = (request.offset + calls.len()) as u64;
                Ok::<_, QueryError>(CallList {
                    calls,
                    total: if count.exact {
                        count.matched
                    } else {
                        count.matched.max(seen)
                    },
                    total_exact: count.exact,
                    limit: request.limit,
                    offset: request.offset,
                    next_cursor: next
                        .map(|c| cursor::encode(&self.cursor_key, &c, &request.filter)),
                })
            })
            .await
    }

    /// The page's calls with their transcripts, until their JSON would pass `max_bytes` (the
    /// first always shows); the position to go on from when the page was cut short.
    async fn views(
        &self,
        tenant: &TenantId,
        listed: &[CallListing],
        max_bytes: usize,
    ) -> Result<(Vec<CallView>, Option<Position>), QueryError> {
        let mut views = Vec::with_capacity(listed.len());
        let mut bytes = 0;
        for chunk in listed.chunks(TRANSCRIPT_CHUNK) {
            let ids: Vec<CallId> = chunk.iter().map(|c| c.call_id.clone()).collect();
            let transcripts = self.calls.transcripts(tenant, &ids).await?;
            for call in chunk {
                // A stored call always has its transcript until retention expires it.
                let view = match transcripts.get(&call.call_id) {
                    Some(t) => CallView::new(call, t.to_lines()),
                    None => CallView::expired(call),
                };
                bytes += serde_json::to_vec(&view).map_or(0, |json| json.len() + 1);
                if bytes > max_bytes && !views.is_empty() {
                    let last: &CallListing = &listed[views.len() - 1];
                    return Ok((views, Some(last.position())));
                }
                views.push(view);
            }
        }
        Ok((views, None))
    }
}

/// The store refusing a listing that resumes from a cursor (DynamoDB's ValidationException on
/// its start key) is the cursor's fault: a 422 naming it, not a 503.
fn refused_cursor(error: StoreError, with_cursor: bool) -> QueryError {
    match error {
        StoreError::Rejected { .. } if with_cursor => QueryError::Invalid(InputError::invalid(
            "cursor",
            "cannot be resumed from; start again without it",
        )),
        other => QueryError::Store(other),
    }
}
