//! "The first N rows of each parent" in one statement, for the loaders' per-parent pages: a
//! `ROW_NUMBER() OVER (PARTITION BY parent …)` subquery, which both databases support and
//! diesel's query builder cannot express (it has no derived tables), so the SQL is written
//! here, with every value bound.

use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;

use super::StoreError;
use crate::db::types::{PortableTimestamp, PortableUuid, Timestamp, uuid_id};
use crate::db::{Conn, dispatch};

uuid_id!(
    /// Any table's key, as bound into a hand-written statement.
    BoundUuid
);

/// A value bound into the statement.
#[derive(Debug, Clone)]
pub enum Bind {
    Uuid(BoundUuid),
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

/// A filter on the inner query: SQL with `?` for each of its binds, in order. The SQL is a
/// constant (`&'static str`), so no value can ever be spliced into it.
#[derive(Debug, Clone)]
pub struct Condition {
    pub sql: &'static str,
    pub binds: Vec<Bind>,
}

impl Condition {
    pub fn new(sql: &'static str, binds: Vec<Bind>) -> Self {
        Self { sql, binds }
    }

    /// The tenant filter of a scope (none for the operator's).
    pub fn scope(scope: &crate::domain::tenancy::Scope) -> Option<Self> {
        scope
            .client_id()
            .map(|client| Self::new("client_id = ?", vec![Bind::uuid(client.0)]))
    }

    /// The rows after a keyset position in (created_at, id) order.
    pub fn after_created(after: Option<(Timestamp, uuid::Uuid)>) -> Option<Self> {
        after.map(|(at, key)| {
            Self::new(
                "created_at > ? OR (created_at = ? AND id > ?)",
                vec![Bind::Timestamp(at), Bind::Timestamp(at), Bind::uuid(key)],
            )
        })
    }
}

/// The first `limit` rows of `table` for each of `parents`, in `order` within each parent.
pub struct TopPerParent<'a> {
    /// The table (a constant of ours, never input).
    pub table: &'static str,
    /// The columns to select, comma-separated, named as the row type's fields.
    pub columns: &'static str,
    /// The column naming each row's parent.
    pub parent_column: &'static str,
    pub parents: &'a [uuid::Uuid],
    /// `ORDER BY` within a parent, e.g. `transaction_date DESC, id DESC`.
    pub order: &'static str,
    pub conditions: Vec<Condition>,
    pub limit: i64,
}

impl TopPerParent<'_> {
    /// The SQL with `?` placeholders, and its binds in order.
    fn sql(&self) -> (String, Vec<Bind>) {
        let mut binds: Vec<Bind> = self
            .parents
            .iter()
            .map(|p| Bind::Uuid(BoundUuid(*p)))
            .collect();
        let placeholders = vec!["?"; self.parents.len()].join(", ");
        let mut filters = format!("{} IN ({placeholders})", self.parent_column);
        for condition in &self.conditions {
            filters.push_str(" AND (");
            filters.push_str(condition.sql);
            filters.push(')');
            binds.extend(condition.binds.iter().cloned());
        }
        binds.push(Bind::BigInt(self.limit));
        let sql = format!(
            "SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY {parent} \
             ORDER BY {order}) AS row_rank FROM {table} WHERE {filters}) ranked \
             WHERE row_rank <= ? ORDER BY {parent}, row_rank",
            columns = self.columns,
            parent = self.parent_column,
            order = self.order,
            table = self.table,
        );
        (sql, binds)
    }

    /// Runs the statement; rows come grouped by parent, each group in `order`.
    pub async fn fetch<Row>(&self, conn: &mut Conn<'_>) -> Result<Vec<Row>, StoreError>
    where
        Row: diesel::QueryableByName<diesel::pg::Pg>
            + diesel::QueryableByName<diesel::sqlite::Sqlite>
            + Send
            + 'static,
    {
        if self.parents.is_empty() {
            return Ok(Vec::new());
        }
        let (sql, binds) = self.sql();
        let numbered = number_placeholders(&sql, matches!(conn, Conn::Pg(_)));
        let rows = dispatch!(conn, c => {
            let mut query = diesel::sql_query(numbered).into_boxed();
            for value in binds {
                query = bind(query, value);
            }
            query.load::<Row>(c).await?
        });
        Ok(rows)
    }
}

/// PostgreSQL numbers its placeholders (`$1`, `$2`…); SQLite takes `?`.
fn number_placeholders(sql: &str, numbered: bool) -> String {
    if !numbered {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

fn bind<'a, DB>(
    query: BoxedSqlQuery<'a, DB, diesel::query_builder::SqlQuery>,
    value: Bind,
) -> BoxedSqlQuery<'a, DB, diesel::query_builder::SqlQuery>
where
    DB: diesel::backend::Backend,
    BoundUuid: diesel::serialize::ToSql<PortableUuid, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
    Timestamp: diesel::serialize::ToSql<PortableTimestamp, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    DB: diesel::sql_types::HasSqlType<PortableUuid>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<PortableTimestamp>
        + diesel::sql_types::HasSqlType<BigInt>,
{
    match value {
        Bind::Uuid(v) => query.bind::<PortableUuid, _>(v),
        Bind::Text(v) => query.bind::<Text, _>(v),
        Bind::Timestamp(v) => query.bind::<PortableTimestamp, _>(v),
        Bind::BigInt(v) => query.bind::<BigInt, _>(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        assert_eq!(
            number_placeholders("a = ? AND b IN (?, ?)", true),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(number_placeholders("a = ?", false), "a = ?");
    }

    #[test]
    fn binds_follow_the_placeholders_in_order() {
        let parents = [uuid::Uuid::nil(), uuid::Uuid::max()];
        let query = TopPerParent {
            table: "t",
            columns: "id, parent_id",
            parent_column: "parent_id",
            parents: &parents,
            order: "id",
            conditions: vec![Condition::new("status = ?", vec![Bind::Text("A".into())])],
            limit: 6,
        };
        let (sql, binds) = query.sql();
        assert_eq!(sql.matches('?').count(), binds.len());
        assert!(matches!(binds.last(), Some(Bind::BigInt(6))));
        assert!(sql.contains("ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY id)"));
    }
}
