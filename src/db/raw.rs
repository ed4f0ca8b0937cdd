//! Hand-written statements for what diesel's query builder cannot express (derived tables,
//! window functions): SQL text of ours with a `?` where each value goes, and the values,
//! always bound. A statement whose text does not vary with its values is prepared once per
//! connection and reused (diesel's statement cache), as the builder's queries are; diesel's
//! own `sql_query` is never cached, which costs PostgreSQL a parse and a plan, and the server
//! a round trip, on every call.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Text, Untyped};
use diesel::sqlite::Sqlite;

use super::types::{PortableTimestamp, PortableUuid, Timestamp, uuid_id};

uuid_id!(
    /// Any table's key, as bound into a hand-written statement.
    BoundUuid
);

/// A value bound into a statement.
#[derive(Debug, Clone)]
pub enum Bind {
    Uuid(BoundUuid),
    /// A list of keys as one PostgreSQL array (for `= ANY(?)`).
    Uuids(Vec<BoundUuid>),
    Text(String),
    Timestamp(Timestamp),
    BigInt(i64),
}

impl Bind {
    /// A key of any table.
    pub fn uuid(value: uuid::Uuid) -> Self {
        Self::Uuid(BoundUuid(value))
    }
}

/// A statement: its text with `?` for each bind (the placeholder is written per backend),
/// and the binds in order.
#[derive(Debug, Clone)]
pub struct RawQuery {
    sql: String,
    binds: Vec<Bind>,
    /// False when the text varies with the values (an `IN (?, ?, …)` list), so that the
    /// statement cache does not fill with one statement per list length.
    reusable: bool,
}

impl RawQuery {
    /// A statement whose text is the same whatever its values: prepared once per connection.
    pub fn reusable(sql: impl Into<String>, binds: Vec<Bind>) -> Self {
        Self {
            sql: sql.into(),
            binds,
            reusable: true,
        }
    }

    /// A statement whose text varies with its values: prepared each time it runs.
    pub fn one_off(sql: impl Into<String>, binds: Vec<Bind>) -> Self {
        Self {
            sql: sql.into(),
            binds,
            reusable: false,
        }
    }

    /// The SQL with `?` placeholders, as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The binds, in order.
    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }

    /// Writes the text piece by piece, each `?` as the backend's placeholder with its bind.
    fn walk<'b, DB>(
        &'b self,
        mut out: AstPass<'_, 'b, DB>,
        bind: impl Fn(&mut AstPass<'_, 'b, DB>, &'b Bind) -> QueryResult<()>,
    ) -> QueryResult<()>
    where
        DB: Backend,
    {
        if !self.reusable {
            out.unsafe_to_cache_prepared();
        }
        let mut binds = self.binds.iter();
        let mut pieces = self.sql.split('?');
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        for piece in pieces {
            let value = binds.next().ok_or_else(|| {
                diesel::result::Error::QueryBuilderError("fewer binds than placeholders".into())
            })?;
            bind(&mut out, value)?;
            out.push_sql(piece);
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                "more binds than placeholders".into(),
            ));
        }
        Ok(())
    }
}

impl QueryFragment<Pg> for RawQuery {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(out, |out, value| match value {
            Bind::Uuid(v) => out.push_bind_param::<PortableUuid, _>(v),
            Bind::Uuids(v) => out.push_bind_param::<Array<PortableUuid>, _>(v),
            Bind::Text(v) => out.push_bind_param::<Text, _>(v),
            Bind::Timestamp(v) => out.push_bind_param::<PortableTimestamp, _>(v),
            Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v),
        })
    }
}

impl QueryFragment<Sqlite> for RawQuery {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.walk(out, |out, value| match value {
            Bind::Uuid(v) => out.push_bind_param::<PortableUuid, _>(v),
            Bind::Uuids(_) => Err(diesel::result::Error::QueryBuilderError(
                "SQLite has no arrays: bind each key".into(),
            )),
            Bind::Text(v) => out.push_bind_param::<Text, _>(v),
            Bind::Timestamp(v) => out.push_bind_param::<PortableTimestamp, _>(v),
            Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v),
        })
    }
}

impl QueryId for RawQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for RawQuery {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::query_builder::QueryBuilder;

    fn sql_of<DB>(query: &RawQuery, backend: DB) -> QueryResult<String>
    where
        DB: Backend,
        RawQuery: QueryFragment<DB>,
        DB::QueryBuilder: Default,
    {
        let mut builder = DB::QueryBuilder::default();
        query.to_sql(&mut builder, &backend)?;
        Ok(builder.finish())
    }

    #[test]
    fn placeholders_are_written_per_backend() {
        let query = RawQuery::reusable(
            "a = ? AND b = ANY(?)",
            vec![Bind::BigInt(1), Bind::Uuids(vec![])],
        );
        assert_eq!(sql_of(&query, Pg).unwrap(), "a = $1 AND b = ANY($2)");
        let query = RawQuery::one_off(
            "a = ? AND b IN (?, ?)",
            vec![Bind::BigInt(1), Bind::BigInt(2), Bind::BigInt(3)],
        );
        assert_eq!(sql_of(&query, Sqlite).unwrap(), "a = ? AND b IN (?, ?)");
    }

    #[test]
    fn binds_must_match_the_placeholders() {
        let fewer = RawQuery::reusable("a = ? AND b = ?", vec![Bind::BigInt(1)]);
        assert!(sql_of(&fewer, Pg).is_err());
        let more = RawQuery::reusable("a = ?", vec![Bind::BigInt(1), Bind::BigInt(2)]);
        assert!(sql_of(&more, Sqlite).is_err());
    }
}

/// `SELECT COUNT(*) FROM (<query>)`: how many rows a query returns, one row to read. Given
/// a query with a `LIMIT`, a count that stops at a bound however large the table.
#[derive(Debug, Clone, Copy)]
pub struct CountOf<Q>(pub Q);

impl<Q, DB> QueryFragment<DB> for CountOf<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") counted");
        Ok(())
    }
}

impl<Q> QueryId for CountOf<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for CountOf<Q> {
    type SqlType = BigInt;
}
