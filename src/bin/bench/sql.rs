//! Hand-written SQL for the yardsticks: one statement text for both backends (`$n`
//! parameters, each may appear more than once), run as the server runs its own hand-written
//! statements ([`RawQuery`]: prepared once per connection when the text does not vary).

use diesel::sql_types::BigInt;
use diesel::{QueryResult, QueryableByName};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use layer2::db::Conn;
use layer2::db::raw::{Bind, RawQuery};
use layer2::db::types::Timestamp;

/// One bound parameter.
#[derive(Debug, Clone)]
pub enum Arg {
    Id(uuid::Uuid),
    /// Several keys: one array on PostgreSQL (`= ANY($n)`).
    Ids(Vec<uuid::Uuid>),
    Text(String),
    Int(i64),
    At(Timestamp),
}

impl Arg {
    fn bind(&self) -> Bind {
        match self {
            Arg::Id(id) => Bind::uuid(*id),
            Arg::Ids(ids) => Bind::Uuids(
                ids.iter()
                    .map(|id| layer2::db::raw::BoundUuid(*id))
                    .collect(),
            ),
            Arg::Text(text) => Bind::Text(text.clone()),
            Arg::Int(n) => Bind::BigInt(*n),
            Arg::At(at) => Bind::Timestamp(*at),
        }
    }
}

/// `$n` placeholders as `?`, with the argument of each occurrence in order.
fn query(sql: &str, args: &[Arg], reusable: bool) -> QueryResult<RawQuery> {
    let mut text = String::with_capacity(sql.len());
    let mut binds = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some((_, ch)) = chars.next() {
        if ch != '$' {
            text.push(ch);
            continue;
        }
        let mut digits = String::new();
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let arg = digits
            .parse::<usize>()
            .ok()
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(format!("no argument ${digits}").into())
            })?;
        text.push('?');
        binds.push(arg.bind());
    }
    Ok(match reusable {
        true => RawQuery::reusable(text, binds),
        false => RawQuery::one_off(text, binds),
    })
}

/// Runs a statement whose text is fixed; the number of rows it changed.
pub async fn execute(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> QueryResult<usize> {
    let query = query(sql, args, true)?;
    match conn {
        Conn::Pg(c) => query.execute(&mut **c).await,
        Conn::Sqlite(c) => query.execute(&mut **c).await,
    }
}

/// Runs a query whose text is fixed, and decodes its rows by column name.
pub async fn load<T>(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + Send + 'static,
{
    load_query(conn, query(sql, args, true)?).await
}

/// [`load`] for a text that varies with the arguments (an `IN` list): prepared each time.
pub async fn load_one_off<T>(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + Send + 'static,
{
    load_query(conn, query(sql, args, false)?).await
}

async fn load_query<T>(conn: &mut Conn<'_>, query: RawQuery) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + Send + 'static,
{
    match conn {
        Conn::Pg(c) => query.load(&mut **c).await,
        Conn::Sqlite(c) => query.load(&mut **c).await,
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
