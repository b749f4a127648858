//! Typed reads of JSON fields, each failure naming the field and the type it must have.

use serde_json::{Map, Value};

use crate::error::InputError;

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn as_str<'a>(value: &'a Value, field: &str) -> Result<&'a str, InputError> {
    value.as_str().ok_or_else(|| {
        InputError::invalid(
            field,
            format!("must be a string (got {})", type_name(value)),
        )
    })
}

pub fn as_number(value: &Value, field: &str) -> Result<f64, InputError> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| InputError::invalid(field, "must be a finite number")),
        // Transcribe writes times as strings ("12.34").
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| InputError::invalid(field, format!("must be a number (got {s:?})"))),
        other => Err(InputError::invalid(
            field,
            format!("must be a number (got {})", type_name(other)),
        )),
    }
}

/// A string field; absent and `null` are both "not given".
/// The largest id given as a JSON number: 2^53 − 1, the last whole number every JSON reader
/// holds exactly.
pub const MAX_NUMERIC_ID: u64 = 9_007_199_254_740_991;

/// A JSON number that is a whole one: `12` or `12.0` (JSON does not tell them apart, and some
/// writers send every number with a fraction).
fn whole_number(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= MAX_NUMERIC_ID as f64)
            .map(|v| v as u64)
    })
}

pub fn optional_string(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, InputError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        // Ids are sometimes numbers in clients' data; whole ones are taken as their decimal text.
        Some(Value::Number(n)) if field.ends_with("_id") => {
            match whole_number(n).filter(|v| *v <= MAX_NUMERIC_ID) {
                Some(id) => Ok(Some(id.to_string())),
                None => Err(InputError::invalid(
                    field,
                    format!("as a number, must be a whole number from 0 to {MAX_NUMERIC_ID}"),
                )),
            }
        }
        Some(value) => as_str(value, field).map(|s| Some(s.to_owned())),
    }
}

pub fn optional_number(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Option<f64>, InputError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => as_number(value, field).map(Some),
    }
}
