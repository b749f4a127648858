//! How alike two calls are: a MinHash signature of each redacted transcript's word 3-grams,
//! computed once at processing time, and the share of equal signature slots as an estimate of
//! the Jaccard similarity of the two sets of 3-grams.
//!
//! The signature is one-permutation MinHash (Li, Owen & Zhang 2012): every 3-gram is hashed
//! once (O(words)), the hash picks one of [`SLOTS`] slots and the smallest value per slot is
//! kept; empty slots borrow from the next filled slot to their right ("rotation" densification,
//! Shrivastava & Li 2014) so short calls still compare. Each slot keeps 16 bits: two unrelated
//! slots agree by accident once in 65,536, far below the estimate's own noise (±0.06 at
//! 64 slots). Hashing is FNV-1a with a SplitMix64 finaliser, written out here so a signature
//! stored today compares with one computed by any later build.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::Transcript;

/// Slots per signature: 64 × 2 bytes = 128 bytes stored per call.
pub const SLOTS: usize = 64;
const BITS_FOR_SLOT: u32 = 6;

/// A call's MinHash signature; serialised as 128 bytes (DynamoDB Binary through serde_dynamo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature([u16; SLOTS]);

impl Signature {
    /// The signature of a transcript's words (lower-cased; punctuation and redaction
    /// placeholders such as `[EMAIL]` left out).
    pub fn of(transcript: &Transcript) -> Self {
        let words: Vec<String> = transcript
            .utterances()
            .iter()
            .flat_map(|u| u.text.split_whitespace())
            .filter(|w| !(w.starts_with('[') && w.ends_with(']')))
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric() || *c == '\'')
                    .flat_map(char::to_lowercase)
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .collect();
        let n = words.len().clamp(1, 3);
        let mut slots: [Option<u64>; SLOTS] = [None; SLOTS];
        for gram in words.windows(n) {
            let mut hash = FNV_OFFSET;
            for word in gram {
                hash = fnv(hash, word.as_bytes());
                hash = fnv(hash, b" ");
            }
            let hash = mix(hash);
            let slot = (hash >> (64 - BITS_FOR_SLOT)) as usize;
            let value = hash & ((1 << (64 - BITS_FOR_SLOT)) - 1);
            if slots[slot].is_none_or(|current| value < current) {
                slots[slot] = Some(value);
            }
        }
        let mut signature = [0_u16; SLOTS];
        if slots.iter().all(Option::is_none) {
            return Self(signature);
        }
        for (i, out) in signature.iter_mut().enumerate() {
            // The nearest filled slot at or to the right of i (circular), and how far it is.
            let (distance, value) = (0..SLOTS)
                .find_map(|d| slots[(i + d) % SLOTS].map(|v| (d as u64, v)))
                .unwrap_or((0, 0));
            let value = if distance == 0 {
                value
            } else {
                mix(value ^ distance.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            };
            *out = (value >> (64 - BITS_FOR_SLOT - 16)) as u16;
        }
        Self(signature)
    }

    /// Estimated Jaccard similarity of the two calls' 3-gram sets, in [0, 1].
    pub fn similarity(&self, other: &Signature) -> f64 {
        let equal = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        equal as f64 / SLOTS as f64
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|slot| slot.to_le_bytes()).collect()
    }
}

/// A stored signature of the wrong length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signature is {expected} bytes, not {0}", expected = SLOTS * 2)]
pub struct BadSignature(usize);

impl TryFrom<Vec<u8>> for Signature {
    type Error = BadSignature;
    fn try_from(bytes: Vec<u8>) -> Result<Self, BadSignature> {
        if bytes.len() != SLOTS * 2 {
            return Err(BadSignature(bytes.len()));
        }
        let mut slots = [0_u16; SLOTS];
        for (slot, pair) in slots.iter_mut().zip(bytes.chunks_exact(2)) {
            *slot = u16::from_le_bytes([pair[0], pair[1]]);
        }
        Ok(Self(slots))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} bytes", SLOTS * 2)
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
            // Formats without a bytes type (JSON) write a sequence of numbers.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut bytes = Vec::with_capacity(SLOTS * 2);
                while let Some(byte) = seq.next_element()? {
                    bytes.push(byte);
                }
                Ok(bytes)
            }
        }
        let bytes = deserializer.deserialize_byte_buf(Bytes)?;
        Signature::try_from(bytes).map_err(de::Error::custom)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// SplitMix64's finaliser: spreads FNV's weak low bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Utterance};

    fn transcript(text: &str) -> Transcript {
        Transcript::new(vec![Utterance {
            speaker: Role::Agent,
            text: text.to_owned(),
            start: None,
            end: None,
            word_times: Vec::new(),
        }])
        .expect("valid")
    }

    const PITCH: &str = "thanks for taking the time today our pricing is sixty dollars per seat per month with a discount for annual plans and most customers are live within two weeks";

    #[test]
    fn the_same_words_give_the_same_signature_whatever_the_case_punctuation_and_pii() {
        let a = Signature::of(&transcript(PITCH));
        let b = Signature::of(&transcript(&format!("{}! [EMAIL]", PITCH.to_uppercase())));
        assert_eq!(a.similarity(&b), 1.0);
    }

    #[test]
    fn similarity_falls_as_the_calls_share_fewer_words() {
        let base = Signature::of(&transcript(PITCH));
        let half = PITCH.split(' ').take(16).collect::<Vec<_>>().join(" ")
            + " we currently use spreadsheets and our managers have no idea what happens on calls";
        let half = Signature::of(&transcript(&half));
        let other = Signature::of(&transcript(
            "the weather in lisbon was lovely and we walked along the river until the sun went down over the bridge",
        ));
        let (s_half, s_other) = (base.similarity(&half), base.similarity(&other));
        assert!(s_half > 0.15 && s_half < 0.85, "{s_half}");
        assert!(s_other < 0.1, "{s_other}");
    }

    #[test]
    fn a_signature_reads_back_from_its_bytes_and_refuses_the_wrong_length() {
        let signature = Signature::of(&transcript(PITCH));
        let bytes = signature.to_bytes();
        assert_eq!(bytes.len(), 128);
        assert_eq!(Signature::try_from(bytes).expect("128 bytes"), signature);
        assert_eq!(Signature::try_from(vec![0; 3]), Err(BadSignature(3)));
    }

    #[test]
    fn a_signature_survives_json() {
        let signature = Signature::of(&transcript(PITCH));
        let json = serde_json::to_string(&signature).expect("json");
        assert_eq!(
            serde_json::from_str::<Signature>(&json).expect("back"),
            signature
        );
    }

    #[test]
    fn a_one_word_call_still_has_a_signature() {
        let a = Signature::of(&transcript("hello"));
        assert_eq!(a.similarity(&Signature::of(&transcript("Hello."))), 1.0);
        assert!(a.similarity(&Signature::of(&transcript("goodbye"))) < 0.1);
    }
}
