//! The DynamoDB adapters: the calls table and the analytics table behind the application's
//! repository ports.

mod calls;
mod erasures;
mod parked_deliveries;
mod rollups;
mod settings;
mod webhook_secrets;

pub use calls::{
    CallBookkeeping, DynamoCalls, FailedCall, FailedCalls, LISTING_ATTRIBUTES, MAX_ITEM_BYTES,
};
pub use erasures::DynamoErasures;
pub use parked_deliveries::DynamoParkedDeliveries;
pub use rollups::{marker_key, rollup_pk, rollup_sk, DynamoRollups};
pub use settings::{settings_pk, DynamoSettings};
pub use webhook_secrets::{generate as generate_webhook_secret, DynamoWebhookSecrets};

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use callscope_app::ports::StoreError;

/// A failed request as the ports see it: refused for good when DynamoDB says the request is
/// invalid (retrying it cannot help), otherwise unavailable, with the SDK's whole error chain.
fn unavailable<E, R>(operation: impl Into<String>, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let operation = operation.into();
    if error.code() == Some("ValidationException") {
        return StoreError::Rejected {
            operation,
            reason: error
                .message()
                .unwrap_or("the request is not valid")
                .to_owned(),
        };
    }
    StoreError::Unavailable {
        operation,
        detail: DisplayErrorContext(error).to_string(),
    }
}

/// A request that could not even be built (a bug, reported rather than panicking).
fn unbuildable(operation: impl Into<String>, error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable {
        operation: operation.into(),
        detail: DisplayErrorContext(error).to_string(),
    }
}
