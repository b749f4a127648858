//! Peak memory of reading the largest document accepted: the parsers must stay well inside a
//! 256 MB Lambda whatever the document holds. dhat's allocator (this test binary only) measures
//! the peak of live heap bytes.

use callscope_core::domain::MAX_DOCUMENT_BYTES;
use callscope_core::formats::{parse_call, Format};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A call document of `MAX_DOCUMENT_BYTES` made of the smallest utterances JSON allows.
fn document_of_tiny_utterances() -> Vec<u8> {
    let head = br#"{"call_id":"c","agent_id":"a","customer_id":"u","start_time":"2026-11-02T09:00:00Z","utterances":["#;
    let item = br#"{"speaker":"agent","text":"a"}"#;
    let mut doc = head.to_vec();
    while doc.len() + item.len() + 3 < MAX_DOCUMENT_BYTES {
        if doc.len() > head.len() {
            doc.push(b',');
        }
        doc.extend_from_slice(item);
    }
    doc.extend_from_slice(b"]}");
    doc
}

/// A call document whose `transcribe` field is a standard Transcribe output of words, to about
/// `MAX_DOCUMENT_BYTES`.
fn document_of_transcribe_words() -> Vec<u8> {
    let mut items = Vec::new();
    let mut segments = Vec::new();
    let mut bytes = 200;
    let mut i = 0_u32;
    while bytes < MAX_DOCUMENT_BYTES - 1_000 {
        let start = f64::from(i) * 0.3;
        let item = serde_json::json!({
            "start_time": format!("{start:.3}"),
            "end_time": format!("{:.3}", start + 0.3),
            "alternatives": [{"confidence": "0.98", "content": "word"}],
            "type": "pronunciation",
            "speaker_label": if (i / 10) % 2 == 0 { "spk_0" } else { "spk_1" },
        });
        bytes += item.to_string().len() + 1;
        items.push(item);
        if i % 10 == 0 {
            let segment = serde_json::json!({
                "start_time": format!("{start:.3}"),
                "end_time": format!("{:.3}", start + 3.0),
                "speaker_label": if (i / 10) % 2 == 0 { "spk_0" } else { "spk_1" },
            });
            bytes += segment.to_string().len() + 1;
            segments.push(segment);
        }
        i += 1;
    }
    serde_json::to_vec(&serde_json::json!({
        "call_id": "c", "agent_id": "a", "customer_id": "u",
        "start_time": "2026-11-02T09:00:00Z",
        "transcribe": {"results": {
            "transcripts": [{"transcript": ""}],
            "speaker_labels": {"speakers": 2, "segments": segments},
            "items": items,
        }},
    }))
    .expect("serialisable")
}

/// Peak heap bytes while `read` runs, above what was live before. dhat's `max_bytes` is the
/// process's maximum so far, so the cases run from the smallest peak up.
fn peak_of<T>(read: impl FnOnce() -> T) -> (T, usize) {
    let before = dhat::HeapStats::get();
    let result = read();
    let after = dhat::HeapStats::get();
    (result, after.max_bytes.saturating_sub(before.curr_bytes))
}

/// One test, because dhat allows one profiler per process at a time.
#[test]
fn reading_the_largest_documents_stays_inside_a_small_lambda() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let tiny = document_of_tiny_utterances();
    let (refused, peak) = peak_of(|| parse_call(&tiny, Format::Auto));
    let refused = refused.expect_err("too many utterances");
    eprintln!(
        "{} bytes of tiny utterances: peak {peak} bytes ({refused})",
        tiny.len()
    );
    assert_eq!(refused.field, "utterances");
    assert!(
        peak < 16 * 1024 * 1024,
        "tiny utterances: peak {peak} bytes"
    );
    drop(tiny);

    let words = document_of_transcribe_words();
    assert!(words.len() <= MAX_DOCUMENT_BYTES, "{} bytes", words.len());
    let (call, peak) = peak_of(|| parse_call(&words, Format::Auto));
    let call = call.expect("a valid Transcribe call");
    eprintln!(
        "{} bytes of Transcribe words: peak {peak} bytes ({} utterances)",
        words.len(),
        call.utterances.utterances().len()
    );
    assert!(
        peak < 128 * 1024 * 1024,
        "Transcribe words: peak {peak} bytes"
    );
}
