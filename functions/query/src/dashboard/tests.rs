//! The dashboard's answers: sign-in settings from the environment, the files with their types,
//! the policy and revalidation.

use std::collections::HashMap;

use axum::body::{to_bytes, Body};
use axum::http::Request;
use tower::ServiceExt;

use super::*;

fn settings(pairs: &[(&str, &str)]) -> Result<Value, String> {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    auth_from(|name| env.get(name).cloned())
}

#[test]
fn without_settings_the_page_signs_nobody_in() {
    assert_eq!(settings(&[]), Ok(json!({"auth": "none"})));
}

#[test]
fn a_provider_needs_https_endpoints_and_a_client() {
    let cognito = [
        ("DASHBOARD_AUTH", "cognito"),
        (
            "DASHBOARD_AUTHORIZE_URL",
            "https://acme.auth.us-east-1.amazoncognito.com/oauth2/authorize",
        ),
        (
            "DASHBOARD_TOKEN_URL",
            "https://acme.auth.us-east-1.amazoncognito.com/oauth2/token",
        ),
        ("DASHBOARD_CLIENT_ID", "abc123"),
    ];
    let ok = settings(&cognito).expect("valid");
    assert_eq!(ok["token"], "id_token");
    assert_eq!(ok["scopes"], "openid");
    let mut plain_http = cognito;
    plain_http[2].1 = "http://acme.example/token";
    assert!(settings(&plain_http)
        .unwrap_err()
        .contains("DASHBOARD_TOKEN_URL"));
    assert!(settings(&cognito[..3])
        .unwrap_err()
        .contains("DASHBOARD_CLIENT_ID"));
    assert!(settings(&[("DASHBOARD_AUTH", "saml")])
        .unwrap_err()
        .contains("saml"));
}

#[test]
fn origins_keep_scheme_host_and_port_only() {
    assert_eq!(
        origin_of("https://a.example:8443/oauth2/token?x=1").as_deref(),
        Some("https://a.example:8443")
    );
    assert_eq!(origin_of("https://a.example; script-src *"), None);
    assert_eq!(origin_of("http://a.example"), None);
}

#[test]
fn uploads_go_to_the_emulator_or_the_drop_in_buckets_s3_origin() {
    let from = |pairs: &[(&str, &str)]| {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        upload_origin_from(|name| map.get(name).cloned())
    };
    assert_eq!(
        from(&[
            ("DROPIN_BUCKET", "callscope-dropin-1-abc"),
            ("AWS_REGION", "eu-west-1")
        ])
        .as_deref(),
        Some("https://callscope-dropin-1-abc.s3.eu-west-1.amazonaws.com")
    );
    assert_eq!(
        from(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"),
            ("DROPIN_BUCKET", "b")
        ])
        .as_deref(),
        Some("http://127.0.0.1:4566")
    );
    assert_eq!(
        from(&[("AWS_REGION", "eu-west-1")]),
        None,
        "no bucket, no uploads"
    );
    assert_eq!(
        from(&[
            ("DROPIN_BUCKET", "b; script-src *"),
            ("AWS_REGION", "eu-west-1")
        ]),
        None
    );
    assert_eq!(from(&[("AWS_ENDPOINT_URL", "ftp://x")]), None);
}

async fn get(path: &str, etag: Option<&str>) -> Response {
    let mut request = Request::get(path);
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    routes::<()>()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("answer")
}

fn header_of(response: &Response, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_and_its_files_carry_their_types_and_the_policy() {
    for (path, content_type, starts) in [
        ("/", "text/html", "<!doctype html>"),
        ("/app/app.js", "text/javascript", ""),
        ("/app/app.css", "text/css", ""),
        (
            "/app/config.json",
            "application/json",
            "{\"auth\":\"none\"}",
        ),
    ] {
        let response = get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(header_of(&response, header::CONTENT_TYPE).starts_with(content_type));
        assert!(header_of(&response, header::CONTENT_SECURITY_POLICY)
            .starts_with("default-src 'self'; script-src 'self'; style-src 'self';"));
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(!body.is_empty(), "{path} is empty");
        assert!(String::from_utf8_lossy(&body).starts_with(starts), "{path}");
    }
}

#[tokio::test]
async fn an_unchanged_file_is_not_sent_again() {
    let first = get("/app/app.js", None).await;
    let etag = header_of(&first, header::ETAG).to_owned();
    assert!(etag.starts_with('"'));
    assert_eq!(header_of(&first, header::CACHE_CONTROL), "no-cache");
    let again = get("/app/app.js", Some(&etag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let changed = get("/app/app.js", Some("\"0\"")).await;
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_file_is_404() {
    assert_eq!(
        get("/app/secrets.txt", None).await.status(),
        StatusCode::NOT_FOUND
    );
}
