//! Redaction of parked documents: escapes, word items of both Transcribe shapes, non-JSON.

use serde_json::json;

use super::*;

fn word(content: &str, begin: u64, end: u64) -> Value {
    json!({"Type": "pronunciation", "Content": content, "BeginOffsetMillis": begin, "EndOffsetMillis": end})
}

#[test]
fn an_escaped_email_is_read_as_the_address_it_spells() {
    let body = r#"{"transcript": "Agent: hi\nCustomer: write to jane\u0040example.com"}"#;
    let redacted = redact_document(body);
    assert!(redacted.parsed);
    assert!(!redacted.text.contains("example.com"), "{}", redacted.text);
    assert!(!redacted.text.contains("u0040"), "{}", redacted.text);
    let value: Value = serde_json::from_str(&redacted.text).expect("still JSON");
    assert_eq!(value["transcript"], "Agent: hi\nCustomer: write to [EMAIL]");
    assert_eq!(redacted.counts.emails, 1);
}

#[test]
fn a_card_split_across_call_analytics_items_is_redacted_in_the_turn_and_its_items_alike() {
    let body = json!({"transcribe": {"Transcript": [{
        "ParticipantRole": "CUSTOMER", "BeginOffsetMillis": 0, "EndOffsetMillis": 4000,
        "Content": "card 4111 1111 1111 1111.",
        "Items": [
            word("card", 0, 500), word("4111", 600, 900), word("1111", 1000, 1300),
            word("1111", 1400, 1700), word("1111", 1800, 2100),
            {"Type": "punctuation", "Content": "."},
        ],
    }]}})
    .to_string();
    let redacted = redact_document(&body);
    assert!(!redacted.text.contains("4111"), "{}", redacted.text);
    assert!(!redacted.text.contains("1111"), "{}", redacted.text);
    let value: Value = serde_json::from_str(&redacted.text).expect("JSON");
    let turn = &value["transcribe"]["Transcript"][0];
    assert_eq!(turn["Content"], "card [CARD].");
    let items = turn["Items"].as_array().expect("items");
    let words: Vec<&str> = items.iter().filter_map(|i| i["Content"].as_str()).collect();
    assert_eq!(words, ["card", "[CARD]", "."]);
    assert_eq!(items[1]["BeginOffsetMillis"], 600);
    assert_eq!(
        items[1]["EndOffsetMillis"], 2100,
        "the merged item spans the card's words"
    );
    assert_eq!(
        redacted.counts.card_numbers, 2,
        "the turn's text and its items"
    );
}

#[test]
fn a_phone_split_across_standard_job_items_is_redacted() {
    let item = |content: &str, start: &str, end: &str| {
        json!({"type": "pronunciation", "start_time": start, "end_time": end,
               "alternatives": [{"confidence": "0.99", "content": content}]})
    };
    let body = json!({"results": {
        "transcripts": [{"transcript": "call 415 555 0134"}],
        "items": [item("call", "0.0", "0.4"), item("415", "0.5", "0.8"),
                  item("555", "0.9", "1.2"), item("0134", "1.3", "1.9")],
    }})
    .to_string();
    let redacted = redact_document(&body);
    let value: Value = serde_json::from_str(&redacted.text).expect("JSON");
    assert_eq!(
        value["results"]["transcripts"][0]["transcript"],
        "call [PHONE]"
    );
    let items = value["results"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["alternatives"][0]["content"], "[PHONE]");
    assert_eq!(items[1]["start_time"], "0.5");
    assert_eq!(items[1]["end_time"], "1.9");
}

#[test]
fn turns_are_never_merged_even_when_digits_run_across_them() {
    let turn = |role: &str, content: &str| json!({"ParticipantRole": role, "Content": content, "BeginOffsetMillis": 0, "EndOffsetMillis": 1});
    let body = json!({"Transcript": [turn("AGENT", "call 415"), turn("CUSTOMER", "555 0134 ok")]})
        .to_string();
    let value: Value = serde_json::from_str(&redact_document(&body).text).expect("JSON");
    assert_eq!(value["Transcript"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["Transcript"][0]["ParticipantRole"], "AGENT");
}

#[test]
fn a_body_that_is_not_json_is_redacted_as_text_and_says_so() {
    let redacted = redact_document("Customer: card 4111 1111 1111 1111, mail a@b.io {");
    assert!(!redacted.parsed);
    assert_eq!(redacted.text, "Customer: card [CARD], mail [EMAIL] {");
}

#[test]
fn a_document_without_pii_keeps_its_values() {
    let body = r#"{"call_id":"c-1","transcript":"Agent: hello","duration_seconds":30}"#;
    let redacted = redact_document(body);
    assert_eq!(
        serde_json::from_str::<Value>(&redacted.text).expect("JSON"),
        serde_json::from_str::<Value>(body).expect("JSON")
    );
    assert_eq!(redacted.counts.total(), 0);
}
