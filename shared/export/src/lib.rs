//! The Parquet export, pure (no AWS): one analysed call becomes one [`ExportRow`]; rows of one
//! tenant and day become one Parquet file ([`to_parquet`]) under [`object_key`]; the Glue table
//! the template declares has exactly the columns [`glue_columns`] derives from [`schema`].
//!
//! Measures are typed columns (int, double, timestamp); trackers and next steps are nested
//! columns (arrays of structs); the transcript is a column that stays null unless the tenant
//! opted in. `tenant` and `day` are not in the files: they are the Hive partition folders
//! (`tenant=…/day=…/`), which Athena's partition projection and DuckDB's `hive_partitioning`
//! both turn back into columns. Erasure marks ([`ErasureMark`]) live beside `calls/`, never in
//! it.

mod columns;
mod compact;
mod erase;
mod marks;
mod row;

pub use columns::{glue_columns, schema, to_parquet, ExportError};
pub use compact::{fold, fold_without, Folded};
pub use erase::{without_rows, Rewrite};
pub use marks::{erasure_prefix, ErasureMark, ERASURES_PREFIX, MARK_DAYS};
pub use row::{CallFacts, ExportRow, NextStepRow, TrackerRow};

use callscope_core::domain::{Day, TenantId};

/// The folder every exported file lives under in the export bucket (the Glue table's location).
pub const CALLS_PREFIX: &str = "calls";

/// Where one file of a tenant's day goes: `calls/tenant={tenant}/day={yyyy-mm-dd}/{name}.parquet`.
/// Tenant ids and days never contain `/` or `=`, so the folders parse back unambiguously.
pub fn object_key(tenant: &TenantId, day: Day, name: &str) -> String {
    format!("{}/{name}.parquet", partition_prefix(tenant, day))
}

/// The folder of one tenant's day: what compaction lists and erasure rewrites.
pub fn partition_prefix(tenant: &TenantId, day: Day) -> String {
    format!("{CALLS_PREFIX}/tenant={tenant}/day={day}")
}

#[cfg(test)]
mod tests;
