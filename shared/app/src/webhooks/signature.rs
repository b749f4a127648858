//! The signature every delivery carries, Stripe-style: `callscope-signature: t=<unix seconds>,
//! v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. Signing the timestamp with the body lets a
//! receiver refuse a captured delivery replayed later (docs/webhooks.md#verifying-a-delivery).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ports::SigningSecret;

/// The header the signature goes in.
pub const SIGNATURE_HEADER: &str = "callscope-signature";

/// How far a receiver should let `t` be from its clock (the docs' recommendation).
pub const TOLERANCE_SECONDS: i64 = 300;

fn mac(secret: &SigningSecret, timestamp: i64, body: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &SigningSecret, timestamp: i64, body: &str) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the header is not t=<seconds>,v1=<hex>")]
    Malformed,
    #[error("the timestamp is {0} s from now, beyond the tolerance")]
    OutsideTolerance(i64),
    #[error("no v1 signature matches the body")]
    Mismatch,
}

/// What a receiver does: checks `header` against `body` with the secret, in constant time,
/// and that `t` is within `tolerance` seconds of `now`.
pub fn verify(
    secret: &SigningSecret,
    header: &str,
    body: &str,
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => {
                signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew = now - timestamp;
    if skew.abs() > tolerance {
        return Err(SignatureError::OutsideTolerance(skew));
    }
    signatures
        .iter()
        .any(|s| mac(secret, timestamp, body).verify_slice(s).is_ok())
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}
