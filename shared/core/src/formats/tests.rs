//! Each format and each of its error paths, field and rule asserted.

use serde_json::json;

use super::*;
use crate::domain::Role;
use crate::error::InputErrorKind;

fn meta() -> serde_json::Value {
    json!({"call_id": "c1", "agent_id": "a1", "customer_id": "k1", "start_time": "2026-11-01T10:00:00Z"})
}

fn with(field: &str, value: serde_json::Value) -> Vec<u8> {
    let mut doc = meta();
    doc[field] = value;
    doc.to_string().into_bytes()
}

fn error_of(bytes: &[u8]) -> InputError {
    parse_call(bytes, Format::Auto).expect_err("must be rejected")
}

#[test]
fn plain_transcripts_become_untimed_utterances_and_wrapped_lines_continue_the_turn() {
    let call = parse_call(
        &with(
            "transcript",
            json!("Agent: Hello there\nand welcome\n\nCUSTOMER: Hi"),
        ),
        Format::Auto,
    )
    .expect("valid");
    let u = call.utterances.utterances();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].text, "Hello there and welcome");
    assert_eq!(u[1].speaker, Role::Customer);
    assert_eq!(u[1].start, None);
    assert_eq!(call.language.as_str(), "en");
}

#[test]
fn plain_errors_name_the_transcript_and_the_line() {
    let e = error_of(&with(
        "transcript",
        json!("Agent: hi\nCustomer: yo\nBob: hey"),
    ));
    assert_eq!(e.field, "transcript");
    assert!(
        e.rule.starts_with("line 3: unknown role \"Bob\""),
        "{}",
        e.rule
    );
    let e = error_of(&with("transcript", json!("hello without a speaker")));
    assert!(
        e.rule.starts_with("line 1: must start with a speaker"),
        "{}",
        e.rule
    );
    let e = error_of(&with("transcript", json!(" \n ")));
    assert_eq!(
        (e.field.as_str(), e.kind),
        ("transcript", InputErrorKind::Invalid)
    );
    let e = error_of(&with("transcript", json!(42)));
    assert_eq!(e.rule, "must be a string (got a number)");
}

#[test]
fn callscope_utterances_accept_speaker_or_role_and_name_bad_items() {
    let call = parse_call(
        &with("utterances", json!([{"speaker": "agent", "text": "hi", "start": 0, "end": 1}, {"role": "Customer", "text": "yo", "start": "1.5", "end": 2}])),
        Format::Callscope,
    )
    .expect("valid");
    assert_eq!(call.utterances.utterances()[1].start, Some(1.5));
    assert_eq!(
        call.duration_seconds, 2.0,
        "defaults to the end of the last utterance"
    );
    let e = error_of(&with(
        "utterances",
        json!([{"speaker": "agent", "text": "hi"}, {"speaker": "boss", "text": "x"}]),
    ));
    assert_eq!(e.field, "utterances[1].speaker");
    let e = error_of(&with(
        "utterances",
        json!([{"speaker": "agent", "text": "a", "start": 5, "end": 6}, {"speaker": "agent", "text": "b", "start": 3, "end": 4}]),
    ));
    assert_eq!(e.field, "utterances[1].start");
    assert!(e.rule.contains("order of start time"));
    let e = error_of(&with(
        "utterances",
        json!([{"speaker": "agent", "text": "a", "start": 5}]),
    ));
    assert_eq!(e.field, "utterances[0].end");
    let e = error_of(&with("utterances", json!([])));
    assert_eq!(e.field, "utterances");
    let e = error_of(&with("utterances", json!({"speaker": "agent"})));
    assert_eq!(e.field, "utterances");
}

#[test]
fn metadata_errors_name_their_field() {
    let mut doc = meta();
    doc["transcript"] = json!("Agent: hi");
    doc.as_object_mut().expect("object").remove("customer_id");
    assert_eq!(error_of(doc.to_string().as_bytes()).field, "customer_id");
    doc["customer_id"] = json!("k1");
    doc["duration_seconds"] = json!("long");
    assert_eq!(
        error_of(doc.to_string().as_bytes()).field,
        "duration_seconds"
    );
    doc["duration_seconds"] = json!(-1);
    assert_eq!(
        error_of(doc.to_string().as_bytes()).field,
        "duration_seconds"
    );
    doc["duration_seconds"] = json!(10);
    doc["start_time"] = json!("yesterday");
    assert_eq!(error_of(doc.to_string().as_bytes()).field, "start_time");
    doc["start_time"] = json!("2026-11-01T10:00:00");
    doc["agent_id"] = json!("has#hash");
    assert_eq!(error_of(doc.to_string().as_bytes()).field, "agent_id");
    doc["agent_id"] = json!(17);
    doc["outcome"] = json!("maybe");
    assert_eq!(error_of(doc.to_string().as_bytes()).field, "outcome");
    doc.as_object_mut().expect("object").remove("outcome");
    // A number as an id is a whole one up to 2^53 − 1, as openapi.json documents.
    for id in [
        json!(-9.1e-172),
        json!(-3),
        json!(2.5),
        json!(MAX_NUMERIC_ID + 1),
    ] {
        doc["customer_id"] = id.clone();
        let error = error_of(doc.to_string().as_bytes());
        assert_eq!(error.field, "customer_id", "{id}");
        assert!(error.rule.contains("whole number"), "{id}: {}", error.rule);
    }
    doc["customer_id"] = json!(42.0);
    let call = parse_call(doc.to_string().as_bytes(), Format::Auto).expect("42.0 is whole");
    assert_eq!(call.customer_id.as_str(), "42");
    // Near 2^52 a float's step is 0.5 or 1: only a correctly rounded reading keeps it whole.
    let text = doc
        .to_string()
        .replace("\"customer_id\":42.0", "\"customer_id\":4142770878217246.0");
    let call = parse_call(text.as_bytes(), Format::Auto).expect("a large whole float");
    assert_eq!(call.customer_id.as_str(), "4142770878217246");
    doc["customer_id"] = json!(MAX_NUMERIC_ID);
    let call = parse_call(doc.to_string().as_bytes(), Format::Auto).expect("a whole-number id");
    assert_eq!(call.customer_id.as_str(), "9007199254740991");
    assert_eq!(call.agent_id.as_str(), "17");
}

#[test]
fn documents_must_be_json_objects_with_exactly_one_transcript_field() {
    let e = error_of(b"{not json");
    assert_eq!(
        (e.field.as_str(), e.kind),
        ("document", InputErrorKind::Malformed)
    );
    assert_eq!(error_of(b"[1, 2]").field, "document");
    let e = error_of(meta().to_string().as_bytes());
    assert_eq!(e.field, "transcript");
    assert!(e.rule.contains("utterances") && e.rule.contains("transcribe"));
    let mut both = meta();
    both["transcript"] = json!("Agent: hi");
    both["utterances"] = json!([]);
    assert!(error_of(both.to_string().as_bytes())
        .rule
        .contains("together"));
}

#[test]
fn a_named_format_that_does_not_match_is_refused() {
    let e = parse_call(&with("transcript", json!("Agent: hi")), Format::Callscope)
        .expect_err("mismatch");
    assert_eq!(
        (e.field.as_str(), e.kind),
        ("transcript", InputErrorKind::UnsupportedFormat)
    );
}

#[test]
fn oversize_documents_are_refused_before_parsing() {
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert_eq!(error_of(&big).kind, InputErrorKind::TooLarge);
}

#[test]
fn call_analytics_turns_become_timed_utterances_sorted_by_start() {
    let doc = json!({"Transcript": [
        {"ParticipantRole": "CUSTOMER", "BeginOffsetMillis": 2000, "EndOffsetMillis": 3000, "Content": "Hi"},
        {"ParticipantRole": "AGENT", "BeginOffsetMillis": 0, "EndOffsetMillis": 1500, "Content": "Hello"}
    ]});
    let parsed = parse_transcript(doc.to_string().as_bytes(), Format::Auto).expect("valid");
    let u = parsed.transcript.utterances();
    assert_eq!(parsed.format, Format::Transcribe);
    assert_eq!(
        (u[0].speaker, u[0].start, u[0].end),
        (Role::Agent, Some(0.0), Some(1.5))
    );
    assert_eq!(u[1].speaker, Role::Customer);
    assert!(parsed.call.is_none());
}

#[test]
fn contact_lens_roles_come_from_participants() {
    let doc = json!({
        "Participants": [{"ParticipantId": "A1", "ParticipantRole": "AGENT"}, {"ParticipantId": "C1", "ParticipantRole": "CUSTOMER"}],
        "Transcript": [{"ParticipantId": "C1", "BeginOffsetMillis": 0, "EndOffsetMillis": 900, "Content": "Hello?"}]
    });
    let parsed = parse_transcript(doc.to_string().as_bytes(), Format::Transcribe).expect("valid");
    assert_eq!(parsed.transcript.utterances()[0].speaker, Role::Customer);
    let bad = json!({"Participants": [], "Transcript": [{"ParticipantId": "X", "BeginOffsetMillis": 0, "EndOffsetMillis": 1, "Content": "a"}]});
    let e = parse_transcript(bad.to_string().as_bytes(), Format::Auto)
        .expect_err("unknown participant");
    assert_eq!(e.field, "Transcript[0].ParticipantId");
}

#[test]
fn standard_jobs_group_words_by_speaker_label_and_map_roles() {
    let word = |t: &str, s: f64, l: &str| json!({"start_time": format!("{s}"), "end_time": format!("{}", s + 0.5), "alternatives": [{"content": t}], "type": "pronunciation", "speaker_label": l});
    let results = json!({"speaker_labels": {"segments": []}, "items": [
        word("Hello", 0.0, "spk_1"), {"alternatives": [{"content": "."}], "type": "punctuation"},
        word("Hi", 1.0, "spk_0"), word("there", 1.5, "spk_0")
    ]});
    let call = parse_call(
        &with("transcribe", json!({"results": results.clone()})),
        Format::Auto,
    )
    .expect("valid");
    let u = call.utterances.utterances();
    assert_eq!(u.len(), 2);
    assert_eq!(
        (u[0].speaker, u[0].text.as_str()),
        (Role::Agent, "Hello."),
        "no cues either way: the first to speak, by the prior"
    );
    assert_eq!(
        (u[1].speaker, u[1].text.as_str(), u[1].end),
        (Role::Customer, "Hi there", Some(2.0))
    );
    let mut doc: serde_json::Value =
        serde_json::from_slice(&with("transcribe", json!({"results": results}))).expect("json");
    doc["speaker_roles"] = json!({"spk_0": "agent", "spk_1": "customer"});
    let call = parse_call(doc.to_string().as_bytes(), Format::Auto).expect("valid");
    assert_eq!(call.utterances.utterances()[0].speaker, Role::Customer);
    let no_labels = with("transcribe", json!({"results": {"items": []}}));
    assert_eq!(
        error_of(&no_labels).field,
        "transcribe.results.speaker_labels"
    );
}

#[test]
fn word_items_keep_their_times_and_punctuation_takes_none() {
    let doc = json!({"Transcript": [{
        "ParticipantRole": "AGENT", "Content": "Hi there.", "BeginOffsetMillis": 0,
        "EndOffsetMillis": 900,
        "Items": [
            {"Type": "pronunciation", "Content": "Hi", "BeginOffsetMillis": 0, "EndOffsetMillis": 300},
            {"Type": "pronunciation", "Content": "there", "BeginOffsetMillis": 400, "EndOffsetMillis": 900},
            {"Type": "punctuation", "Content": "."}
        ]
    }]});
    let parsed = parse_transcript(doc.to_string().as_bytes(), Format::Auto).expect("valid");
    let words = &parsed.transcript.utterances()[0].word_times;
    assert_eq!(words.len(), 2);
    assert_eq!((words[1].start, words[1].end), (0.4, 0.9));
}

#[test]
fn a_word_item_that_ends_before_it_starts_is_refused_by_name() {
    let doc = json!({"Transcript": [{
        "ParticipantRole": "AGENT", "Content": "Hi", "BeginOffsetMillis": 0, "EndOffsetMillis": 900,
        "Items": [{"Type": "pronunciation", "Content": "Hi", "BeginOffsetMillis": 500, "EndOffsetMillis": 100}]
    }]});
    let e = parse_transcript(doc.to_string().as_bytes(), Format::Auto).expect_err("refused");
    assert_eq!(e.field, "utterances[0].word_times[0]", "{e}");
}

#[test]
fn callscope_utterances_may_carry_word_times_as_pairs() {
    let call = parse_call(
        &with(
            "utterances",
            json!([{"speaker": "agent", "text": "hi there", "start": 0, "end": 1,
                    "word_times": [[0, 0.4], [0.5, 1.0]]}]),
        ),
        Format::Auto,
    )
    .expect("valid");
    assert_eq!(call.utterances.utterances()[0].word_times.len(), 2);
    let e = error_of(&with(
        "utterances",
        json!([{"speaker": "agent", "text": "hi", "start": 0, "end": 1, "word_times": [[0]]}]),
    ));
    assert_eq!(e.field, "utterances[0].word_times[0]", "{e}");
}

#[test]
fn a_null_transcript_field_is_not_given_but_two_given_ones_are_refused() {
    let mut doc = meta();
    doc["utterances"] = json!([{"speaker": "agent", "text": "Hello"}]);
    doc["transcript"] = json!(null);
    doc["transcribe"] = json!(null);
    let call = parse_call(doc.to_string().as_bytes(), Format::Auto).expect("one transcript");
    assert_eq!(call.utterances.utterances()[0].text, "Hello");

    let mut plain = meta();
    plain["transcript"] = json!("Agent: Hi");
    plain["utterances"] = json!(null);
    assert!(parse_call(plain.to_string().as_bytes(), Format::Auto).is_ok());

    doc["transcript"] = json!("Agent: Hi");
    let error = error_of(doc.to_string().as_bytes());
    assert_eq!(
        (error.field.as_str(), error.kind),
        ("transcript", InputErrorKind::Invalid)
    );
}

#[test]
fn plain_names_get_inferred_roles_and_a_role_beside_a_name_is_a_typo() {
    let names =
        "Dana: Hi, I'm calling about my bill.\nSam: Thanks for calling Brightline, how can I help?";
    let call = parse_call(&with("transcript", json!(names)), Format::Auto).expect("valid");
    let speakers: Vec<Role> = call
        .utterances
        .utterances()
        .iter()
        .map(|u| u.speaker)
        .collect();
    assert_eq!(speakers, [Role::Customer, Role::Agent]);
    let roles = call.roles.expect("names are labels");
    assert!(roles.inferred && !roles.low_confidence, "{roles:?}");
    assert_eq!(roles.labels["Sam"], Role::Agent);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&with("transcript", json!(names))).expect("json");
    doc["speaker_roles"] = json!({"Dana": "agent"});
    let configured = parse_call(doc.to_string().as_bytes(), Format::Auto).expect("valid");
    assert_eq!(configured.utterances.utterances()[0].speaker, Role::Agent);
    assert_eq!(
        configured.utterances.utterances()[1].speaker,
        Role::Customer
    );
    let plain_roles = parse_call(
        &with("transcript", json!("Agent: hi\nCustomer: hello")),
        Format::Auto,
    )
    .expect("valid");
    assert_eq!(plain_roles.roles, None, "roles named: nothing inferred");
    let typo = with("transcript", json!("Agent: hi\nCustomr: hello"));
    assert!(error_of(&typo).rule.starts_with("line 2: unknown role"));
}

#[test]
fn channel_identification_output_is_read_by_channel_and_the_source_can_fix_channels() {
    let item = |label: &str, word: &str, start: f64| {
        json!({"channel_label": label, "start_time": format!("{start:.2}"),
               "end_time": format!("{:.2}", start + 0.3), "type": "pronunciation",
               "alternatives": [{"confidence": "1.0", "content": word}]})
    };
    let punct = |mark: &str| json!({"type": "punctuation", "alternatives": [{"content": mark}]});
    let results = json!({"channel_labels": {"number_of_channels": 2, "channels": [
        {"channel_label": "ch_0", "items": [
            item("ch_0", "I'm", 0.0), item("ch_0", "calling", 0.3), item("ch_0", "about", 0.6),
            item("ch_0", "my", 0.9), item("ch_0", "bill", 1.2), punct("."),
            item("ch_0", "Thanks", 6.0), punct("."),
        ]},
        {"channel_label": "ch_1", "items": [
            item("ch_1", "Sure", 2.0), punct(","), item("ch_1", "how", 2.3), item("ch_1", "can", 2.6),
            item("ch_1", "I", 2.9), item("ch_1", "help", 3.2), punct("?"),
        ]},
    ]}});
    let bare = json!({"results": results}).to_string();
    let parsed = parse_transcript(bare.as_bytes(), Format::Auto).expect("valid");
    let turns: Vec<(Role, &str)> = parsed
        .transcript
        .utterances()
        .iter()
        .map(|u| (u.speaker, u.text.as_str()))
        .collect();
    assert_eq!(
        turns,
        [
            (Role::Customer, "I'm calling about my bill."),
            (Role::Agent, "Sure, how can I help?"),
            (Role::Customer, "Thanks."),
        ]
    );
    let roles = parsed.roles.expect("channels are labels");
    assert!(roles.inferred);
    assert_eq!(parsed.transcript.utterances()[1].word_times.len(), 5);
    let options = ParseOptions {
        speaker_roles: [("ch_0".to_owned(), Role::Agent)].into(),
    };
    let fixed = parse_transcript_with(bare.as_bytes(), Format::Auto, &options).expect("valid");
    assert_eq!(fixed.transcript.utterances()[0].speaker, Role::Agent);
    assert_eq!(fixed.transcript.utterances()[1].speaker, Role::Customer);
    assert_eq!(fixed.roles.map(|r| r.confidence), Some(1.0));
}
