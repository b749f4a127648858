//! The limits every settings section is held to. Each refusal's text states the limit.
//!
//! The tracker limits keep the matcher within its table: every phrase of every rule goes into
//! one Aho-Corasick DFA copied into a dense table of at most 4 Mi entries (`dense_dfa`); its
//! states are at most the phrases' total bytes + 1 and a row is at most 128 columns wide, so
//! 16 384 bytes of phrases make at most ~2.1 Mi entries.

/// Largest request body of one section.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Tracker rules a tenant may define.
pub const MAX_TRACKER_RULES: usize = 200;
/// Phrases in one rule.
pub const MAX_PHRASES_PER_RULE: usize = 100;
/// Characters in one phrase.
pub const MAX_PHRASE_CHARS: usize = 100;
/// All phrases of the effective rule set (built-in ones included when extending), in bytes.
pub const MAX_TOTAL_PHRASE_BYTES: usize = 16_384;
/// Characters in a rule's, criterion's, agent's or team's name.
pub const MAX_NAME_CHARS: usize = 100;
/// Criteria in a scorecard.
pub const MAX_CRITERIA: usize = 30;
/// Characters in a criterion's coaching message.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Agents with a display name.
pub const MAX_AGENTS: usize = 5_000;
/// Teams with a display name.
pub const MAX_TEAMS: usize = 500;
/// Longest retention, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;
/// Alert rules a tenant may define.
pub const MAX_ALERT_RULES: usize = 50;
/// Characters in an alert rule's id (it is part of every alert's event id).
pub const MAX_ALERT_RULE_ID_CHARS: usize = 64;
/// Largest interruption count an alert rule may ask for.
pub const MAX_ALERT_INTERRUPTIONS: u32 = 10_000;
/// Characters in a webhook endpoint URL.
pub const MAX_URL_CHARS: usize = 2_048;
