//! Every alarm links its runbook: the section of docs/operations.md headed by the alarm's name.

use std::collections::BTreeMap;
use std::path::Path;

use serde_norway::Value;

use callscope_local::template::intrinsic;

use crate::reading::Reading;

const LINK: &str = "Runbook: docs/operations.md#";

#[test]
fn every_alarm_links_the_section_of_docs_operations_headed_by_its_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/operations.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the alarms' runbooks, {}: {e}", path.display()));
    // `### `{function}-errors``, by its GitHub anchor `function-errors`.
    let sections: BTreeMap<String, &str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .map(|heading| heading.trim().trim_matches('`'))
        .map(|heading| (anchor(heading), heading))
        .collect();
    for t in Reading::all() {
        for (id, props) in t.alarms() {
            let description = template_text(&props["AlarmDescription"]);
            let (_, link) = description
                .rsplit_once(LINK)
                .unwrap_or_else(|| panic!("{}: {id} does not end with {LINK}…", t.label));
            let heading = sections.get(link).unwrap_or_else(|| {
                panic!(
                    "{}: {id} links #{link}, which no ### heading of docs/operations.md has",
                    t.label
                )
            });
            // The heading's fixed part ends the alarm's name: `{function}-errors`, `ingest-errors`.
            let fixed = heading.rsplit('}').next().unwrap_or(heading);
            let name = template_text(&props["AlarmName"]);
            assert!(
                name.ends_with(fixed),
                "{}: {id} is named {name} but links the runbook of {heading}",
                t.label
            );
        }
    }
}

/// GitHub's anchor of a heading: lower case, letters, digits, `-` and `_`, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A string, or the template of a `!Sub` (with or without variables).
fn template_text(value: &Value) -> String {
    if let Some(text) = value.as_str() {
        return text.to_owned();
    }
    match intrinsic(value) {
        Some((function, Value::String(text))) if function == "Fn::Sub" => text.clone(),
        Some((function, Value::Sequence(parts))) if function == "Fn::Sub" => parts[0]
            .as_str()
            .expect("a !Sub template is a string")
            .to_owned(),
        _ => panic!("not a string or a !Sub: {value:?}"),
    }
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(anchor("{function}-errors"), "function-errors");
    assert_eq!(
        anchor("{queue}-queue-old-messages"),
        "queue-queue-old-messages"
    );
    assert_eq!(anchor("http-5xx-rate"), "http-5xx-rate");
    assert_eq!(
        anchor("Logs: retention and level"),
        "logs-retention-and-level"
    );
}
