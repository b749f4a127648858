//! Who sent an intake message, for the producer binding, when it went through a DLQ and back.
//!
//! SQS records the sending principal as `SenderId`; a redriven message was last sent by the
//! intake function (parking it) or by the operator's redrive role, not by its producer. Parking
//! records the producer in [`ORIGINAL_SENDER_ATTRIBUTE`], and that attribute is believed only on a
//! message whose `SenderId` is one of the configured redrive senders: a producer that sets it
//! itself is still judged by its own `SenderId`.

use std::collections::BTreeSet;

use crate::consumer::Refusal;
use crate::ports::{Attribute, Received};

/// The message attribute naming the producer of a parked (and redriven) message.
pub const ORIGINAL_SENDER_ATTRIBUTE: &str = "original_sender";

/// IAM unique ids (`AROA…`, before any `:session`) trusted to carry [`ORIGINAL_SENDER_ATTRIBUTE`].
pub type RedriveSenders = BTreeSet<String>;

/// The unique id part of a `SenderId` (`AROA…:session` → `AROA…`).
fn principal(sender_id: &str) -> &str {
    sender_id.split(':').next().unwrap_or_default()
}

/// The producer the binding judges: the `SenderId`, or for a message a redrive sender sent, the
/// producer its parking recorded (a redriven message without one is refused).
pub(super) fn producer_of(
    message: &Received,
    redrive_senders: &RedriveSenders,
) -> Result<String, Refusal> {
    let sender = principal(message.sender_id.as_deref().unwrap_or_default());
    if !redrive_senders.contains(sender) {
        return Ok(sender.to_owned());
    }
    match message.attribute(ORIGINAL_SENDER_ATTRIBUTE) {
        Some(original) if !original.is_empty() => Ok(principal(original).to_owned()),
        _ => Err(Refusal::Producer(format!(
            "redriven by {sender} without the {ORIGINAL_SENDER_ATTRIBUTE} its parking records"
        ))),
    }
}

/// Records in the parked `copy` who produced `message`, so a redrive keeps its binding: the
/// trusted original sender it already carries, else its own `SenderId`. A claim the sender is not
/// trusted to make is replaced, never kept.
pub(super) fn record_original_sender(
    copy: &mut Received,
    message: &Received,
    redrive_senders: &RedriveSenders,
) {
    copy.attributes.remove(ORIGINAL_SENDER_ATTRIBUTE);
    let producer = producer_of(message, redrive_senders).unwrap_or_default();
    if !producer.is_empty() {
        copy.attributes.insert(
            ORIGINAL_SENDER_ATTRIBUTE.to_owned(),
            Attribute {
                data_type: "String".to_owned(),
                value: producer,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn from(sender: Option<&str>, original: Option<&str>) -> Received {
        let attributes: Vec<(&str, &str)> = original
            .map(|o| (ORIGINAL_SENDER_ATTRIBUTE, o))
            .into_iter()
            .collect();
        let mut message = received("m", "{}", &attributes);
        message.sender_id = sender.map(str::to_owned);
        message
    }

    fn redrive() -> RedriveSenders {
        RedriveSenders::from(["AROAREDRIVE".to_owned(), "AROAINTAKE".to_owned()])
    }

    #[test]
    fn a_producer_is_its_sender_id_whatever_attribute_it_sets() {
        let forged = from(Some("AROAMALLORY:s"), Some("AROATELEPHONY"));
        assert_eq!(producer_of(&forged, &redrive()).unwrap(), "AROAMALLORY");
    }

    #[test]
    fn a_redrive_sender_stands_for_the_original_sender_it_carries() {
        let redriven = from(Some("AROAREDRIVE:ops"), Some("AROATELEPHONY:call-7"));
        assert_eq!(producer_of(&redriven, &redrive()).unwrap(), "AROATELEPHONY");
        let bare = from(Some("AROAINTAKE:fn"), None);
        let refused = producer_of(&bare, &redrive()).unwrap_err();
        assert!(
            matches!(&refused, Refusal::Producer(why) if why.contains(ORIGINAL_SENDER_ATTRIBUTE)),
            "{refused:?}"
        );
    }

    #[test]
    fn parking_records_the_sender_and_replaces_an_untrusted_claim() {
        let forged = from(Some("AROAMALLORY:s"), Some("AROATELEPHONY"));
        let mut copy = forged.clone();
        record_original_sender(&mut copy, &forged, &redrive());
        assert_eq!(
            copy.attribute(ORIGINAL_SENDER_ATTRIBUTE),
            Some("AROAMALLORY")
        );

        let redriven = from(Some("AROAREDRIVE:ops"), Some("AROATELEPHONY"));
        let mut copy = redriven.clone();
        record_original_sender(&mut copy, &redriven, &redrive());
        assert_eq!(
            copy.attribute(ORIGINAL_SENDER_ATTRIBUTE),
            Some("AROATELEPHONY")
        );

        let unknown = from(None, Some("AROATELEPHONY"));
        let mut copy = unknown.clone();
        record_original_sender(&mut copy, &unknown, &redrive());
        assert_eq!(copy.attribute(ORIGINAL_SENDER_ATTRIBUTE), None);
    }
}
