//! Liveness and readiness: /healthz never touches the database; /readyz follows the database
//! and turns 503 as soon as shutdown begins.

use std::time::Duration;

use crate::harness::{Backend, TestApp, both_backends};

async fn status(app: &TestApp, path: &str) -> u16 {
    app.http()
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

both_backends! {
    async fn healthz_and_readyz_answer_ok(app) {
        assert_eq!(status(&app, "/healthz").await, 200);
        assert_eq!(status(&app, "/readyz").await, 200);
        let body: serde_json::Value = app.http().get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(body["status"], "ready");
    }
}

async fn readiness_fails_first_on_shutdown(backend: Backend) {
    let Some(mut app) = TestApp::start_configured(backend, |settings| {
        settings.shutdown_grace = Duration::from_secs(2);
    })
    .await
    else {
        return;
    };
    let server = app.take_server();
    let shutdown = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Draining: not ready, but alive and still serving requests.
    assert_eq!(status(&app, "/readyz").await, 503);
    assert_eq!(status(&app, "/healthz").await, 200);
    let (code, _) = app
        .gql_as(app.key(), "{ viewer { id } }", serde_json::json!({}))
        .await;
    assert_eq!(code, 200);
    shutdown.await.unwrap().unwrap();
    assert!(
        app.http().get(app.url("/healthz")).send().await.is_err(),
        "listener closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_first_on_shutdown_sqlite() {
    readiness_fails_first_on_shutdown(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_first_on_shutdown_postgres() {
    readiness_fails_first_on_shutdown(Backend::Postgres).await;
}

/// PostgreSQL can be taken away from a running server: refuse new connections to the test's
/// database and end the open ones, then allow them again. (An embedded SQLite file has no
/// such outage to simulate.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_down_and_back_postgres() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    assert_eq!(status(&app, "/readyz").await, 200);
    let name = app.db.pg_name.clone().expect("PostgreSQL database name");
    app.db
        .pg_admin(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await;
    assert_eq!(status(&app, "/readyz").await, 503);
    assert_eq!(
        status(&app, "/healthz").await,
        200,
        "liveness never touches the database"
    );
    let (code, body) = app
        .gql_as(app.key(), "{ viewer { id } }", serde_json::json!({}))
        .await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(crate::harness::error_codes(&body), ["UNAVAILABLE"]);

    app.db
        .pg_admin(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await;
    assert_eq!(status(&app, "/readyz").await, 200);
    let (code, _) = app
        .gql_as(app.key(), "{ viewer { id } }", serde_json::json!({}))
        .await;
    assert_eq!(code, 200);
}

/// PostgreSQL over TLS: with `sslmode=require` the server's certificate is verified, so the
/// connection works only when its CA is trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_is_verified() {
    use layer2::db::{Database, DatabaseUrl};
    let Some(db) = crate::harness::TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let Some(ca) = db.ca_file() else {
        eprintln!("SKIPPED: an external TEST_DATABASE_URL has no test CA");
        return;
    };
    let mut settings = db.settings();
    settings.url = DatabaseUrl::parse(&format!("{}?sslmode=require", db.url)).unwrap();
    settings.ca_file = Some(ca);
    let database = Database::open(&settings)
        .await
        .expect("TLS with the trusted CA");
    assert!(database.ping().await);

    settings.ca_file = None;
    let refused = Database::open(&settings)
        .await
        .err()
        .expect("an unknown CA is refused");
    assert!(
        refused.to_string().to_lowercase().contains("certificate"),
        "{refused}"
    );
}

/// Holds the database's write lock (SQLite) or the customers table (PostgreSQL) until dropped
/// or released, so that a write request stays in flight.
enum WriteBlocker {
    Sqlite(diesel::SqliteConnection),
    Postgres(Box<diesel_async::AsyncPgConnection>),
}

impl WriteBlocker {
    async fn hold(db: &crate::harness::TestDb) -> Self {
        use diesel::Connection;
        use diesel_async::{AsyncConnection, SimpleAsyncConnection};
        match &db.pg_name {
            None => {
                let path = db.url.trim_start_matches("sqlite://").to_owned();
                let mut conn = diesel::SqliteConnection::establish(&path).unwrap();
                diesel::connection::SimpleConnection::batch_execute(&mut conn, "BEGIN IMMEDIATE")
                    .unwrap();
                Self::Sqlite(conn)
            }
            Some(_) => {
                let url = format!("{}?sslmode=disable", db.url);
                let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                    .await
                    .unwrap();
                conn.batch_execute("BEGIN; LOCK TABLE customers IN EXCLUSIVE MODE")
                    .await
                    .unwrap();
                Self::Postgres(Box::new(conn))
            }
        }
    }

    async fn release(self) {
        use diesel_async::SimpleAsyncConnection;
        match self {
            Self::Sqlite(mut conn) => {
                diesel::connection::SimpleConnection::batch_execute(&mut conn, "ROLLBACK").unwrap()
            }
            Self::Postgres(mut conn) => conn.batch_execute("ROLLBACK").await.unwrap(),
        }
    }
}

/// Shutdown waits for requests already being served: a status change blocked on a lock is
/// still answered, and applied, after shutdown has begun.
async fn in_flight_requests_finish_on_shutdown(backend: Backend) {
    let Some(mut app) = TestApp::start_configured(backend, |settings| {
        settings.shutdown_timeout = Duration::from_secs(20);
    })
    .await
    else {
        return;
    };
    let blocker = WriteBlocker::hold(&app.db).await;
    let (url, key) = (app.url("/graphql"), app.key().to_owned());
    let in_flight = tokio::spawn(async move {
        let query =
            "mutation { changeCustomerStatus(customerId: \"sandbox-individual-1\", status: EDD,
            reason: \"review\", updatedBy: \"ops\") { customer { status } } }";
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(key)
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<serde_json::Value>().await.unwrap(),
        )
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shutdown = tokio::spawn(app.take_server().shutdown());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!in_flight.is_finished(), "the request is held by the lock");
    assert!(!shutdown.is_finished(), "shutdown waits for it");
    blocker.release().await;
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["changeCustomerStatus"]["customer"]["status"], "EDD",
        "{body}"
    );
    shutdown.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_on_shutdown_sqlite() {
    in_flight_requests_finish_on_shutdown(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_on_shutdown_postgres() {
    in_flight_requests_finish_on_shutdown(Backend::Postgres).await;
}
