//! What the binary leaves on disk and in its logs: the SQLite file and its -wal/-shm are
//! owner-only (0600); a new sandbox key goes to an owner-only file, not to stdout when that
//! is a pipe; a request's log line stays short whatever the client sends, carries no colour
//! codes off a terminal, and stands alone however many fields failed.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Backend, TestDb};
use crate::startup::{layer2_command, viewer_name};

/// The longest log line any request may produce (the limits are ~100 characters a value).
const MAX_LINE: usize = 1_500;

/// The lines a child writes to one of its pipes, collected by a thread as they come.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(stream: impl Read + Send + 'static) -> Self {
        let lines = Self::default();
        let sink = lines.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                sink.0.lock().unwrap().push(text);
                line.clear();
            }
        });
        lines
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The first line from index `from` on that satisfies `wanted`, with its index; polls
    /// until a deadline.
    async fn wait_for(&self, from: usize, what: &str, wanted: impl Fn(&str) -> bool) -> usize {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(at) = self.all().iter().skip(from).position(|l| wanted(l)) {
                return from + at;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within a minute; got:\n{}",
                self.all().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A `layer2` server whose stdout and stderr are pipes (as in a container), text logs.
struct Server {
    child: Child,
    base: String,
    stdout: Lines,
    stderr: Lines,
    workdir: tempfile::TempDir,
}

impl Server {
    async fn start(db: &TestDb, extra: &[&str]) -> Self {
        let workdir = tempfile::tempdir().expect("temp dir");
        let mut child = layer2_command(db)
            .current_dir(workdir.path())
            .args(["--bind", "127.0.0.1:0", "--workers", "1"])
            .args(extra)
            .env_remove("LAYER2_LOG_FORMAT")
            .env("LAYER2_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("layer2 starts");
        let stdout = Lines::collect(child.stdout.take().expect("stdout"));
        let stderr = Lines::collect(child.stderr.take().expect("stderr"));
        // The banner ends with the sandbox customers (new database) or the key hint.
        stdout
            .wait_for(0, "end of the banner", |l| {
                l.contains("Sandbox customer : sandbox-corporation-1") || l.contains("API keys")
            })
            .await;
        let base = stdout
            .all()
            .iter()
            .find_map(|l| l.strip_prefix("Layer2 onboarding API is listening on "))
            .expect("listening line")
            .trim()
            .to_owned();
        Self {
            child,
            base,
            stdout,
            stderr,
            workdir,
        }
    }

    fn banner_value(&self, label: &str) -> Option<String> {
        self.stdout
            .all()
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(str::to_owned))
            .map(|rest| rest.trim_start_matches([' ', ':']).trim().to_owned())
    }

    fn key_file(&self) -> String {
        self.banner_value("Sandbox key file")
            .expect("the banner names the key file")
    }

    fn key(&self) -> String {
        let key = std::fs::read_to_string(self.key_file()).expect("key file");
        key.trim().to_owned()
    }

    async fn post(&self, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", self.base))
            .bearer_auth(self.key())
            .json(body)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    /// Sends `body` and returns the index of its request log line, which is logged before
    /// the response goes out, so it is the first request line from `from` on.
    async fn logged(&self, body: &Value) -> (usize, usize, Value) {
        let from = self.stderr.len();
        let (_, response) = self.post(body).await;
        let at = self
            .stderr
            .wait_for(from, "request log line", |l| l.contains("layer2::request"))
            .await;
        (from, at, response)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn sqlite_files(db: &TestDb) -> [std::path::PathBuf; 3] {
    let path = db.url.trim_start_matches("sqlite://");
    ["", "-wal", "-shm"].map(|suffix| format!("{path}{suffix}").into())
}

/// The SQLite file and its -wal/-shm companions are created owner-only, and an existing
/// file that is readable by others is tightened at start. (PostgreSQL keeps no files here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_are_owner_only_sqlite() {
    let db = TestDb::fresh(Backend::Sqlite).await.expect("SQLite");
    let server = Server::start(&db, &[]).await;
    let (status, _) = viewer_name(&server.base, &server.key()).await;
    assert_eq!(status, 200);
    for file in sqlite_files(&db) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(server);

    for file in sqlite_files(&db).iter().filter(|f| f.exists()) {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let server = Server::start(&db, &[]).await;
    assert!(
        server.banner_value("Sandbox API key").is_none(),
        "not seeded twice"
    );
    for file in sqlite_files(&db) {
        assert_eq!(mode(&file), 0o600, "{} tightened", file.display());
    }
}

/// A new sandbox's key is saved to an owner-only file (beside the SQLite file, or in the
/// working directory for PostgreSQL) and works; with stdout a pipe it is not printed, nor
/// logged. `layer2 sandbox create`, an explicit admin command, still prints its key.
async fn sandbox_key_goes_to_an_owner_only_file(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let server = Server::start(&db, &[]).await;
    let file = server.key_file();
    match backend {
        Backend::Sqlite => assert_eq!(
            Path::new(&file),
            Path::new(&format!("{}.sandbox-key", sqlite_files(&db)[0].display()))
        ),
        Backend::Postgres => assert_eq!(
            Path::new(&file),
            server.workdir.path().join("layer2.sandbox-key")
        ),
    }
    assert_eq!(mode(Path::new(&file)), 0o600);
    let key = server.key();
    assert!(key.starts_with("l2_"), "{key}");
    let (status, body) = viewer_name(&server.base, &key).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"]["environment"], "SANDBOX", "{body}");
    let stdout = server.stdout.all().join("\n");
    assert!(!stdout.contains(&key), "the key is not printed:\n{stdout}");
    assert!(
        stdout.contains("not printed: stdout is not a terminal"),
        "{stdout}"
    );
    assert!(!server.stderr.all().join("\n").contains(&key), "nor logged");

    let output = layer2_command(&db)
        .args(["sandbox", "create"])
        .output()
        .expect("layer2 sandbox create");
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    let second = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("Sandbox API key  : "))
        .unwrap_or_else(|| panic!("sandbox create prints its key:\n{printed}"));
    let (status, _) = viewer_name(&server.base, second.trim()).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_key_goes_to_an_owner_only_file_sqlite() {
    sandbox_key_goes_to_an_owner_only_file(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_key_goes_to_an_owner_only_file_postgres() {
    sandbox_key_goes_to_an_owner_only_file(Backend::Postgres).await;
}

/// A 900 KB operationName (with an escape sequence in it) is logged cut short; no line has
/// an ESC byte; 150 fields failing at once give one line that counts them.
async fn request_log_lines_are_bounded(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let server = Server::start(&db, &[]).await;

    let name = format!("LongName\u{1b}[31m{}", "x".repeat(900_000));
    let (_, at, _) = server
        .logged(&json!({ "query": "query Short { __typename }", "operationName": name }))
        .await;
    let line = &server.stderr.all()[at];
    assert!(line.len() < MAX_LINE, "{} bytes: {line:.300}", line.len());
    assert!(line.contains("LongName"), "{line}");
    assert!(line.contains("more bytes]"), "marked as cut: {line}");

    let fields: String = (0..150)
        .map(|i| format!("c{i}: customer(customerId: \"missing-{i}\") {{ id }} "))
        .collect();
    let (from, at, body) = server
        .logged(&json!({ "query": format!("query ManyMissing {{ {fields} }}") }))
        .await;
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 150, "{body:.500}");
    let lines = server.stderr.all();
    assert_eq!(at, from, "one line for the request: {:#?}", &lines[from..]);
    assert!(lines[at].contains("ManyMissing"), "{}", lines[at]);
    assert!(lines[at].contains("NOT_FOUND×150"), "{}", lines[at]);

    for line in &lines {
        assert!(!line.contains('\x1b'), "an ESC byte in the log: {line:?}");
        assert!(line.len() < MAX_LINE, "{} bytes: {line:.300}", line.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_lines_are_bounded_sqlite() {
    request_log_lines_are_bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_lines_are_bounded_postgres() {
    request_log_lines_are_bounded(Backend::Postgres).await;
}

/// A pool that runs dry fails many fields of one request with UNAVAILABLE: one pooled
/// connection, held by the first field's query waiting on a table lock the test holds,
/// while the others give up waiting for it (and the first gives up on the lock). The
/// request logs one warning line counting them, not one per field (at most the first
/// field's own INTERNAL line, should its statement time out instead). PostgreSQL only: its
/// table lock holds one read in place; SQLite's readers never wait for a lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starved_request_logs_one_line_postgres() {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let server = Server::start(
        &db,
        &[
            "--pool-size",
            "1",
            "--acquire-timeout-ms",
            "200",
            "--statement-timeout-ms",
            "1500",
        ],
    )
    .await;
    server
        .logged(&json!({ "query": "{ viewer { id } }" }))
        .await;

    let mut lock =
        diesel_async::AsyncPgConnection::establish(&format!("{}?sslmode=disable", db.url))
            .await
            .unwrap();
    lock.batch_execute("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let fields: String = (0..20)
        .map(|i| format!("c{i}: customer(customerId: \"c-{i}\") {{ id }} "))
        .collect();
    let (from, at, body) = server
        .logged(&json!({ "query": format!("query Starved {{ {fields} }}") }))
        .await;
    lock.batch_execute("ROLLBACK").await.unwrap();

    let unavailable = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["extensions"]["code"] == "UNAVAILABLE")
        .count();
    assert!(unavailable >= 10, "{body}");
    let lines = server.stderr.all();
    let line = &lines[at];
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("Starved"), "{line}");
    assert!(
        line.contains(&format!("UNAVAILABLE×{unavailable}")),
        "{line}"
    );
    let others = &lines[from..at];
    assert!(
        others.len() <= 1 && others.iter().all(|l| l.contains("internal error")),
        "nothing per field: {others:#?}"
    );
}
