//! Buckets other than the drop-in bucket whose objects are calls: Amazon Connect's, where
//! Contact Lens writes `Analysis/Voice/YYYY/MM/DD/{contact id}_analysis_{time}.json`, one
//! tenant per source.

use callscope_core::domain::TenantId;
use callscope_core::objects::{Metadata, NamePattern};
use callscope_core::InputError;

use super::fields;

/// Contact Lens post-call file names: the contact id and when the analysis was written.
const CONTACT_LENS_NAMES: &str = "{call_id}_analysis_{start_time}.json";

/// What Contact Lens files never say: who the agent and the customer are (Connect keeps that
/// in its contact records). Listed under this id until a sidecar-less source can say more.
pub const UNASSIGNED: &str = "unassigned";

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSource {
    pub bucket: String,
    pub prefix: String,
    pub tenant: TenantId,
    pattern: Option<NamePattern>,
}

impl ObjectSource {
    /// A Connect bucket's Contact Lens prefix.
    pub fn connect(bucket: &str, prefix: &str, tenant: TenantId) -> Self {
        Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            tenant,
            pattern: NamePattern::parse(CONTACT_LENS_NAMES).ok(),
        }
    }

    pub fn pattern(&self) -> Option<&NamePattern> {
        self.pattern.as_ref()
    }

    /// The fields nothing else gave.
    pub fn defaults(&self) -> Metadata {
        fields(&[("agent_id", UNASSIGNED), ("customer_id", UNASSIGNED)])
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectSources(Vec<ObjectSource>);

impl ObjectSources {
    /// `BUCKET/PREFIX=TENANT`, comma-separated (Connect sources); empty for none.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let mut sources = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || {
                InputError::invalid(
                    "object_sources",
                    format!("{entry:?} is not BUCKET/PREFIX=TENANT"),
                )
            };
            let (location, tenant) = entry.rsplit_once('=').ok_or_else(bad)?;
            let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
            if bucket.is_empty() {
                return Err(bad());
            }
            let tenant = TenantId::parse("object_sources", tenant)?;
            sources.push(ObjectSource::connect(bucket, prefix, tenant));
        }
        Ok(Self(sources))
    }

    pub fn find(&self, bucket: &str, key: &str) -> Option<&ObjectSource> {
        self.0
            .iter()
            .find(|s| s.bucket == bucket && key.starts_with(&s.prefix))
    }
}
