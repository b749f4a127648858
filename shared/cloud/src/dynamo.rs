//! The DynamoDB adapters: the calls table and the analytics table behind the application's
//! repository ports.

mod calls;
mod rollups;

pub use calls::{DynamoCalls, MAX_ITEM_BYTES};
pub use rollups::{marker_key, rollup_pk, rollup_sk, DynamoRollups, MARKER_TTL_DAYS};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use callscope_app::ports::StoreError;

/// A failed request as the ports see it: unavailable, with the SDK's whole error chain.
fn unavailable(operation: impl Into<String>, error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable {
        operation: operation.into(),
        detail: DisplayErrorContext(error).to_string(),
    }
}
