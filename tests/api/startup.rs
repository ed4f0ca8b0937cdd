//! The binary as a user runs it: on an empty database it migrates, seeds the sandbox and
//! prints where to go and the key; run again it reuses the data without seeding twice; on
//! SIGTERM readiness fails first and it exits cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::harness::{Backend, TestDb};

/// A running `layer2` process and the banner it printed.
struct Process {
    child: Child,
    base: String,
    banner: Vec<String>,
    /// Its working directory (where a PostgreSQL server saves a new sandbox key).
    _workdir: tempfile::TempDir,
}

impl Process {
    fn start(db: &TestDb) -> Self {
        let workdir = tempfile::tempdir().expect("temp dir");
        let mut child = layer2_command(db)
            .current_dir(workdir.path())
            .args([
                "--bind",
                "127.0.0.1:0",
                "--shutdown-grace-ms",
                "1500",
                "--workers",
                "1",
            ])
            .env("LAYER2_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("layer2 starts");
        let stdout = child.stdout.take().expect("stdout");
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // The banner ends with the sandbox customers (new database) or the key hint.
        let mut banner = Vec::new();
        loop {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("banner within a minute");
            let last = line.contains("Sandbox customer : sandbox-corporation-1")
                || line.contains("API keys");
            banner.push(line);
            if last {
                break;
            }
        }
        let base = banner
            .iter()
            .find_map(|l| l.strip_prefix("Layer2 onboarding API is listening on "))
            .expect("listening line")
            .trim()
            .to_owned();
        Self {
            child,
            base,
            banner,
            _workdir: workdir,
        }
    }

    fn banner_value(&self, label: &str) -> Option<String> {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|rest| rest.trim_start_matches([' ', ':']).trim().to_owned())
    }

    /// The new sandbox's key: read from the key file the banner names (stdout is a pipe
    /// here, not a terminal, so the banner does not show the key itself).
    fn sandbox_key(&self) -> Option<String> {
        self.banner_value("Sandbox API key")?;
        let file = self.banner_value("Sandbox key file")?;
        let key = std::fs::read_to_string(&file).expect("the key file is readable");
        Some(key.trim().to_owned())
    }

    async fn status(&self, path: &str) -> u16 {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// SIGTERM, and the exit status once it has stopped.
    fn terminate(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("layer2 did not exit within 10 s of SIGTERM");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn viewer_name(base: &str, key: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": "{ viewer { name environment } }" }))
        .send()
        .await
        .expect("request");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

/// The binary with the test database's URL (and CA, for PostgreSQL's TLS) in its environment.
pub(crate) fn layer2_command(db: &TestDb) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_layer2"));
    command.env("DATABASE_URL", &db.url);
    if let Some(ca) = db.ca_file() {
        command.env("DATABASE_CA_FILE", ca);
    }
    command
}

fn clients_list(db: &TestDb) -> Vec<String> {
    let output = layer2_command(db)
        .args(["clients", "list"])
        .output()
        .expect("layer2 clients list");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn first_start_seeds_and_restart_reuses(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };

    // First start on an empty database: migrated, seeded, and the key saved once.
    let mut first = Process::start(&db);
    let key = first.sandbox_key().expect("the sandbox key is saved");
    assert!(
        first
            .banner_value("GraphQL endpoint")
            .is_some_and(|v| v.ends_with("/graphql"))
    );
    assert!(first.banner_value("GraphiQL").is_some());
    assert_eq!(first.status("/readyz").await, 200);
    let (status, body) = viewer_name(&first.base, &key).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"]["environment"], "SANDBOX", "{body}");

    // SIGTERM: readiness fails first while the process still serves, then it exits cleanly.
    first.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(first.status("/readyz").await, 503);
    assert_eq!(first.status("/healthz").await, 200);
    assert!(first.wait_exit().success());

    // Second start: same data, no second sandbox, no key printed.
    let second = Process::start(&db);
    assert!(second.sandbox_key().is_none(), "{:?}", second.banner);
    let (status, body) = viewer_name(&second.base, &key).await;
    assert_eq!(status, 200, "the first key still works: {body}");
    drop(second);
    assert_eq!(clients_list(&db).len(), 1, "seeded exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_seeds_and_restart_reuses_sqlite() {
    first_start_seeds_and_restart_reuses(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_seeds_and_restart_reuses_postgres() {
    first_start_seeds_and_restart_reuses(Backend::Postgres).await;
}

#[test]
fn help_documents_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_layer2"))
        .arg("--help")
        .output()
        .expect("--help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--database-url",
        "--pool-size",
        "--bind",
        "--workers",
        "--body-limit",
        "--log-level",
        "--log-format",
        "--max-depth",
        "--max-cost",
        "--max-selections",
        "--max-aliases",
        "--max-response-nodes",
        "--request-timeout-ms",
        "--body-timeout-ms",
        "--cors-allowed-origins",
        "--sandbox-cost-burst",
        "--production-requests-per-sec",
        "--shutdown-grace-ms",
        "--no-sandbox",
        "DATABASE_URL",
        "LAYER2_BIND",
    ] {
        assert!(help.contains(option), "--help lacks {option}:\n{help}");
    }
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_layer2"))
        .env("DATABASE_URL", "mysql://localhost/db")
        .output()
        .expect("layer2 runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("postgres://") && stderr.contains("sqlite://"),
        "{stderr}"
    );
}

fn layer2(db: &TestDb, args: &[&str]) -> String {
    let output = layer2_command(db).args(args).output().expect("layer2 runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `clients create`, `keys create`, `keys revoke`: a key made on the command line works over
/// HTTP until it is revoked; an operator key sees no viewer client.
async fn keys_made_on_the_command_line_work_until_revoked(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let client_id = layer2(
        &db,
        &[
            "clients",
            "create",
            "--name",
            "Acme Pay",
            "--environment",
            "production",
            "--regulated",
        ],
    );
    let key = layer2(
        &db,
        &["keys", "create", "--client", &client_id, "--label", "ci"],
    );
    let operator_key = layer2(&db, &["keys", "create", "--operator"]);
    let server = Process::start(&db);
    let (status, body) = viewer_name(&server.base, &key).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["viewer"],
        json!({ "name": "Acme Pay", "environment": "PRODUCTION" })
    );
    let (status, body) = viewer_name(&server.base, &operator_key).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"], json!(null));

    let listed = layer2(&db, &["keys", "list"]);
    assert!(!listed.contains(&key), "keys list never shows a secret");
    assert!(
        listed.contains(&key[..11]),
        "keys list shows the prefix: {listed}"
    );
    // An access token the key minted works, as the key's viewer.
    let minted = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .bearer_auth(&key)
        .json(&json!({ "query": "mutation { createAccessToken(input: { scopes: [CUSTOMERS_READ] }) { token } }" }))
        .send()
        .await
        .expect("request");
    let minted: serde_json::Value = minted.json().await.expect("JSON");
    let token = minted["data"]["createAccessToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_owned();
    assert_eq!(viewer_name(&server.base, &token).await.0, 200);

    layer2(&db, &["keys", "revoke", &key[..11]]);
    // The server trusts a verified key (and token) for up to 5 s (its default key cache):
    // polled. The key's tokens are revoked with it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for credential in [&key, &token] {
        loop {
            let (status, _) = viewer_name(&server.base, credential).await;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200);
            assert!(
                std::time::Instant::now() < deadline,
                "the revoked key or its token still works after 20 s"
            );
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_made_on_the_command_line_work_until_revoked_sqlite() {
    keys_made_on_the_command_line_work_until_revoked(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_made_on_the_command_line_work_until_revoked_postgres() {
    keys_made_on_the_command_line_work_until_revoked(Backend::Postgres).await;
}
