//! Webhooks against a real HTTP receiver inside the test: deliveries verify with the
//! Standard Webhooks library and with an HMAC computed here; retries after a 500 and a
//! timeout carry the same `webhook-id`; a disabled subscription gets nothing until it is
//! re-enabled; rotation signs twice; a failing subscription is given up and disabled after
//! the retry window (the clock advanced); URLs inside the network are refused; and a server
//! killed with SIGKILL mid-delivery delivers everything after its restart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{DEPOSIT_MUTATION, INDIVIDUAL_ACCOUNT, deposit};
use crate::harness::{TestApp, both_backends_configured, clocked_backends, error_codes};

/// How the receiver answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Never answers (the sender's timeout ends it).
    Stall,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A minimal HTTP/1.1 receiver on loopback: records every request, and answers each with
/// the next scripted answer (then `otherwise`).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    otherwise: Arc<Mutex<Answer>>,
}

impl Receiver {
    pub async fn start(script: &[Answer], otherwise: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
        let receiver = Self {
            url,
            got: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            otherwise: Arc::new(Mutex::new(otherwise)),
        };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serving.clone().serve(stream));
            }
        });
        receiver
    }

    pub fn answer_from_now(&self, answer: Answer) {
        *self.otherwise.lock().unwrap() = answer;
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to `deadline`) until at least `count` requests have arrived.
    pub async fn wait_for(&self, count: usize, deadline: Duration) -> Vec<Received> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < until,
                "{} of {count} deliveries arrived within {deadline:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn serve(self, mut stream: tokio::net::TcpStream) {
        let mut buffer = Vec::new();
        loop {
            // The head.
            let head_end = loop {
                if let Some(end) = find(&buffer, b"\r\n\r\n") {
                    break end;
                }
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
            let mut headers = http::HeaderMap::new();
            for line in head.lines().skip(1) {
                if let Some((name, value)) = line.split_once(':') {
                    headers.append(
                        http::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
                        http::HeaderValue::from_str(value.trim()).expect("value"),
                    );
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(0);
            let body_start = head_end + 4;
            while buffer.len() < body_start + length {
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let body =
                String::from_utf8_lossy(&buffer[body_start..body_start + length]).into_owned();
            buffer.drain(..body_start + length);
            self.got.lock().unwrap().push(Received { headers, body });
            let answer = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(*self.otherwise.lock().unwrap());
            match answer {
                Answer::Stall => {
                    // Hold the connection until the sender gives up.
                    let mut sink = [0u8; 64];
                    while let Ok(n) = stream.read(&mut sink).await {
                        if n == 0 {
                            return;
                        }
                    }
                    return;
                }
                Answer::Status(status) => {
                    let text = format!("answer {status}");
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n\r\n{text}",
                        text.len()
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// HMAC-SHA256, written out here (RFC 2104) so that the check does not share code with the
/// server's signing.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Whether one of the request's `v1` signatures is this secret's, by the specification.
fn signed_by(received: &Received, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let content = format!(
        "{}.{}.{}",
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
        received.body
    );
    let expected =
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(&key, content.as_bytes()));
    received
        .header("webhook-signature")
        .split(' ')
        .any(|part| part == format!("v1,{expected}"))
}

/// Verifies with the Standard Webhooks library (which also checks that the timestamp is
/// within five minutes of now).
fn library_verifies(received: &Received, secret: &str) -> bool {
    standardwebhooks::Webhook::new(secret)
        .expect("secret")
        .verify(received.body.as_bytes(), &received.headers)
        .is_ok()
}

const CREATE: &str = "mutation($url: String!, $types: [EventType!]!, $client: ID) {
    createWebhookSubscription(url: $url, eventTypes: $types, description: \"test\", clientId: $client) {
        secret subscription { id url eventTypes enabled } } }";

const SUBSCRIPTION: &str = "query($id: ID!) { webhookSubscription(id: $id) {
    enabled disabledReason
    deliveries(first: 20) { nodes { eventId attempt status responseStatus responseBody error
        latencyMs nextAttemptAt event { type } } } } }";

/// Subscribes `url` to `types`; the subscription's id and secret.
pub async fn subscribe(app: &TestApp, url: &str, types: &[&str]) -> (String, String) {
    let body = app.gql(CREATE, json!({ "url": url, "types": types })).await;
    assert!(body["errors"].is_null(), "{body}");
    let created = &body["data"]["createWebhookSubscription"];
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&secret[6..])
        .expect("base64");
    assert_eq!(raw.len(), 32, "32 random bytes");
    (
        created["subscription"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        secret,
    )
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    let body = app.gql(SUBSCRIPTION, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["webhookSubscription"].clone()
}

/// Waits until the subscription has `count` delivery attempts recorded: the deliverer
/// records an attempt (and when the next is due, from the clock's time then) after the
/// receiver has answered, so a test that moves the clock must wait for the record first.
async fn attempts_recorded(app: &TestApp, id: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let seen = subscription(app, id).await;
        let attempts = seen["deliveries"]["nodes"].as_array().map_or(0, Vec::len);
        if attempts >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} attempts recorded: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The last event of the log (as `events` shows it).
async fn last_event(app: &TestApp, event_type: &str) -> Value {
    let body = app
        .gql(
            "query($types: [EventType!]) { events(first: 100, filter: { types: $types }) {
                nodes { id sequence type occurredAt subjectId customerId accountId actor
                        reason requestId changes { field from to } } } }",
            json!({ "types": [event_type] }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["events"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.last().cloned())
        .expect("an event of that type")
}

fn fast_webhooks(settings: &mut layer2::server::ServerSettings) {
    settings.webhooks.allow_private_addresses = true;
    settings.webhooks.timeout = Duration::from_millis(1500);
    settings.webhooks.retry.delays = vec![Duration::from_millis(100)];
    settings.webhook_poll_interval = Duration::from_millis(100);
}

const WAIT: Duration = Duration::from_secs(20);

both_backends_configured! {
    async fn deliveries_are_signed_verify_and_carry_the_event_as_the_log_shows_it(app, fast_webhooks) {
        let receiver = Receiver::start(&[], Answer::Status(204)).await;
        let (id, secret) = subscribe(&app, &receiver.url, &["PAYMENT_CONFIRMED"]).await;

        // An event of another type first, then one of the subscribed type: deliveries go out
        // in sequence order, so had the first been sent it would have arrived first.
        crate::money::set_customer_status(&app, app.key(), crate::money::CORPORATION, "FROZEN").await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "3.00").await;
        let got = receiver.wait_for(1, WAIT).await;
        let delivery = &got[0];
        assert!(signed_by(delivery, &secret), "HMAC by the spec: {delivery:?}");
        assert!(library_verifies(delivery, &secret), "standardwebhooks verifies it");
        assert!(!signed_by(delivery, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        assert_eq!(delivery.header("content-type"), "application/json");

        let payload = delivery.json();
        let event = last_event(&app, "PAYMENT_CONFIRMED").await;
        assert_eq!(payload["type"], "PAYMENT_CONFIRMED");
        assert_eq!(payload["timestamp"], event["occurredAt"]);
        assert_eq!(payload["data"], event, "data is the event as the events query shows it");
        assert_eq!(delivery.header("webhook-id"), event["id"].as_str().unwrap());

        // The attempt is recorded.
        let seen = subscription(&app, &id).await;
        let attempts = seen["deliveries"]["nodes"].as_array().cloned().unwrap_or_default();
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut attempts = attempts;
        while attempts.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the attempt is recorded");
            tokio::time::sleep(Duration::from_millis(20)).await;
            attempts = subscription(&app, &id).await["deliveries"]["nodes"].as_array().cloned().unwrap_or_default();
        }
        assert_eq!(attempts[0]["status"], "SUCCEEDED", "{attempts:?}");
        assert_eq!(attempts[0]["responseStatus"], 204);
        assert_eq!(attempts[0]["attempt"], 1);
        assert_eq!(attempts[0]["event"]["type"], "PAYMENT_CONFIRMED");
        assert!(attempts[0]["nextAttemptAt"].is_null());
        assert_eq!(receiver.received().len(), 1, "only the subscribed type is sent");

        // Another client sees nothing of it.
        let other = app.another_client().await;
        let (_, body) = app.gql_as(other.key.expose(), SUBSCRIPTION, json!({ "id": id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let (_, body) = app.gql_as(other.key.expose(),
            "mutation($id: ID!) { deleteWebhookSubscription(id: $id) { deletedId } }",
            json!({ "id": id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let (_, body) = app.gql_as(other.key.expose(), "{ webhookSubscriptions { id } }", json!({})).await;
        assert_eq!(body["data"]["webhookSubscriptions"], json!([]), "{body}");
    }

    async fn failures_are_retried_with_the_same_webhook_id_until_delivered(app, fast_webhooks) {
        let receiver = Receiver::start(
            &[Answer::Status(500), Answer::Stall],
            Answer::Status(200),
        )
        .await;
        let (id, _) = subscribe(&app, &receiver.url, &["PAYMENT_CONFIRMED"]).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "4.00").await;
        let got = receiver.wait_for(3, WAIT).await;
        let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
        assert!(ids.iter().all(|i| *i == ids[0]) && !ids[0].is_empty(), "{ids:?}");

        let deadline = tokio::time::Instant::now() + WAIT;
        let attempts = loop {
            let attempts = subscription(&app, &id).await["deliveries"]["nodes"].as_array().cloned().unwrap_or_default();
            if attempts.len() >= 3 {
                break attempts;
            }
            assert!(tokio::time::Instant::now() < deadline, "three attempts recorded: {attempts:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // Newest first: delivered, timed out, answered 500.
        assert_eq!(attempts[0]["status"], "SUCCEEDED", "{attempts:?}");
        assert_eq!(attempts[0]["attempt"], 3);
        assert_eq!(attempts[1]["status"], "FAILED");
        assert_eq!(attempts[1]["error"], "timed out");
        assert!(attempts[1]["nextAttemptAt"].is_string());
        assert_eq!(attempts[2]["responseStatus"], 500);
        assert_eq!(attempts[2]["responseBody"], "answer 500");
        assert_eq!(attempts[2]["attempt"], 1);

        // Only failures, by filter.
        let body = app.gql("query($id: ID!) { webhookSubscription(id: $id) {
            deliveries(status: FAILED) { nodes { attempt } } } }", json!({ "id": id })).await;
        assert_eq!(body["data"]["webhookSubscription"]["deliveries"]["nodes"],
            json!([{ "attempt": 2 }, { "attempt": 1 }]), "{body}");
    }

    async fn ping_redelivery_and_rotation_sign_as_documented(app, fast_webhooks) {
        let receiver = Receiver::start(&[], Answer::Status(200)).await;
        let (id, old) = subscribe(&app, &receiver.url, &["PAYMENT_CONFIRMED"]).await;

        let body = app.gql("mutation($id: ID!) { pingWebhookSubscription(id: $id) { eventId } }",
            json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let ping_id = body["data"]["pingWebhookSubscription"]["eventId"].as_str().unwrap().to_owned();
        let got = receiver.wait_for(1, WAIT).await;
        assert_eq!(got[0].json()["type"], "PING");
        assert_eq!(got[0].header("webhook-id"), ping_id);
        assert!(signed_by(&got[0], &old));

        // Sent again, with the same id.
        let body = app.gql("mutation($e: ID!, $s: ID!) { redeliverEvent(eventId: $e, subscriptionId: $s) {
            event { id type } } }", json!({ "e": ping_id, "s": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let got = receiver.wait_for(2, WAIT).await;
        assert_eq!(got[1].header("webhook-id"), ping_id);

        // Rotated: the next delivery is signed by both secrets, each on its own.
        let body = app.gql("mutation($id: ID!) { rotateWebhookSecret(id: $id) {
            secret subscription { previousSecretExpiresAt } } }", json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let new = body["data"]["rotateWebhookSecret"]["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert!(body["data"]["rotateWebhookSecret"]["subscription"]["previousSecretExpiresAt"].is_string());
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "5.00").await;
        let got = receiver.wait_for(3, WAIT).await;
        let rotated = &got[2];
        assert_eq!(rotated.header("webhook-signature").split(' ').count(), 2, "{rotated:?}");
        assert!(signed_by(rotated, &new) && signed_by(rotated, &old));
        assert!(library_verifies(rotated, &new) && library_verifies(rotated, &old));

        // Another client cannot redeliver into it.
        let other = app.another_client().await;
        let (_, body) = app.gql_as(other.key.expose(), "mutation($e: ID!, $s: ID!) {
            redeliverEvent(eventId: $e, subscriptionId: $s) { event { id } } }",
            json!({ "e": ping_id, "s": id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
    }

    async fn a_disabled_subscription_gets_nothing_until_re_enabled(app, fast_webhooks) {
        let off = Receiver::start(&[], Answer::Status(200)).await;
        let on = Receiver::start(&[], Answer::Status(200)).await;
        let (off_id, _) = subscribe(&app, &off.url, &["PAYMENT_CONFIRMED"]).await;
        subscribe(&app, &on.url, &["PAYMENT_CONFIRMED"]).await;
        let body = app.gql("mutation($id: ID!) { updateWebhookSubscription(id: $id, enabled: false) {
            enabled disabledReason } }", json!({ "id": off_id })).await;
        assert_eq!(body["data"]["updateWebhookSubscription"]["enabled"], false, "{body}");

        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "6.00").await;
        // Once the enabled one has it, the deliverer has been past both.
        let delivered = on.wait_for(1, WAIT).await;
        assert!(off.received().is_empty(), "disabled: nothing sent");

        // Re-enabled: it resumes where it stopped.
        let body = app.gql("mutation($id: ID!) { updateWebhookSubscription(id: $id, enabled: true) {
            enabled disabledReason } }", json!({ "id": off_id })).await;
        assert_eq!(body["data"]["updateWebhookSubscription"]["disabledReason"], Value::Null, "{body}");
        let resumed = off.wait_for(1, WAIT).await;
        assert_eq!(resumed[0].header("webhook-id"), delivered[0].header("webhook-id"));
    }

    async fn urls_inside_the_network_are_refused(app, |_| {}) {
        for url in [
            "http://127.0.0.1:9/hooks",
            "http://localhost/hooks",
            "http://10.0.0.7/hooks",
            "http://192.168.1.1/hooks",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hooks",
            "http://[::ffff:127.0.0.1]/hooks",
            "ftp://example.com/hooks",
            "https://user:pass@example.com/hooks",
            "not a url",
        ] {
            let body = app.gql(CREATE, json!({ "url": url, "types": ["PAYMENT_CONFIRMED"] })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{url}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "url", "{body}");
        }
        let body = app.gql(CREATE, json!({ "url": "https://hooks.example.com/x", "types": ["PING"] })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        let body = app.gql(CREATE, json!({ "url": "https://hooks.example.com/x", "types": [] })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

        // PRODUCTION needs https.
        let (_, production) = app.regulated_client().await;
        let (_, body) = app.gql_as(production.expose(), CREATE,
            json!({ "url": "http://hooks.example.com/x", "types": ["PAYMENT_CONFIRMED"] })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("https"), "{body}");
    }
}

fn private_allowed(settings: &mut layer2::server::ServerSettings) {
    settings.webhooks.allow_private_addresses = true;
}

both_backends_configured! {
    async fn a_client_has_at_most_twenty_subscriptions(app, private_allowed) {
        let receiver = Receiver::start(&[], Answer::Status(200)).await;
        for _ in 0..20 {
            subscribe(&app, &receiver.url, &["PAYMENT_CONFIRMED"]).await;
        }
        let body = app.gql(CREATE, json!({ "url": receiver.url, "types": ["PAYMENT_CONFIRMED"] })).await;
        assert_eq!(error_codes(&body), ["WEBHOOK_SUBSCRIPTION_LIMIT_REACHED"], "{body}");
        let body = app.gql("{ webhookSubscriptions { id } }", json!({})).await;
        assert_eq!(body["data"]["webhookSubscriptions"].as_array().map(Vec::len), Some(20));
    }
}

clocked_backends! {
    async fn deliveries_failing_for_the_whole_window_disable_the_subscription(app, clock, |s| {
        s.webhooks.allow_private_addresses = true;
        s.webhooks.timeout = Duration::from_millis(1500);
        s.webhooks.retry.delays = vec![Duration::from_secs(60)];
        s.webhook_poll_interval = Duration::from_millis(100);
    }) {
        let receiver = Receiver::start(&[], Answer::Status(500)).await;
        let (id, _) = subscribe(&app, &receiver.url, &["PAYMENT_CONFIRMED"]).await;
        let body = app.gql(DEPOSIT_MUTATION, json!({ "account": INDIVIDUAL_ACCOUNT,
            "amount": "2.00", "key": "wh-window-1" })).await;
        assert!(body["errors"].is_null(), "{body}");
        receiver.wait_for(1, WAIT).await;
        attempts_recorded(&app, &id, 1).await;
        assert!(subscription(&app, &id).await["enabled"].as_bool().unwrap_or(false));

        // Two days on: tried again, still within the window.
        clock.advance(chrono::Duration::days(2));
        receiver.wait_for(2, WAIT).await;
        attempts_recorded(&app, &id, 2).await;
        // Past three days: the next failure gives up and disables it.
        clock.advance(chrono::Duration::days(1) + chrono::Duration::minutes(2));
        receiver.wait_for(3, WAIT).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        let seen = loop {
            let seen = subscription(&app, &id).await;
            if seen["enabled"] == false {
                break seen;
            }
            assert!(tokio::time::Instant::now() < deadline, "disabled: {seen}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let reason = seen["disabledReason"].as_str().unwrap_or_default();
        assert!(reason.contains("3 days") && reason.contains("HTTP 500"), "{reason}");
        let event = last_event(&app, "WEBHOOK_SUBSCRIPTION_DISABLED").await;
        assert_eq!(event["subjectId"], id.as_str());
        assert_eq!(event["actor"], "SYSTEM");
        assert_eq!(event["changes"], json!([{ "field": "enabled", "from": "true", "to": "false" }]));

        // Re-enabled, the given-up message is due again.
        receiver.answer_from_now(Answer::Status(200));
        let body = app.gql("mutation($id: ID!) { updateWebhookSubscription(id: $id, enabled: true) { enabled } }",
            json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let got = receiver.wait_for(4, WAIT).await;
        assert_eq!(got[3].header("webhook-id"), got[0].header("webhook-id"));
    }
}

/// The binary, killed and reaped when dropped.
struct Binary {
    child: std::process::Child,
    base: String,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary on `db`, delivering webhooks fast to private addresses.
fn start_binary(db: &crate::harness::TestDb) -> Binary {
    use std::io::{BufRead, BufReader};
    let mut child = crate::startup::layer2_command(db)
        .args([
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--allow-private-webhook-urls",
            "--webhook-timeout",
            "1s",
            "--webhook-retry-schedule",
            "100ms",
            "--webhook-poll",
            "100ms",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("layer2 starts");
    let stdout = child.stdout.take();
    let mut binary = Binary {
        child,
        base: String::new(),
    };
    let stdout = stdout.expect("stdout");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the listening line");
        if let Some(base) = line.strip_prefix("Layer2 onboarding API is listening on ") {
            // Keep draining its output.
            std::thread::spawn(move || while lines_rx.recv().is_ok() {});
            binary.base = base.trim().to_owned();
            return binary;
        }
    }
}

async fn gql_at(base: &str, key: &str, query: &str, variables: Value) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert!(body["errors"].is_null(), "{body}");
    body
}

async fn killed_mid_delivery_delivers_everything_after_restart(backend: crate::harness::Backend) {
    let Some(db) = crate::harness::TestDb::fresh(backend).await else {
        return;
    };
    let database = layer2::db::Database::open(&db.settings())
        .await
        .expect("opens");
    let sandbox = layer2::seed::ensure_sandbox(&database)
        .await
        .expect("seed")
        .expect("seeded");
    let key = sandbox.key.expose().to_owned();
    database.close();

    // The receiver holds every request open: deliveries are in flight when the server dies.
    let receiver = Receiver::start(&[], Answer::Stall).await;
    let mut first = start_binary(&db);
    let base = first.base.clone();
    gql_at(
        &base,
        &key,
        CREATE,
        json!({ "url": receiver.url, "types": ["PAYMENT_CONFIRMED"] }),
    )
    .await;
    for n in 0..5 {
        gql_at(
            &base,
            &key,
            DEPOSIT_MUTATION,
            json!({ "account": INDIVIDUAL_ACCOUNT,
            "amount": "1.00", "key": format!("wh-kill-{n}") }),
        )
        .await;
    }
    receiver.wait_for(1, WAIT).await;
    // Child::kill is SIGKILL: no shutdown, no chance to finish or release anything.
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    receiver.answer_from_now(Answer::Status(200));
    let second = start_binary(&db);
    let base = second.base.clone();
    let body = gql_at(
        &base,
        &key,
        "{ events(first: 100, filter: { types: [PAYMENT_CONFIRMED] }) { nodes { id } } }",
        json!({}),
    )
    .await;
    let wanted: Vec<String> = body["data"]["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(wanted.len(), 5);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let got: Vec<String> = receiver
            .received()
            .iter()
            .map(|r| r.header("webhook-id").to_owned())
            .collect();
        if wanted.iter().all(|id| got.contains(id)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "missing after restart: want {wanted:?}, got {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_delivery_delivers_everything_after_restart_sqlite() {
    killed_mid_delivery_delivers_everything_after_restart(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_delivery_delivers_everything_after_restart_postgres() {
    killed_mid_delivery_delivers_everything_after_restart(crate::harness::Backend::Postgres).await;
}
