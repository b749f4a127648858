use std::collections::BTreeMap;

use serde_json::json;

use super::*;

fn metadata(value: serde_json::Value) -> Metadata {
    value.as_object().cloned().expect("an object")
}

#[test]
fn an_s3_event_is_read_with_its_keys_url_decoded_as_s3_encodes_them() {
    let body = json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "drop"},
               "object": {"key": "acme/calls/first+call%3A1%C3%A9.json", "size": 12, "eTag": "abc", "versionId": "v1"}}
    }]})
    .to_string();
    let ObjectEvent::Created(records) = ObjectEvent::parse(&body).unwrap() else {
        panic!("not created")
    };
    assert_eq!(
        records,
        [ObjectCreated {
            bucket: "drop".into(),
            key: "acme/calls/first call:1é.json".into(),
            size: Some(12),
            etag: Some("abc".into()),
            version_id: Some("v1".into()),
        }]
    );
}

#[test]
fn the_test_event_is_recognised_and_other_events_are_refused_with_the_field() {
    let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "drop"});
    assert_eq!(
        ObjectEvent::parse(&test.to_string()).unwrap(),
        ObjectEvent::Test
    );
    let removed = json!({"Records": [{"eventName": "ObjectRemoved:Delete",
        "s3": {"bucket": {"name": "b"}, "object": {"key": "a/x.json"}}}]});
    let error = ObjectEvent::parse(&removed.to_string()).unwrap_err();
    assert_eq!(error.field, "Records[0].eventName");
    assert!(ObjectEvent::parse("not json").is_err());
    let bad_escape = json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "b"}, "object": {"key": "a/x%zz.json"}}}]});
    let error = ObjectEvent::parse(&bad_escape.to_string()).unwrap_err();
    assert_eq!(error.field, "Records[0].s3.object.key");
}

#[test]
fn keys_name_their_kind_tenant_sidecar_and_a_stable_call_id() {
    assert_eq!(kind_of("acme/a.json"), ObjectKind::Json);
    assert_eq!(kind_of("acme/a.meta.json"), ObjectKind::Sidecar);
    assert_eq!(kind_of("acme/a.txt"), ObjectKind::Text);
    assert_eq!(kind_of("acme/audio/a.WAV"), ObjectKind::Audio);
    assert_eq!(kind_of("acme/a.pdf"), ObjectKind::Other);
    assert_eq!(tenant_of("acme/x/a.json").unwrap().as_str(), "acme");
    assert!(tenant_of("a.json").is_err());
    assert!(tenant_of("bad tenant/a.json").is_err());
    assert_eq!(sidecar_key("acme/x/call 1.json"), "acme/x/call 1.meta.json");
    assert_eq!(sidecar_key("acme/x/call.txt"), "acme/x/call.meta.json");
    let id = call_id_of("drop", "acme/x/call 1.json");
    assert_eq!(id, call_id_of("drop", "acme/x/call 1.json"));
    assert_ne!(id, call_id_of("drop", "acme/y/call 1.json"));
    assert_ne!(id, call_id_of("other", "acme/x/call 1.json"));
    assert!(id.as_str().starts_with("s3-call-1-"), "{id}");
}

#[test]
fn a_pattern_reads_fields_from_a_file_name_and_refuses_unknown_fields() {
    let pattern = NamePattern::parse("{agent_id}_{customer_id}_{start_time}.json").unwrap();
    let fields = pattern
        .fields_of("sam.ortiz_c-42_2026-11-01T14:30:00Z.json")
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(fields),
        json!({"agent_id": "sam.ortiz", "customer_id": "c-42", "start_time": "2026-11-01T14:30:00Z"})
    );
    assert!(pattern.fields_of("nothing.txt").is_none());
    assert!(NamePattern::parse("{nope}.json").is_err());
    assert!(NamePattern::parse("plain.json").is_err());
    let patterns =
        NamePatterns::parse("acme={agent_id}-{customer_id}.json; *={call_id}.json").unwrap();
    let acme = TenantId::parse("t", "acme").unwrap();
    let other = TenantId::parse("t", "globex").unwrap();
    assert!(patterns
        .for_tenant(&acme)
        .unwrap()
        .fields_of("a-b.json")
        .is_some());
    let fallback = patterns
        .for_tenant(&other)
        .unwrap()
        .fields_of("x.json")
        .unwrap();
    assert_eq!(fallback["call_id"], "x");
    assert!(NamePatterns::parse("acme").is_err());
}

#[test]
fn the_document_wins_then_object_metadata_then_the_sidecar_then_the_pattern() {
    let document = json!({"transcript": "Agent: Hello.\nCustomer: Hi.", "agent_id": "from-doc"});
    let s3 = from_object_metadata(&BTreeMap::from([
        ("agent-id".to_owned(), "from-s3".to_owned()),
        ("customer-id".to_owned(), "cust-s3".to_owned()),
        ("duration-seconds".to_owned(), "12.5".to_owned()),
        ("unrelated".to_owned(), "x".to_owned()),
    ]));
    let sidecar =
        from_sidecar(br#"{"customer_id": "cust-side", "team_id": "team-side", "extra": 1}"#)
            .unwrap();
    let pattern =
        metadata(json!({"team_id": "team-pattern", "start_time": "2026-11-01T14:30:00Z"}));
    let default = call_id_of("drop", "acme/a.json");
    let call = call_of_object(
        document.to_string().as_bytes(),
        ObjectKind::Json,
        &[s3, sidecar, pattern],
        &default,
    )
    .unwrap();
    assert_eq!(call.call_id, default);
    assert_eq!(call.agent_id.as_str(), "from-doc");
    assert_eq!(call.customer_id.as_str(), "cust-s3");
    assert_eq!(call.team_id.as_ref().unwrap().as_str(), "team-side");
    assert_eq!(call.duration_seconds, 12.5);
    assert_eq!(
        call.start_time
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "2026-11-01T14:30:00Z"
    );
}

#[test]
fn bare_contact_lens_output_names_its_contact_and_language() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/calls/contact_lens.json"
    ))
    .unwrap();
    let layers = [metadata(json!({
        "agent_id": "unassigned", "customer_id": "unassigned", "start_time": "2026-11-01T14:30:00Z"
    }))];
    let call = call_of_object(
        &bytes,
        ObjectKind::Json,
        &layers,
        &call_id_of("b", "k.json"),
    )
    .unwrap();
    assert_eq!(
        call.call_id.as_str(),
        "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"
    );
    assert_eq!(call.language.as_str(), "en-US");
    assert!(call.utterances.utterances().len() > 10);
}

#[test]
fn what_is_missing_or_unreadable_is_refused_with_its_field() {
    let default = call_id_of("b", "acme/a.txt");
    let text = b"Agent: Hello.\nCustomer: Hi.";
    let error = call_of_object(text, ObjectKind::Text, &[], &default).unwrap_err();
    assert_eq!(error.field, "agent_id");
    let error = call_of_object(b"[1]", ObjectKind::Json, &[], &default).unwrap_err();
    assert_eq!(error.field, "document");
    let error = call_of_object(&[0xff, 0xfe], ObjectKind::Text, &[], &default).unwrap_err();
    assert_eq!(error.field, "document");
    let error = from_sidecar(b"[]").unwrap_err();
    assert_eq!(error.field, "sidecar");
    let layers = [metadata(json!({"agent_id": "a", "customer_id": "c",
        "start_time": "2026-11-01T14:30:00Z", "duration_seconds": "soon"}))];
    let error = call_of_object(text, ObjectKind::Text, &layers, &default).unwrap_err();
    assert_eq!(error.field, "duration_seconds");
}
