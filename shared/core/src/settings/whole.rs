//! Whole numbers as JSON Schema's `integer` reads them: `5.0` is one as much as `5` (serde's own
//! `u32` refuses a JSON float), so a body valid by openapi.json is read as the document says.

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;

struct Whole;

impl Visitor<'_> for Whole {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a whole number >= 0")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // Below 2^53 every whole f64 is exact; the settings' limits are far below it.
        if v.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

fn fit<T: TryFrom<u64>, E: de::Error>(v: u64) -> Result<T, E> {
    T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"a smaller whole number"))
}

/// A `u8` from `5` or `5.0`.
pub fn u8<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    fit(d.deserialize_any(Whole)?)
}

/// A `u32` from `5` or `5.0`.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    fit(d.deserialize_any(Whole)?)
}

/// An optional `u32` from `null`, `5` or `5.0`.
pub fn option_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "u32")] u32);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(v)| v))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Days {
        #[serde(default, deserialize_with = "super::option_u32")]
        days: Option<u32>,
    }

    fn days(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<Days>(json)
            .map(|d| d.days)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_whole_float_is_a_whole_number_and_a_fraction_is_not() {
        assert_eq!(days(r#"{"days": 583}"#), Ok(Some(583)));
        assert_eq!(days(r#"{"days": 583.0}"#), Ok(Some(583)));
        assert_eq!(days(r#"{"days": null}"#), Ok(None));
        assert_eq!(days("{}"), Ok(None));
        for bad in ["583.5", "-1", "-1.0", "1e300", "4294967296", "\"5\""] {
            assert!(days(&format!(r#"{{"days": {bad}}}"#)).is_err(), "{bad}");
        }
    }
}
