//! The OpenAPI document against what is deployed: the committed file is what the code
//! generates, and its routes are exactly the template's HTTP API routes.

use std::collections::BTreeSet;

use callscope_local::template::LocalTemplate;
use callscope_tests::{fixture, workspace_root};

#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    let committed: serde_json::Value =
        serde_json::from_str(&fixture("openapi.json")).expect("openapi.json is JSON");
    let generated = serde_json::to_value(callscope_cli::openapi::document()).expect("JSON");
    assert!(
        committed == generated,
        "openapi.json is stale: run `cargo run -q -p callscope-cli -- openapi > openapi.json`"
    );
}

#[test]
fn the_documented_routes_are_the_templates_http_api_routes() {
    let template = LocalTemplate::load(&workspace_root().join("infra/template.yaml"))
        .expect("the template reads");
    let deployed: BTreeSet<(String, String, bool)> = template
        .functions
        .iter()
        .flat_map(|f| f.http_events.iter())
        // `ANY /` and `ANY /{proxy+}` take what no route takes, to answer 405 or 404: no
        // operation of their own to document.
        .filter(|e| !e.method.eq_ignore_ascii_case("ANY"))
        .map(|e| (e.method.to_ascii_lowercase(), e.path.clone(), e.authorized))
        .collect();
    let document = serde_json::to_value(callscope_cli::openapi::document()).expect("JSON");
    // Each documented operation as the gateway route that takes it: the settings sections are
    // documented one path each (each its own body schema) and deployed as one
    // `/api/v1/settings/{section}` route.
    let routes: Vec<String> = deployed.iter().map(|(_, path, _)| path.clone()).collect();
    let routes = routes.as_slice();
    let documented: BTreeSet<(String, String, bool)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .iter()
                .map(move |(method, operation)| {
                    let secured = operation.get("security").is_some();
                    (method.clone(), route_of(routes, path), secured)
                })
        })
        .collect();
    assert_eq!(
        documented, deployed,
        "the OpenAPI document and infra/template.yaml's routes (and which need a token) drifted"
    );
}

/// The route of `routes` that API Gateway matches `path` to: itself when deployed, else the one
/// whose `{parameter}` segments take the path's segments.
fn route_of(routes: &[String], path: &str) -> String {
    if routes.iter().any(|r| r == path) {
        return path.to_owned();
    }
    let segments: Vec<&str> = path.split('/').collect();
    routes
        .iter()
        .find(|route| {
            let template: Vec<&str> = route.split('/').collect();
            template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !t.ends_with("+}")))
        })
        .cloned()
        .unwrap_or_else(|| path.to_owned())
}

/// Every "not blank" pattern in the document means what the server's `trim` means, character
/// for character. A pattern written with `\s` would not: Python's (schemathesis's) also takes
/// U+001C–U+001F as blank, which the server keeps, so the fuzzer would call a valid text
/// invalid and fail the run when the server accepts it.
#[test]
fn not_blank_patterns_agree_with_the_servers_trim_on_every_character() {
    fn patterns(value: &serde_json::Value, found: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("pattern", serde_json::Value::String(p)) => {
                            found.insert(p.clone());
                        }
                        _ => patterns(value, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| patterns(v, found)),
            _ => {}
        }
    }
    let document: serde_json::Value =
        serde_json::from_str(&fixture("openapi.json")).expect("openapi.json is JSON");
    let mut found = BTreeSet::new();
    patterns(&document, &mut found);
    let not_blank: Vec<&String> = found.iter().filter(|p| p.starts_with("[^")).collect();
    assert!(!not_blank.is_empty(), "no not-blank pattern in {found:?}");
    for pattern in not_blank {
        // Classes spelled out mean the same in every dialect; `\s`, `\w`, `\d` do not.
        for escape in ["\\s", "\\S", "\\w", "\\W", "\\d", "\\D"] {
            assert!(!pattern.contains(escape), "{pattern} uses {escape}");
        }
        let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let text = c.to_string();
            assert_eq!(
                re.is_match(&text),
                !text.trim().is_empty(),
                "{pattern} on U+{:04X}",
                u32::from(c)
            );
        }
    }
}
