//! A real headless browser (Debian's Chromium, installed here when missing): a page served
//! from an allowed origin fetches the nested graph from `/graphql` with an access token and
//! shows it; the same page from an origin not on the allowlist cannot read the answer (CORS).

use std::process::{Command, Stdio};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::{Backend, TestApp};
use crate::money::ok;

/// The Chromium binary, installed with apt when it is missing and we may (as root); `None`
/// (after saying why) when it cannot be had, which fails the test under `CI=true`. Looked
/// for once per test run, so that two tests never run apt at the same time.
fn chromium() -> Option<String> {
    static CHROMIUM: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let path = CHROMIUM.get_or_init(installed_chromium).clone();
    if path.is_none() {
        let why = "no Chromium (apt-get install chromium)";
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "the browser test must run under CI=true, but: {why}"
        );
        eprintln!("SKIPPED: {why}");
    }
    path
}

fn installed_chromium() -> Option<String> {
    let found = || {
        ["chromium", "chromium-browser"]
            .into_iter()
            .find_map(|name| {
                let path = format!("/usr/bin/{name}");
                std::path::Path::new(&path).exists().then_some(path)
            })
    };
    if let Some(path) = found() {
        return Some(path);
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if root {
        let install = |args: &[&str]| {
            Command::new("apt-get")
                // Waits for another apt (a machine's own updates at boot) instead of failing.
                .args(["-o", "DPkg::Lock::Timeout=300"])
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if !install(&["install", "-y", "--no-install-recommends", "chromium"]) {
            install(&["update"]);
            install(&["install", "-y", "--no-install-recommends", "chromium"]);
        }
    }
    found()
}

/// A free loopback port, bound (so that the page's origin is known before the server
/// that must allow it starts).
fn bound() -> TcpListener {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    TcpListener::from_std(listener).expect("a tokio listener")
}

/// Serves one HTML page (to any request) on `listener`; its origin.
fn serve_page(listener: TcpListener, html: String) -> String {
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    origin
}

/// The page a frontend would be: it asks the API for its customer's graph with the token
/// and writes what it got (or that it could not read it) into the document.
fn page(api: &str, token: &str) -> String {
    let query = "{ customers { nodes { customerId accounts { nodes { accountId } } } } }";
    format!(
        r#"<!doctype html><html><body><pre id="out">waiting</pre><script>
fetch("{api}/graphql", {{
  method: "POST",
  headers: {{ "Authorization": "Bearer {token}", "Content-Type": "application/json" }},
  body: JSON.stringify({{ query: {query:?} }})
}}).then(r => r.json())
  .then(j => {{ document.getElementById("out").textContent = "GOT " + JSON.stringify(j.data); }})
  .catch(e => {{ document.getElementById("out").textContent = "REFUSED " + e; }});
</script></body></html>"#
    )
}

/// The document of `url` once the page's fetch has settled (virtual time waits for it);
/// Chromium runs off the test's runtime, which serves the page meanwhile.
async fn rendered(chromium: &str, url: &str) -> String {
    let (chromium, url) = (chromium.to_owned(), url.to_owned());
    tokio::task::spawn_blocking(move || dump_dom(&chromium, &url))
        .await
        .expect("chromium's thread")
}

fn dump_dom(chromium: &str, url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn a_page_on_an_allowed_origin_reads_the_graph_with_a_token_and_others_cannot(
    backend: Backend,
) {
    let Some(chromium) = chromium() else {
        return;
    };
    // The page's origin must be known before the server starts (its CORS allowlist).
    let (allowed, elsewhere) = (bound(), bound());
    let allowlist = vec![format!("http://{}", allowed.local_addr().expect("address"))];
    let Some(app) =
        TestApp::start_configured(backend, move |s| s.cors_allowed_origins = allowlist).await
    else {
        return;
    };
    let input = json!({ "scopes": ["CUSTOMERS_READ", "ACCOUNTS_READ"],
                        "customerIds": ["sandbox-individual-1"], "ttlSeconds": 300 });
    let minted = ok(
        &app,
        app.key(),
        "mutation($input: CreateAccessTokenInput!) {
        createAccessToken(input: $input) { token } }",
        json!({ "input": input }),
        "createAccessToken",
    )
    .await;
    let token = minted["token"].as_str().expect("token");
    let api = app.url("");
    let html = page(api.trim_end_matches('/'), token);

    // Served from the allowed origin, the page shows its customer's graph.
    let origin = serve_page(allowed, html.clone());
    let dom = rendered(&chromium, &format!("{origin}/")).await;
    assert!(dom.contains("GOT"), "{dom}");
    assert!(dom.contains("sandbox-individual-1-usd"), "{dom}");
    assert!(
        !dom.contains("sandbox-corporation-1"),
        "the token sees one customer: {dom}"
    );

    // The same page from another origin cannot read the answer.
    let origin = serve_page(elsewhere, html);
    let dom = rendered(&chromium, &format!("{origin}/")).await;
    assert!(dom.contains("REFUSED"), "{dom}");
    assert!(!dom.contains("sandbox-individual-1-usd"), "{dom}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_an_allowed_origin_reads_the_graph_with_a_token_and_others_cannot_sqlite() {
    a_page_on_an_allowed_origin_reads_the_graph_with_a_token_and_others_cannot(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_an_allowed_origin_reads_the_graph_with_a_token_and_others_cannot_postgres() {
    a_page_on_an_allowed_origin_reads_the_graph_with_a_token_and_others_cannot(Backend::Postgres)
        .await;
}
