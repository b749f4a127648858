//! Unit tests of redaction: the v1 kinds, then every type in its spoken and written forms.

use super::*;

fn redacted(text: &str) -> (String, RedactionCounts) {
    let (out, counts) = redact_text(text);
    (out.into_owned(), counts)
}

#[test]
fn emails_are_replaced() {
    let (text, counts) = redacted("Send it to jane.doe+sales@example.co.uk please");
    assert_eq!(text, "Send it to [EMAIL] please");
    assert_eq!(counts.emails, 1);
}

#[test]
fn luhn_valid_card_numbers_are_replaced_in_any_grouping() {
    for card in [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "378282246310005",
    ] {
        let (text, counts) = redacted(&format!("my card is {card} thanks"));
        assert_eq!(text, "my card is [CARD] thanks", "{card}");
        assert_eq!(counts.card_numbers, 1, "{card}");
    }
}

#[test]
fn digit_runs_that_fail_luhn_are_not_cards() {
    let (text, counts) = redacted("reference 4111 1111 1111 1112 ok");
    assert_eq!(counts.card_numbers, 0);
    assert!(!text.contains("[CARD]"));
}

#[test]
fn phone_numbers_in_common_forms_are_replaced() {
    for phone in [
        "(415) 555-0134",
        "415-555-0134",
        "415.555.0134",
        "4155550134",
        "+44 20 7946 0958",
        "+1 415 555 0134",
    ] {
        let (text, counts) = redacted(&format!("call me at {phone} tomorrow"));
        assert_eq!(text, "call me at [PHONE] tomorrow", "{phone}");
        assert_eq!(counts.phone_numbers, 1, "{phone}");
    }
}

#[test]
fn prices_years_times_and_small_numbers_are_left_alone() {
    for text in [
        "It costs $1,200 per year",
        "In 2025 we grew",
        "We need 15 seats",
        "Let's meet at 10:30",
        "order 1250000",
    ] {
        let (out, counts) = redacted(text);
        assert_eq!(out, text);
        assert_eq!(counts.total(), 0, "{text}");
    }
}

#[test]
fn several_kinds_in_one_utterance_are_all_counted() {
    let (text, counts) =
        redacted("Email a@b.io or b@c.io, call 415-555-0134, card 4111 1111 1111 1111.");
    assert_eq!(text, "Email [EMAIL] or [EMAIL], call [PHONE], card [CARD].");
    assert_eq!(
        (counts.emails, counts.phone_numbers, counts.card_numbers),
        (2, 1, 1)
    );
    assert_eq!(counts.of(PiiType::Email), 2);
}

#[test]
fn a_transcript_keeps_speakers_and_times_when_redacted() {
    let t = Transcript::new(vec![Utterance {
        speaker: crate::domain::Role::Customer,
        text: "it's 415-555-0134".into(),
        start: Some(1.0),
        end: Some(2.0),
        word_times: Vec::new(),
    }])
    .expect("valid");
    let (r, counts) = redact_transcript(&t);
    assert_eq!(r.utterances()[0].text, "it's [PHONE]");
    assert_eq!(r.utterances()[0].start, Some(1.0));
    assert_eq!(counts.phone_numbers, 1);
}

#[test]
fn a_transcript_at_the_size_limit_is_still_redacted_when_placeholders_lengthen_it() {
    use crate::domain::MAX_TRANSCRIPT_BYTES;
    // "a@b.co " is 7 bytes and becomes "[EMAIL] " (8): the text grows past the limit.
    let text = "a@b.co ".repeat(MAX_TRANSCRIPT_BYTES / 7);
    let t = Transcript::new(vec![Utterance {
        speaker: crate::domain::Role::Customer,
        text,
        start: None,
        end: None,
        word_times: Vec::new(),
    }])
    .expect("within the limit");
    let (r, counts) = redact_transcript(&t);
    assert!(!r.utterances()[0].text.contains('@'), "no address survives");
    assert_eq!(counts.emails as usize, MAX_TRANSCRIPT_BYTES / 7);
    assert!(r.utterances()[0].text.len() > MAX_TRANSCRIPT_BYTES);
}

fn turns(lines: &[(Role, &str)]) -> Transcript {
    Transcript::new(
        lines
            .iter()
            .enumerate()
            .map(|(i, (speaker, text))| Utterance {
                speaker: *speaker,
                text: (*text).to_owned(),
                start: Some(i as f64 * 2.0),
                end: Some(i as f64 * 2.0 + 1.5),
                word_times: Vec::new(),
            })
            .collect(),
    )
    .expect("valid")
}

#[test]
fn every_type_is_replaced_by_its_own_placeholder() {
    use Role::{Agent, Customer};
    let t = turns(&[
        (Agent, "Can I have your account number?"),
        (Customer, "It's 7731 0482 5519."),
        (
            Customer,
            "My social is 123-45-6789, date of birth March 14th, 1985.",
        ),
        (
            Customer,
            "Card 4111 1111 1111 1111, expires 04/27, security code 321.",
        ),
        (
            Customer,
            "Routing 021000021, and my PIN is four four one nine.",
        ),
        (
            Customer,
            "My name is Jordan Lockwood and I live at 42 Elm Street, Springfield, Illinois 62704.",
        ),
        (
            Customer,
            "Email jordan dot lockwood at gmail dot com or call 415-555-0134.",
        ),
    ]);
    let (r, counts) = redact_transcript(&t);
    let text = r.to_lines();
    for secret in [
        "7731",
        "0482",
        "5519",
        "6789",
        "March",
        "1985",
        "4111",
        "04/27",
        "321",
        "021000021",
        "four",
        "Jordan",
        "Lockwood",
        "Elm",
        "Springfield",
        "62704",
        "gmail",
        "0134",
    ] {
        assert!(!text.contains(secret), "{secret} survived in {text}");
    }
    for placeholder in [
        "[ACCOUNT_NUMBER]",
        "[SSN]",
        "[DATE_OF_BIRTH]",
        "[CARD]",
        "[EXPIRY]",
        "[CVV]",
        "[ROUTING]",
        "[PIN]",
        "[NAME]",
        "[ADDRESS]",
        "[EMAIL]",
        "[PHONE]",
    ] {
        assert!(
            text.contains(placeholder),
            "{placeholder} missing in {text}"
        );
    }
    for pii in PiiType::ALL {
        assert!(counts.of(pii) >= 1, "{pii:?} not counted: {counts:?}");
    }
    assert_eq!(
        (counts.emails, counts.phone_numbers, counts.card_numbers),
        (1, 1, 1)
    );
}

#[test]
fn a_number_read_over_two_turns_is_one_phone_number() {
    use Role::{Agent, Customer};
    let t = turns(&[
        (Agent, "And the phone number on the account?"),
        (Customer, "It's (444)"),
        (Agent, "Okay."),
        (Customer, "555-0197."),
    ]);
    let (r, counts) = redact_transcript(&t);
    assert_eq!(r.utterances()[1].text, "It's [PHONE]");
    assert_eq!(r.utterances()[3].text, "[PHONE].");
    assert_eq!(counts.phone_numbers, 1, "one number, read in two parts");
}

#[test]
fn an_address_read_over_three_turns_is_replaced_in_each() {
    use Role::{Agent, Customer};
    let t = turns(&[
        (Customer, "It's 1840 Cedar Lane."),
        (Agent, "And the town?"),
        (Customer, "Fairview."),
        (Agent, "And the ZIP?"),
        (Customer, "Oregon 97024."),
    ]);
    let (r, _) = redact_transcript(&t);
    let text = r.to_lines();
    assert_eq!(
        text,
        "Customer: It's [ADDRESS].\nAgent: And the town?\nCustomer: [ADDRESS].\nAgent: And the ZIP?\nCustomer: [ADDRESS]."
    );
}

#[test]
fn spoken_numbers_and_spelled_letters_are_read() {
    let (text, counts) = redacted(
        "my card number is four one one one one one one one one one one one one one one one",
    );
    assert_eq!(text, "my card number is [CARD]");
    assert_eq!(counts.card_numbers, 1);
    let (text, _) = redacted("the last name is Lockwood, L O C K W O O D.");
    assert_eq!(text, "the last name is [NAME], [NAME].");
    let (text, _) = redacted("call me on four one five double five five oh one three four");
    assert_eq!(text, "call me on [PHONE]");
}

#[test]
fn replaced_words_share_one_word_time_so_times_stay_one_per_word() {
    let t = Transcript::new(vec![Utterance {
        speaker: Role::Customer,
        text: "pin is four four one nine ok".into(),
        start: Some(0.0),
        end: Some(7.0),
        word_times: (0..7)
            .map(|i| crate::domain::WordTime {
                start: f64::from(i),
                end: f64::from(i) + 0.5,
            })
            .collect(),
    }])
    .expect("valid");
    let (r, _) = redact_transcript(&t);
    let u = &r.utterances()[0];
    assert_eq!(u.text, "pin is [PIN] ok");
    assert_eq!(u.word_times.len(), u.text.split_whitespace().count());
    assert_eq!(u.word_times[2].start, 2.0);
    assert_eq!(u.word_times[2].end, 5.5);
    assert_eq!(u.word_times[3].start, 6.0);
}

#[test]
fn a_policy_can_keep_a_type_and_numbers_after_a_keep_phrase() {
    let names_kept = Redactor::new(RedactionPolicy::default().without(PiiType::Name));
    let (text, _) = names_kept.redact_text("my name is Jordan Lockwood, my PIN is 2580");
    assert_eq!(text, "my name is Jordan Lockwood, my PIN is [PIN]");
    let orders = Redactor::new(RedactionPolicy::default().keeping_numbers_after("order number"));
    let (text, _) = orders.redact_text("the order number is 123456789012");
    assert_eq!(text, "the order number is 123456789012");
    let (text, _) = redacted("the order number is 123456789012");
    assert_eq!(text, "the order number is [ACCOUNT_NUMBER]");
}

#[test]
fn the_call_s_own_people_are_redacted_wherever_named() {
    let people = CallPeople {
        names: vec!["Kelly Brennan".into()],
    };
    let t = turns(&[(Role::Customer, "thanks kelly, and say hi to brennan")]);
    let (r, _) = Redactor::default().redact(&t, &people);
    assert_eq!(
        r.utterances()[0].text,
        "thanks [NAME], and say hi to [NAME]"
    );
}

#[test]
fn counts_keep_their_v1_names_and_add_a_map_by_type() {
    let (_, counts) = redacted("mail a@b.io, SSN 123-45-6789");
    let json = serde_json::to_value(counts).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"emails": 1, "phone_numbers": 0, "card_numbers": 0,
            "by_type": {"email": 1, "ssn": 1}})
    );
    let old: RedactionCounts = serde_json::from_value(
        serde_json::json!({"emails": 1, "phone_numbers": 2, "card_numbers": 0}),
    )
    .expect("v1 counts still read");
    assert_eq!(old.phone_numbers, 2);
}

#[test]
fn json_structure_survives_redaction() {
    let body = r#"{"utterances":[{"text":"card 4111 1111 1111 1111","word_times":[[0, 0.4], [0.5, 1.0]]}],"phone":"4155550134"}"#;
    let (text, _) = redacted(body);
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(value["phone"], "[PHONE]");
    assert_eq!(value["utterances"][0]["text"], "card [CARD]");
}
