//! A stalled database, over HTTP against the real server: lock waits and deadlines answer
//! UNAVAILABLE (retryable) in bounded time, a client that gives up stops its request's work,
//! and readiness fails while the pool is saturated.

use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use layer2::db::{Conn, DbConn};
use layer2::graphql::limits::throttle::{Allowance, Allowances};
use serde_json::{Value, json};

use crate::harness::{TestApp, error_codes};

const UPDATE: &str = r#"mutation { updateCustomer(customerId: "sandbox-individual-1",
    updatedBy: "ops@test", reason: "stall test", input: { individual: { occupation: "Pilot" } })
    { customer { version } } }"#;

/// Takes the customers table's lock from outside the server until the guard is released:
/// an exclusive transaction on SQLite, `LOCK TABLE` on PostgreSQL.
async fn lock_customers(app: &TestApp) -> DbConn {
    let mut pooled = app.database.conn().await.expect("connection");
    match pooled.conn() {
        Conn::Pg(c) => c
            .batch_execute("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock"),
        Conn::Sqlite(c) => c.batch_execute("BEGIN EXCLUSIVE").await.expect("lock"),
    }
    pooled
}

async fn release(mut pooled: DbConn) {
    match pooled.conn() {
        Conn::Pg(c) => c.batch_execute("ROLLBACK").await.expect("unlock"),
        Conn::Sqlite(c) => c.batch_execute("ROLLBACK").await.expect("unlock"),
    }
}

async fn post(app: &TestApp, key: &str, query: &str) -> reqwest::Response {
    app.http()
        .post(app.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent")
}

crate::harness::both_backends_configured! {
    async fn a_locked_table_answers_unavailable_and_other_tenants_go_on(app, |s| {
        s.request_timeout = Duration::from_secs(4);
    }) {
        let other = app.another_client().await;
        let lock = lock_customers(&app).await;
        let response = post(&app, app.key(), UPDATE).await;
        // PostgreSQL gives up on the lock (a typed error in a 200); SQLite's writer queue
        // outlasts the request, which ends at its deadline (503).
        let expected = match app.database.backend() {
            layer2::db::Backend::Postgres => 200,
            layer2::db::Backend::Sqlite => 503,
        };
        assert_eq!(response.status(), expected);
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_codes(&body), ["UNAVAILABLE"], "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("retry"), "{message}");
        let response = post(&app, other.key.expose(), "{ viewer { id } }").await;
        assert_eq!(response.status(), 200);
        release(lock).await;
        let body: Value = post(&app, app.key(), UPDATE).await.json().await.expect("json");
        assert!(body["errors"].is_null(), "{body}");
    }

    async fn the_request_deadline_answers_503_before_the_lock_wait_ends(app, |s| {
        s.request_timeout = Duration::from_millis(500);
    }) {
        let lock = lock_customers(&app).await;
        let started = Instant::now();
        let response = post(&app, app.key(), UPDATE).await;
        let waited = started.elapsed();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_codes(&body), ["UNAVAILABLE"], "{body}");
        // The lock wait alone would take a quarter of the 10 s statement timeout.
        assert!(waited < Duration::from_millis(2_400), "{waited:?}");
        release(lock).await;
        let body: Value = post(&app, app.key(), UPDATE).await.json().await.expect("json");
        assert!(body["errors"].is_null(), "the pool is healthy after the deadline: {body}");
    }

    async fn a_client_that_gives_up_stops_its_request(app, |s| {
        s.allowances = Allowances {
            sandbox: Allowance { concurrent_requests: 1, ..Allowance::generous() },
            production: Allowance::generous(),
        };
    }) {
        let lock = lock_customers(&app).await;
        let started = Instant::now();
        let gave_up = app
            .http()
            .post(app.url("/graphql"))
            .bearer_auth(app.key())
            .timeout(Duration::from_millis(300))
            .json(&json!({ "query": UPDATE }))
            .send()
            .await;
        assert!(gave_up.is_err(), "the client gave up first");
        // The key's only place is free again long before the lock wait (2.5 s on PostgreSQL,
        // the 10 s deadline on SQLite) would end: the request stopped when its client left.
        loop {
            let status = post(&app, app.key(), "{ viewer { id } }").await.status();
            if status == 200 {
                break;
            }
            assert_eq!(status, 429);
            assert!(
                started.elapsed() < Duration::from_millis(2_400),
                "the abandoned request kept running"
            );
        }
        release(lock).await;
    }

    async fn readiness_fails_while_the_pool_is_saturated(app, |_| {}) {
        // Queries read on the read pool: hold all of it.
        let mut held = Vec::new();
        while held.len() < 8 {
            held.push(app.database.read().await.expect("connection"));
        }
        let waiting = tokio::spawn({
            let http = app.http().clone();
            let url = app.url("/graphql");
            let key = app.key().to_owned();
            async move {
                http.post(url)
                    .bearer_auth(key)
                    .json(&json!({ "query": "{ viewer { id } }" }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        });
        let deadline = Instant::now() + Duration::from_secs(4);
        loop {
            let ready = app.http().get(app.url("/readyz")).send().await.expect("readyz");
            if ready.status() == 503 {
                let body: Value = ready.json().await.expect("json");
                assert_eq!(body["status"], "saturated");
                break;
            }
            assert!(Instant::now() < deadline, "readiness never failed");
        }
        drop(held);
        assert_eq!(waiting.await.expect("joined").expect("answered"), 200);
        let ready = app.http().get(app.url("/readyz")).send().await.expect("readyz");
        assert_eq!(ready.status(), 200);
    }
}
