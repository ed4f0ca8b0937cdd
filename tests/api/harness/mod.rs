//! The integration-test harness: a fresh database per test on SQLite (a temp file) or
//! PostgreSQL (a database in the shared throwaway cluster), the real server on a free port,
//! and helpers to speak GraphQL to it over HTTP.

pub mod postgres;

use std::net::SocketAddr;

use layer2::auth::Credential;
use layer2::db::{Database, DatabaseUrl, DbSettings};
use layer2::seed::{self, Sandbox};
use layer2::server::{self, RunningServer, ServerSettings};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A new, empty database of one backend, removed (SQLite) or abandoned to the throwaway
/// cluster (PostgreSQL) after the test.
pub struct TestDb {
    pub url: String,
    /// The PostgreSQL database name, for administrative SQL.
    pub pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database; `None` (after saying why, loudly) when PostgreSQL is not available
    /// here, which fails the test instead under `CI=true`.
    pub async fn fresh(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let created = match postgres::server() {
                    Ok(server) => server.create_database().await,
                    Err(why) => Err(why),
                };
                match created {
                    Ok((url, name)) => Some(Self {
                        url,
                        pg_name: Some(name),
                        _dir: None,
                    }),
                    Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                        panic!("PostgreSQL tests must run under CI=true, but: {why}")
                    }
                    Err(why) => {
                        eprintln!("SKIPPED (PostgreSQL unavailable): {why}");
                        None
                    }
                }
            }
        }
    }

    pub fn settings(&self) -> DbSettings {
        DbSettings {
            url: DatabaseUrl::parse(&self.url).expect("test URL parses"),
            pool_size: 8,
            acquire_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(10),
            ca_file: self.ca_file(),
        }
    }

    /// The CA to trust for this database's TLS, if it has one.
    pub fn ca_file(&self) -> Option<std::path::PathBuf> {
        self.pg_name.as_ref()?;
        postgres::server().ok()?.ca_file.clone()
    }

    /// Administrative SQL against the PostgreSQL server (not the test's database).
    pub async fn pg_admin(&self, sql: &str) {
        let server = postgres::server().expect("PostgreSQL server");
        server.admin(sql).await.expect("admin SQL");
    }
}

/// The real server on a free port over a fresh, seeded database.
pub struct TestApp {
    pub db: TestDb,
    pub database: Database,
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
    server: Option<RunningServer>,
    http: reqwest::Client,
}

impl TestApp {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_configured(backend, |_| {}).await
    }

    /// Starts with server settings adjusted by `configure`.
    pub async fn start_configured(
        backend: Backend,
        configure: impl FnOnce(&mut ServerSettings),
    ) -> Option<Self> {
        let db = TestDb::fresh(backend).await?;
        let database = Database::open(&db.settings())
            .await
            .expect("database opens");
        let sandbox = seed::ensure_sandbox(&database)
            .await
            .expect("seed")
            .expect("new database is seeded");
        let mut settings = ServerSettings::local("127.0.0.1:0".parse().expect("address"));
        settings.workers = 1;
        configure(&mut settings);
        let server = server::start(&settings, database.clone()).expect("server starts");
        Some(Self {
            db,
            database,
            addr: server.addr,
            sandbox,
            server: Some(server),
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn key(&self) -> &str {
        self.sandbox.key.expose()
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// POSTs a GraphQL request with `key` as the bearer token; returns status and body.
    pub async fn gql_as(&self, key: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/graphql"))
            .bearer_auth(key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs a GraphQL multipart request (one file, at `variables.file`) with `key`.
    pub async fn upload_as(
        &self,
        key: &str,
        query: &str,
        mut variables: Value,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let form = reqwest::multipart::Form::new()
            .text("operations", operations)
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
            );
        let response = self
            .http
            .post(self.url("/graphql"))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// A GraphQL request as the sandbox client; asserts HTTP 200.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql_as(self.key(), query, variables).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Another sandbox client (a second tenant) with its own key and customers.
    pub async fn another_client(&self) -> Sandbox {
        seed::create_sandbox(&self.database)
            .await
            .expect("second sandbox")
    }

    /// A new client and a key of it, made as the CLI makes them (through the operations).
    pub async fn client_with_key(
        &self,
        environment: layer2::domain::client::Environment,
        regulated: bool,
    ) -> (layer2::domain::ids::ClientId, Credential) {
        use layer2::ops::clients::{create_client, keys};
        let app = self.platform();
        let principal = layer2::domain::tenancy::Principal::system();
        let cx = app.cx(&principal);
        let name = if regulated {
            "Regulated Bank"
        } else {
            "Fintech"
        };
        let input = create_client::Input {
            name: name.into(),
            environment,
            regulated,
        };
        let client = create_client::run(&cx, input).await.expect("client");
        let key = keys::mint(&cx, Some(client.id), None).await.expect("key");
        (client.id, key)
    }

    /// A regulated PRODUCTION client (the only kind that may create customers directly):
    /// its id and key.
    pub async fn regulated_client(&self) -> (layer2::domain::ids::ClientId, Credential) {
        self.client_with_key(layer2::domain::client::Environment::Production, true)
            .await
    }

    /// A new operator key.
    pub async fn operator_key(&self) -> Credential {
        let app = self.platform();
        let principal = layer2::domain::tenancy::Principal::system();
        layer2::ops::clients::keys::mint(&app.cx(&principal), None, Some("test operator".into()))
            .await
            .expect("operator key stored")
    }

    /// What the CLI acts with: the database, real time, default settings.
    fn platform(&self) -> layer2::ops::App {
        layer2::ops::App {
            db: self.database.clone(),
            clock: layer2::clock::system(),
            settings: std::sync::Arc::new(layer2::ops::Settings::default()),
        }
    }

    /// Runs one SQL statement on the test's database (to set up what no API call makes);
    /// the rows it changed.
    pub async fn sql(&self, statement: &str) -> usize {
        use diesel_async::RunQueryDsl;
        use layer2::db::Conn;
        let mut pooled = self.database.conn().await.expect("connection");
        let changed = match pooled.conn() {
            Conn::Pg(c) => diesel::sql_query(statement).execute(c).await,
            Conn::Sqlite(c) => diesel::sql_query(statement).execute(c).await,
        };
        changed.expect("the statement runs")
    }

    /// The running server, to shut it down while the test goes on.
    pub fn take_server(&mut self) -> RunningServer {
        self.server.take().expect("server still running")
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// The `extensions.code` of each error in a GraphQL response body.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Declares each test once per backend: `mod name { fn sqlite(); fn postgres(); }`.
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::harness::TestApp::start($crate::harness::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($app) =
                        $crate::harness::TestApp::start($crate::harness::Backend::Postgres).await
                    else {
                        return;
                    };
                    $body
                }
            }
        )*
    };
}
pub(crate) use both_backends;

/// Declares each test once per backend, starting the server with settings adjusted by
/// `configure`: `mod name { fn sqlite(); fn postgres(); }`.
macro_rules! both_backends_configured {
    ($(async fn $name:ident($app:ident, $configure:expr) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::harness::TestApp::start_configured(
                        $crate::harness::Backend::Sqlite,
                        $configure,
                    )
                    .await
                    .expect("SQLite is always available");
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($app) = $crate::harness::TestApp::start_configured(
                        $crate::harness::Backend::Postgres,
                        $configure,
                    )
                    .await
                    else {
                        return;
                    };
                    $body
                }
            }
        )*
    };
}
pub(crate) use both_backends_configured;

/// Tests on a server whose clock stands still until the test moves it (`$clock`).
macro_rules! clocked_backends {
    ($(async fn $name:ident($app:ident, $clock:ident, $configure:expr) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use std::sync::Arc;
                #[allow(unused_imports)]
                use layer2::clock::{Clock as _, ManualClock};
                use layer2::server::ServerSettings;

                async fn start(backend: $crate::harness::Backend) -> Option<($crate::harness::TestApp, Arc<ManualClock>)> {
                    let clock = ManualClock::starting_now();
                    let shared = clock.clone();
                    let configure: fn(&mut ServerSettings) = $configure;
                    let app = $crate::harness::TestApp::start_configured(backend, move |s| {
                        s.clock = shared;
                        configure(s);
                    })
                    .await?;
                    Some((app, clock))
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let ($app, $clock) = start($crate::harness::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(($app, $clock)) = start($crate::harness::Backend::Postgres).await else {
                        return;
                    };
                    $body
                }
            }
        )*
    };
}
pub(crate) use clocked_backends;
