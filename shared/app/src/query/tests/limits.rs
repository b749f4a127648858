//! What one list or leaderboard request may cost, whatever the tenant's size: read budgets that
//! end a page early with a cursor, skipped calls counted past, a byte cap per page, totals
//! marked when they are a lower bound, signed cursors, and the leaderboard's window.

use super::*;

const NO_LIMITS: ListLimits = ListLimits {
    page_budget: usize::MAX,
    count_budget: usize::MAX,
    page_bytes: usize::MAX,
};

/// The fixture's stores with other limits and no cache (entries are keyed by the request, not
/// by the limits, which a deployment never changes).
fn limited(f: &Fixture, limits: ListLimits) -> Queries {
    let key = CursorKey::new(b"a test stack's cursor secret").expect("key");
    Queries::new(
        f.calls.clone(),
        f.rollups.clone(),
        Arc::new(crate::ports::NoCache),
        key,
    )
    .with_limits(limits)
}

/// Every call a listing reaches by following its cursors from `offset`, and the pages it took.
async fn follow(queries: &Queries, filter: ListFilter, limit: usize, offset: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut first = queries
        .list_calls(list(filter.clone(), limit, offset, None))
        .await
        .expect("first page")
        .value;
    for _ in 0..50 {
        seen.extend(ids(&first).into_iter().map(str::to_owned));
        let Some(next) = first.next_cursor.clone() else {
            return seen;
        };
        first = queries
            .list_calls(list(filter.clone(), limit, 0, Some(next)))
            .await
            .expect("next page")
            .value;
    }
    panic!("the cursors never ended: {seen:?}");
}

#[tokio::test]
async fn a_page_past_its_read_budget_ends_early_and_its_cursor_reaches_every_call_once() {
    let f = seeded().await;
    let all = follow(&limited(&f, NO_LIMITS), filter(), 10, 0).await;
    assert_eq!(all, ["b2", "b1", "a3", "a2", "a1"]);
    for budget in 1..=4 {
        let tight = limited(
            &f,
            ListLimits {
                page_budget: budget,
                ..NO_LIMITS
            },
        );
        let first = tight
            .list_calls(list(filter(), 10, 0, None))
            .await
            .expect("list")
            .value;
        assert_eq!(first.calls.len(), budget, "budget {budget}");
        assert!(first.next_cursor.is_some());
        assert_eq!(
            follow(&tight, filter(), 10, 0).await,
            all,
            "budget {budget}"
        );
        // Skipped calls spend the budget too: an offset carries over in the cursor.
        assert_eq!(
            follow(&tight, filter(), 10, 3).await,
            ["a2", "a1"],
            "budget {budget}, offset 3"
        );
    }
}

#[tokio::test]
async fn a_sparse_filter_spends_its_budget_on_the_calls_it_passes_over() {
    let f = seeded().await;
    // Only a1, a2 and b1 carry the pricing transcript's sentiment; a3's and b2's differ or are
    // missing. Whatever it is, the budgeted walk finds exactly what the unbudgeted one does.
    let sentiment = ListFilter {
        min_sentiment: Some(-1.0),
        max_sentiment: Some(0.2),
        ..filter()
    };
    let want = follow(&limited(&f, NO_LIMITS), sentiment.clone(), 2, 0).await;
    assert!(
        !want.is_empty() && want.len() < 5,
        "a sparse filter: {want:?}"
    );
    let tight = limited(
        &f,
        ListLimits {
            page_budget: 1,
            ..NO_LIMITS
        },
    );
    assert_eq!(follow(&tight, sentiment, 2, 0).await, want);
}

#[tokio::test]
async fn the_total_past_its_count_budget_is_a_lower_bound_marked_not_exact() {
    let f = seeded().await;
    let exact = limited(&f, NO_LIMITS)
        .list_calls(list(filter(), 1, 0, None))
        .await
        .expect("list")
        .value;
    assert_eq!((exact.total, exact.total_exact), (5, true));
    let bounded = limited(
        &f,
        ListLimits {
            count_budget: 3,
            ..NO_LIMITS
        },
    )
    .list_calls(list(filter(), 1, 2, None))
    .await
    .expect("list")
    .value;
    assert_eq!((bounded.total, bounded.total_exact), (3, false));
    let json = serde_json::to_value(&bounded).expect("json");
    assert!(json["total"].is_u64(), "v1 clients keep a number: {json}");
}

#[tokio::test]
async fn a_page_stops_before_the_call_that_passes_its_byte_budget() {
    let f = seeded().await;
    let one_call = limited(&f, NO_LIMITS)
        .list_calls(list(filter(), 1, 0, None))
        .await
        .expect("list")
        .value;
    let bytes = serde_json::to_vec(&one_call.calls[0]).expect("json").len();
    let capped = limited(
        &f,
        ListLimits {
            page_bytes: bytes + bytes / 2,
            ..NO_LIMITS
        },
    );
    let page = capped
        .list_calls(list(filter(), 10, 0, None))
        .await
        .expect("list")
        .value;
    assert_eq!(ids(&page), ["b2"], "the second call would pass the budget");
    assert!(page.next_cursor.is_some());
    // A budget smaller than any call still shows one call per page.
    let tiny = limited(
        &f,
        ListLimits {
            page_bytes: 1,
            ..NO_LIMITS
        },
    );
    assert_eq!(
        follow(&tiny, filter(), 10, 0).await,
        ["b2", "b1", "a3", "a2", "a1"]
    );
}

#[tokio::test]
async fn a_cursor_is_refused_for_another_tenant_or_out_of_its_filters_range() {
    let f = seeded().await;
    let first = f
        .queries
        .list_calls(list(filter(), 1, 0, None))
        .await
        .expect("list")
        .value;
    let cursor = first.next_cursor.expect("more");
    let globex = ListFilter {
        tenant: tenant("globex"),
        ..filter()
    };
    let refused = f
        .queries
        .list_calls(list(globex, 1, 0, Some(cursor.clone())))
        .await
        .expect_err("another tenant's cursor");
    assert!(matches!(refused, QueryError::Invalid(e) if e.field == "cursor"));
    let narrowed = ListFilter {
        to: Some(time("2026-11-01T23:59:59Z")),
        ..filter()
    };
    let refused = f
        .queries
        .list_calls(list(narrowed, 1, 0, Some(cursor)))
        .await
        .expect_err("a cursor of other filters");
    assert!(matches!(refused, QueryError::Invalid(e) if e.field == "cursor"));
}

#[tokio::test]
async fn a_leaderboard_reads_at_most_a_year_ending_at_the_latest_day_with_calls() {
    let f = seeded().await;
    let board = f
        .queries
        .agents(&tenant("acme"), DayRange::default(), None)
        .await
        .expect("board")
        .value;
    assert_eq!(
        (board.from_date.as_deref(), board.to_date.as_deref()),
        (Some("2025-11-02"), Some("2026-11-02"))
    );
    assert_eq!(board.agents.len(), 2);
    let day = |raw: &str| Some(Day::parse("d", raw).expect("day"));
    let too_long = f
        .queries
        .agents(
            &tenant("acme"),
            DayRange {
                from: day("2025-11-01"),
                to: day("2026-11-02"),
            },
            None,
        )
        .await
        .expect_err("367 days");
    assert!(matches!(too_long, QueryError::Invalid(e) if e.field == "to_date"));
    let empty = f
        .queries
        .agents(&tenant("nobody"), DayRange::default(), None)
        .await
        .expect("board")
        .value;
    assert!(empty.agents.is_empty() && empty.from_date.is_none());
}
