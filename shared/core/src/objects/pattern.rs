//! File-name patterns: `{agent_id}_{customer_id}_{start_time}.json` read against a key's file
//! name gives the fields a document and its sidecar did not, per tenant.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use super::document::Metadata;
use crate::domain::TenantId;
use crate::error::InputError;

/// The fields a pattern may name.
const PATTERN_FIELDS: [&str; 7] = [
    "call_id",
    "agent_id",
    "customer_id",
    "team_id",
    "language",
    "start_time",
    "outcome",
];

#[derive(Debug, Clone)]
pub struct NamePattern {
    source: String,
    regex: Regex,
    fields: Vec<String>,
}

impl PartialEq for NamePattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl NamePattern {
    /// `{field}` placeholders between literal text; each field matches the shortest text that
    /// lets the whole name match.
    pub fn parse(pattern: &str) -> Result<Self, InputError> {
        let bad = |rule: String| InputError::invalid("name_pattern", rule);
        let mut regex = String::from("^");
        let mut fields = Vec::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            regex.push_str(&regex::escape(&rest[..open]));
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| bad(format!("{pattern:?} has an unclosed {{")))?;
            let field = &rest[open + 1..open + close];
            if !PATTERN_FIELDS.contains(&field) {
                return Err(bad(format!(
                    "{{{field}}} is not one of {}",
                    PATTERN_FIELDS.join(", ")
                )));
            }
            if fields.iter().any(|f| f == field) {
                return Err(bad(format!("{{{field}}} appears twice")));
            }
            regex.push_str(&format!("(?P<{field}>.+?)"));
            fields.push(field.to_owned());
            rest = &rest[open + close + 1..];
        }
        regex.push_str(&regex::escape(rest));
        regex.push('$');
        if fields.is_empty() {
            return Err(bad(format!("{pattern:?} names no {{field}}")));
        }
        let regex = Regex::new(&regex).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            source: pattern.to_owned(),
            regex,
            fields,
        })
    }

    /// The fields of `file_name`, when it matches.
    pub fn fields_of(&self, file_name: &str) -> Option<Metadata> {
        let captures = self.regex.captures(file_name)?;
        Some(
            self.fields
                .iter()
                .filter_map(|f| {
                    let text = captures.name(f)?.as_str();
                    Some((f.clone(), Value::String(text.to_owned())))
                })
                .collect(),
        )
    }
}

/// Patterns per tenant, and one for every other tenant (`*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamePatterns {
    by_tenant: BTreeMap<String, NamePattern>,
    default: Option<NamePattern>,
}

impl NamePatterns {
    /// `TENANT=PATTERN;…` (`*=PATTERN` for the rest); empty for none.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let mut patterns = Self::default();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (tenant, pattern) = entry.split_once('=').ok_or_else(|| {
                InputError::invalid("name_patterns", format!("{entry:?} is not TENANT=PATTERN"))
            })?;
            let pattern = NamePattern::parse(pattern.trim())?;
            match tenant.trim() {
                "*" => patterns.default = Some(pattern),
                tenant => {
                    let tenant = TenantId::parse("name_patterns", tenant)?;
                    patterns
                        .by_tenant
                        .insert(tenant.as_str().to_owned(), pattern);
                }
            }
        }
        Ok(patterns)
    }

    pub fn for_tenant(&self, tenant: &TenantId) -> Option<&NamePattern> {
        self.by_tenant
            .get(tenant.as_str())
            .or(self.default.as_ref())
    }
}
