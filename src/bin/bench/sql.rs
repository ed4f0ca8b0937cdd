//! Hand-written SQL for the yardsticks: one statement text for both backends (`$n`
//! parameters, which SQLite numbers by first appearance), bound from a list of arguments.

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, QueryableByName};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use layer2::db::Conn;
use layer2::db::types::{PortableTimestamp, Timestamp};

/// One bound parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    Id(uuid::Uuid),
    Text(String),
    Int(i64),
    At(Timestamp),
}

fn pg_query(sql: &str, args: &[Arg]) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    let mut query = diesel::sql_query(sql.to_owned()).into_boxed::<Pg>();
    for arg in args.iter().cloned() {
        query = match arg {
            Arg::Id(id) => query.bind::<diesel::sql_types::Uuid, _>(id),
            Arg::Text(text) => query.bind::<Text, _>(text),
            Arg::Int(n) => query.bind::<BigInt, _>(n),
            Arg::At(at) => query.bind::<PortableTimestamp, _>(at),
        };
    }
    query
}

fn sqlite_query(sql: &str, args: &[Arg]) -> BoxedSqlQuery<'static, Sqlite, SqlQuery> {
    let mut query = diesel::sql_query(sql.to_owned()).into_boxed::<Sqlite>();
    for arg in args.iter().cloned() {
        query = match arg {
            // The portable mapping: hyphenated text on SQLite.
            Arg::Id(id) => query.bind::<Text, _>(id.hyphenated().to_string()),
            Arg::Text(text) => query.bind::<Text, _>(text),
            Arg::Int(n) => query.bind::<BigInt, _>(n),
            Arg::At(at) => query.bind::<PortableTimestamp, _>(at),
        };
    }
    query
}

/// Runs a statement; the number of rows it changed.
pub async fn execute(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> QueryResult<usize> {
    match conn {
        Conn::Pg(c) => pg_query(sql, args).execute(&mut **c).await,
        Conn::Sqlite(c) => sqlite_query(sql, args).execute(&mut **c).await,
    }
}

/// Runs a query and decodes its rows by column name.
pub async fn load<T>(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> QueryResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
{
    match conn {
        Conn::Pg(c) => pg_query(sql, args).load(&mut **c).await,
        Conn::Sqlite(c) => sqlite_query(sql, args).load(&mut **c).await,
    }
}

/// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite, as the server's units of work).
pub async fn begin(conn: &mut Conn<'_>) -> QueryResult<()> {
    match conn {
        Conn::Pg(c) => c.batch_execute("BEGIN").await,
        Conn::Sqlite(c) => c.batch_execute("BEGIN IMMEDIATE").await,
    }
}

/// Commits when `result` is Ok, rolls back otherwise; `result` either way.
pub async fn finish<T>(conn: &mut Conn<'_>, result: anyhow::Result<T>) -> anyhow::Result<T> {
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = match conn {
        Conn::Pg(c) => c.batch_execute(end).await,
        Conn::Sqlite(c) => c.batch_execute(end).await,
    };
    let value = result?;
    ended?;
    Ok(value)
}

/// `$from, $from+1, …` for `count` parameters: an `IN (…)` list.
pub fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `SELECT COUNT(*) AS n` row.
#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}
