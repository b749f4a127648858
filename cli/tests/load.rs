//! `callscope load` against a real `callscope local serve` (moto + Redis): a small run finishes
//! with no errors, counts every call, and prices it from the serve's request meter.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callscope");

fn workspace() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Stops the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn a_small_load_run_against_local_serve_has_no_errors_and_a_bill() {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        // `make test` runs this with the local cloud; `make unit` has none to run it against.
        eprintln!("skipped: needs the local cloud (AWS_ENDPOINT_URL), as under `make test`");
        return;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("callscope-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let log = std::fs::File::create(dir.join("serve.log")).expect("a log file");
    let mut server = Server(
        Command::new(BIN)
            .current_dir(workspace())
            .args(["local", "serve", "--default-tenant", "acme", "--port"])
            .arg(port.to_string())
            .args(["--prefix", &format!("load-test-{}-", std::process::id())])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("serve starts"),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let log = || {
            let mut text = String::new();
            let _ =
                std::fs::File::open(dir.join("serve.log")).map(|mut f| f.read_to_string(&mut text));
            text
        };
        assert!(
            server.0.try_wait().expect("status").is_none(),
            "serve exited: {}",
            log()
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "serve not listening: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let json = dir.join("report.json");
    let out = Command::new(BIN)
        .args([
            "load",
            "--calls",
            "5",
            "--queries",
            "20",
            "--minutes-mix",
            "3:2,10:1",
        ])
        .args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "120",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("load runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    assert_eq!(report["error_count"], 0, "{text}");
    assert_eq!(report["aggregation"]["counted"], 5, "{text}");
    assert_eq!(report["queries"]["requests"], 20, "{text}");
    let write_units = report["bill"]["write_path"]["bill"]["write_units_per_call"]
        .as_f64()
        .expect("a bill");
    assert!(write_units > 1.0, "{text}");
    assert!(text.contains("$ per million calls"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
