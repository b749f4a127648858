//! `callscope local …` creates and deletes tables and queues, so it refuses to run unless every
//! endpoint the SDK will really use is a loopback emulator, not merely when AWS_ENDPOINT_URL is
//! set. Each case is refused before any request is made.

use std::process::Command;

fn local_provision(env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callscope"));
    command.args(["local", "provision", "--prefix", "guard-test-"]);
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn local_commands_refuse_any_endpoint_that_may_reach_aws() {
    let loopback = ("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "AWS_ENDPOINT_URL is not set"),
        (
            &[(
                "AWS_ENDPOINT_URL",
                "https://dynamodb.us-east-1.amazonaws.com",
            )],
            "AWS_ENDPOINT_URL is not a loopback",
        ),
        (
            &[
                loopback,
                (
                    "AWS_ENDPOINT_URL_SQS",
                    "https://sqs.us-east-1.amazonaws.com",
                ),
            ],
            "AWS_ENDPOINT_URL_SQS is not a loopback",
        ),
        (
            &[loopback, ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")],
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        ),
    ];
    for (env, why) in cases {
        let (succeeded, stderr) = local_provision(env);
        assert!(!succeeded, "{env:?} was not refused");
        assert!(stderr.contains(why), "{env:?}: {stderr}");
        assert!(stderr.contains("refusing to create or delete"), "{stderr}");
    }
}
