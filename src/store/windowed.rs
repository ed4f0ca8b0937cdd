//! "The first N rows of each parent" in one statement, for the loaders' per-parent pages: a
//! `ROW_NUMBER() OVER (PARTITION BY parent …)` subquery, which both databases support and
//! diesel's query builder cannot express (it has no derived tables), so the SQL is written
//! here, with every value bound.

use diesel_async::RunQueryDsl;

use super::StoreError;
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};

pub use crate::db::raw::Bind;
use crate::db::raw::{BoundUuid, RawQuery};

/// How a table's rows name their customer, for a scope limited to an access token's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A `customer_id` column.
    Customer,
    /// An `account_id` column.
    Account,
}

/// The keys of the customers an access token is limited to, as SQL with its one bind (the
/// token); the statement's client filter keeps another client's customer of the same
/// customerId out.
macro_rules! token_customers {
    () => {
        "SELECT c.id FROM customers c WHERE c.external_id IN \
         (SELECT t.customer_external_id FROM access_token_customers t WHERE t.token_id = ?)"
    };
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

    /// The tenant filter of a scope (none for the operator's), and for a scope limited to an
    /// access token's customers, the filter to their rows through the table's `link`.
    pub fn scope(scope: &crate::domain::tenancy::Scope, link: Link) -> Vec<Self> {
        let client = scope
            .client_id()
            .map(|client| Self::new("client_id = ?", vec![Bind::uuid(client.0)]));
        let token = scope.customers_of_token().map(|token| {
            let sql = match link {
                Link::Customer => concat!("customer_id IN (", token_customers!(), ")"),
                Link::Account => concat!(
                    "account_id IN (SELECT a.id FROM accounts a WHERE a.customer_id IN (",
                    token_customers!(),
                    "))"
                ),
            };
            Self::new(sql, vec![Bind::uuid(token.0)])
        });
        client.into_iter().chain(token).collect()
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
    /// The statement for a backend: on PostgreSQL the parents are one array (`= ANY(?)`), so
    /// the text is the same for any number of them and the statement is prepared once per
    /// connection; SQLite, which has no arrays, binds each parent (`IN (?, …)`).
    fn query(&self, arrays: bool) -> RawQuery {
        let (parents, mut binds) = if arrays {
            let keys = self.parents.iter().map(|p| BoundUuid(*p)).collect();
            (
                format!("{} = ANY(?)", self.parent_column),
                vec![Bind::Uuids(keys)],
            )
        } else {
            let placeholders = vec!["?"; self.parents.len()].join(", ");
            let keys = self.parents.iter().map(|p| Bind::Uuid(BoundUuid(*p)));
            (
                format!("{} IN ({placeholders})", self.parent_column),
                keys.collect(),
            )
        };
        let mut filters = parents;
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
        if arrays {
            RawQuery::reusable(sql, binds)
        } else {
            RawQuery::one_off(sql, binds)
        }
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
        let query = self.query(matches!(conn, Conn::Pg(_)));
        let rows = dispatch!(conn, c => query.load::<Row>(c).await?);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for arrays in [false, true] {
            let raw = query.query(arrays);
            assert_eq!(raw.sql().matches('?').count(), raw.binds().len());
            assert!(matches!(raw.binds().last(), Some(Bind::BigInt(6))));
            assert!(
                raw.sql()
                    .contains("ROW_NUMBER() OVER (PARTITION BY parent_id ORDER BY id)")
            );
        }
        assert!(query.query(true).sql().contains("parent_id = ANY(?)"));
        assert!(query.query(false).sql().contains("parent_id IN (?, ?)"));
    }
}
