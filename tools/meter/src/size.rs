//! DynamoDB's item-size rules, over items as they travel (DynamoDB JSON): attribute names plus
//! values, strings by UTF-8 bytes, binaries by bytes, numbers by about one byte per two
//! significant digits plus one, documents with 3 bytes of overhead and their contents.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

/// Attribute name → size of name and value, so updates can change an item attribute by attribute.
pub type Sizes = BTreeMap<String, usize>;

pub fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => inner.as_str().map_or(1, number_size),
        "B" => inner
            .as_str()
            .and_then(|b| STANDARD.decode(b).ok())
            .map_or(0, |b| b.len()),
        "BOOL" | "NULL" => 1,
        "SS" => inner.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(str::len).sum()
        }),
        "NS" => inner.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(number_size).sum()
        }),
        "L" => {
            3 + inner
                .as_array()
                .map_or(0, |a| a.iter().map(|v| 1 + value_size(v)).sum())
        }
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter().map(|(k, v)| k.len() + 1 + value_size(v)).sum()
            })
        }
        _ => 0,
    }
}

/// About one byte per two significant digits, plus one.
fn number_size(text: &str) -> usize {
    let digits: String = text
        .split(['e', 'E'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

/// The sizes of an item's attributes.
pub fn sizes_of(item: &serde_json::Map<String, Value>) -> Sizes {
    item.iter()
        .map(|(name, value)| (name.clone(), name.len() + value_size(value)))
        .collect()
}

pub fn total(sizes: &Sizes) -> usize {
    sizes.values().sum()
}

/// Write units: one per KB, rounded up, at least one.
pub fn write_units(bytes: usize) -> u64 {
    (bytes.max(1) as u64).div_ceil(1024)
}

/// Read units (strongly consistent): one per 4 KB, rounded up, at least one.
pub fn read_units(bytes: usize) -> u64 {
    (bytes.max(1) as u64).div_ceil(4096)
}

/// What an update expression does to an item: attributes set or added (with the placeholder
/// values that give their new sizes) and attributes removed.
#[derive(Debug, Default, PartialEq)]
pub struct UpdateEffect {
    pub set: Vec<(String, Vec<String>)>,
    pub removed: Vec<String>,
}

/// Reads `SET a = :x, b = if_not_exists(b, :y) REMOVE c ADD d :z` with `#name` placeholders.
pub fn update_effect(expression: &str, names: &serde_json::Map<String, Value>) -> UpdateEffect {
    let resolve = |token: &str| -> String {
        let token = token.trim();
        names
            .get(token)
            .and_then(Value::as_str)
            .map_or_else(|| token.to_owned(), str::to_owned)
    };
    let mut effect = UpdateEffect::default();
    let mut clause = "";
    let mut text = String::new();
    let flush = |clause: &str, text: &str, effect: &mut UpdateEffect| {
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match clause {
                "SET" => {
                    if let Some((path, value)) = part.split_once('=') {
                        let placeholders = value
                            .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '_'))
                            .filter(|t| t.starts_with(':'))
                            .map(str::to_owned)
                            .collect();
                        effect.set.push((resolve(path), placeholders));
                    }
                }
                "ADD" => {
                    let mut words = part.split_whitespace();
                    if let (Some(path), Some(value)) = (words.next(), words.next()) {
                        effect.set.push((resolve(path), vec![value.to_owned()]));
                    }
                }
                "REMOVE" => effect.removed.push(resolve(part)),
                _ => {}
            }
        }
    };
    for word in expression.split_inclusive(char::is_whitespace) {
        let keyword = word.trim();
        if matches!(keyword, "SET" | "REMOVE" | "ADD" | "DELETE") {
            flush(clause, &text, &mut effect);
            clause = match keyword {
                "SET" => "SET",
                "REMOVE" => "REMOVE",
                "ADD" => "ADD",
                _ => "DELETE",
            };
            text.clear();
        } else {
            text.push_str(word);
        }
    }
    flush(clause, &text, &mut effect);
    effect
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        assert_eq!(value_size(&json!({"S": "héllo"})), 6);
        assert_eq!(value_size(&json!({"N": "12345"})), 4);
        assert_eq!(value_size(&json!({"N": "0.5000"})), 2);
        assert_eq!(value_size(&json!({"B": "AAEC"})), 3);
        assert_eq!(value_size(&json!({"M": {"a": {"N": "1"}}})), 3 + 1 + 1 + 2);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(read_units(4097), 2);
    }

    #[test]
    fn an_update_expression_says_what_it_sets_adds_and_removes() {
        let names = json!({"#status": "status", "#a0": "calls"});
        let effect = update_effect(
            "SET #status = :processed, pending_pk = if_not_exists(pending_pk, :pk) REMOVE attempts, failure_reason ADD #a0 :a0",
            names.as_object().expect("object"),
        );
        assert_eq!(
            effect.set,
            [
                ("status".to_owned(), vec![":processed".to_owned()]),
                ("pending_pk".to_owned(), vec![":pk".to_owned()]),
                ("calls".to_owned(), vec![":a0".to_owned()]),
            ]
        );
        assert_eq!(effect.removed, ["attempts", "failure_reason"]);
    }
}
