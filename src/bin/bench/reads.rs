//! The read operations, each twice: as a GraphQL request to the server, and as the
//! hand-written statements that answer it, on one pooled connection of the bench's own.

use anyhow::{Context, ensure};
use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text};
use layer2::db::Database;
use layer2::db::types::{PortableTimestamp, PortableUuid, Timestamp};
use layer2::domain::ids::{ClientId, CustomerKey};
use layer2::store::accounts::Account;
use layer2::store::payors::Payor;
use serde_json::{Value, json};

use crate::data::{ACCOUNTS_EACH, PAYORS_EACH};
use crate::load::{Api, random};
use crate::sql::{self, Arg, Count};

/// A read the bench measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Lookup,
    FirstPage,
    DeepPage,
    Nested,
    TotalCount,
}

impl Read {
    pub const ALL: [Read; 5] = [
        Read::Lookup,
        Read::FirstPage,
        Read::DeepPage,
        Read::Nested,
        Read::TotalCount,
    ];

    /// Its name on the command line (`--only`).
    pub fn key(self) -> &'static str {
        match self {
            Read::Lookup => "lookup",
            Read::FirstPage => "first-page",
            Read::DeepPage => "deep-page",
            Read::Nested => "nested",
            Read::TotalCount => "total-count",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Read::Lookup => "customer(customerId)",
            Read::FirstPage => "customers(first: 20)",
            Read::DeepPage => "customers(first: 20, after: 90%)",
            Read::Nested => "customers(first: 50) nested",
            Read::TotalCount => "customers(first: 20) totalCount",
        }
    }
}

const LOOKUP: &str =
    "query($id: String!) { customer(customerId: $id) { customerId displayName status } }";
const PAGE: &str = "query($after: String) { customers(first: 20, after: $after) {
    nodes { customerId displayName status } } }";
const NESTED: &str = "{ customers(first: 50) { nodes { customerId
    accounts { nodes { accountId status currentBalance } }
    payors { nodes { payorId firstName lastName } } } } }";
const COUNTED: &str = "{ customers(first: 20) { totalCount totalCountIsExact
    nodes { customerId displayName status } } }";
/// The server's default bound on `totalCount`; the yardstick counts as far.
const COUNT_BOUND: i64 = 10_000;
const WALK: &str = "query($first: Int!, $after: String) { customers(first: $first, after: $after) {
    pageInfo { endCursor } } }";

/// The columns of a customer the requests show (the statements read the whole row).
#[derive(Debug, QueryableByName)]
struct CustomerRow {
    #[diesel(sql_type = PortableUuid)]
    id: CustomerKey,
    #[diesel(sql_type = Text)]
    external_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    registered_name: Option<String>,
    #[diesel(sql_type = PortableTimestamp)]
    created_at: Timestamp,
}

/// What the reads need: the listed client, its size, and where the deep page starts.
#[derive(Clone)]
pub struct Reads {
    pub api: Api,
    pub key: String,
    pub db: Database,
    pub client: ClientId,
    pub customers: usize,
    deep_cursor: String,
    deep_after: (Timestamp, CustomerKey),
}

impl Reads {
    /// Walks the list once to ~90% for the deep page's cursor, and checks that the server
    /// and the statements agree on where that is and on the nested page's shape.
    pub async fn new(
        api: Api,
        key: String,
        db: Database,
        client: ClientId,
        customers: usize,
    ) -> anyhow::Result<Self> {
        let depth = customers * 9 / 10;
        let mut cursor = Value::Null;
        let mut walked = 0;
        while walked < depth {
            let first = (depth - walked).min(100);
            let variables = json!({ "first": first, "after": cursor });
            let (mut data, _) = api.call(&key, WALK, variables).await?;
            cursor = data["customers"]["pageInfo"]["endCursor"].take();
            walked += first;
        }
        let deep_cursor = cursor.as_str().context("no cursor at 90%")?.to_owned();
        let mut pooled = db.read().await?;
        let sql = "SELECT * FROM customers WHERE client_id = $1 ORDER BY created_at, id \
                   LIMIT 1 OFFSET $2";
        let args = [Arg::Id(client.0), Arg::Int(depth as i64 - 1)];
        let last: Vec<CustomerRow> = sql::load(&mut pooled.conn(), sql, &args).await?;
        let last = last.first().context("no customer at 90%")?;
        let reads = Self {
            api,
            key,
            db,
            client,
            customers,
            deep_cursor,
            deep_after: (last.created_at, last.id),
        };
        reads.check().await?;
        Ok(reads)
    }

    async fn check(&self) -> anyhow::Result<()> {
        let (data, _) = self
            .api
            .call(&self.key, PAGE, json!({ "after": self.deep_cursor }))
            .await?;
        let mut pooled = self.db.read().await?;
        let rows = self.deep_page(&mut pooled.conn()).await?;
        let first = rows.first().context("an empty deep page")?;
        ensure!(
            data["customers"]["nodes"][0]["customerId"] == first.external_id.as_str(),
            "the deep page starts at {} over GraphQL but at {} in SQL",
            data["customers"]["nodes"][0],
            first.external_id
        );
        let (data, _) = self.api.call(&self.key, NESTED, json!({})).await?;
        let nodes = data["customers"]["nodes"].as_array().context("no nodes")?;
        let count = |field: &str| -> usize {
            nodes
                .iter()
                .map(|n| n[field]["nodes"].as_array().map_or(0, Vec::len))
                .sum()
        };
        let expected = nodes.len().min(50);
        ensure!(
            count("accounts") == expected * ACCOUNTS_EACH
                && count("payors") == expected * PAYORS_EACH,
            "the nested page has {} accounts and {} payors",
            count("accounts"),
            count("payors")
        );
        Ok(())
    }

    /// One request; the statements it ran, when the server says.
    pub async fn over_http(&self, read: Read, n: u64) -> anyhow::Result<Option<u64>> {
        let (data, statements) = match read {
            Read::Lookup => {
                let id = format!("synthetic-{:06}", random(n) % self.customers as u64);
                self.api
                    .call(&self.key, LOOKUP, json!({ "id": id }))
                    .await?
            }
            Read::FirstPage => self.api.call(&self.key, PAGE, json!({})).await?,
            Read::DeepPage => {
                let after = json!({ "after": self.deep_cursor });
                self.api.call(&self.key, PAGE, after).await?
            }
            Read::Nested => self.api.call(&self.key, NESTED, json!({})).await?,
            Read::TotalCount => self.api.call(&self.key, COUNTED, json!({})).await?,
        };
        ensure!(!data.is_null(), "no data");
        Ok(statements)
    }

    /// The same read as hand-written statements, back to back on one connection.
    pub async fn in_sql(&self, read: Read, n: u64) -> anyhow::Result<Option<u64>> {
        let mut pooled = self.db.read().await?;
        let conn = &mut pooled.conn();
        let client = Arg::Id(self.client.0);
        let rows: Vec<CustomerRow> = match read {
            Read::Lookup => {
                let id = format!("synthetic-{:06}", random(n) % self.customers as u64);
                let sql = "SELECT * FROM customers WHERE client_id = $1 AND external_id = $2";
                sql::load(conn, sql, &[client, Arg::Text(id)]).await?
            }
            Read::FirstPage => self.first_page(conn, 21).await?,
            Read::DeepPage => self.deep_page(conn).await?,
            Read::Nested => {
                let page = self.first_page(conn, 51).await?;
                let keys: Vec<CustomerKey> = page.iter().take(50).map(|c| c.id).collect();
                let accounts: Vec<Account> =
                    of_customers(conn, "accounts", self.client, &keys).await?;
                let payors: Vec<Payor> = of_customers(conn, "payors", self.client, &keys).await?;
                ensure!(
                    accounts.len() == keys.len() * ACCOUNTS_EACH,
                    "accounts missing"
                );
                ensure!(payors.len() == keys.len() * PAYORS_EACH, "payors missing");
                page
            }
            Read::TotalCount => {
                let page = self.first_page(conn, 21).await?;
                let sql = "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customers \
                           WHERE client_id = $1 LIMIT $2) bounded";
                let args = [client, Arg::Int(COUNT_BOUND + 1)];
                let count: Vec<Count> = sql::load(conn, sql, &args).await?;
                ensure!(
                    count.first().map(|c| c.n.min(COUNT_BOUND))
                        == Some((self.customers as i64).min(COUNT_BOUND)),
                    "miscounted"
                );
                page
            }
        };
        ensure!(
            rows.iter()
                .all(|r| !r.status.is_empty()
                    && (r.first_name.is_some() || r.registered_name.is_some())),
            "a customer without a name"
        );
        Ok(None)
    }

    async fn first_page(
        &self,
        conn: &mut layer2::db::Conn<'_>,
        limit: i64,
    ) -> anyhow::Result<Vec<CustomerRow>> {
        let sql = "SELECT * FROM customers WHERE client_id = $1 ORDER BY created_at, id LIMIT $2";
        let args = [Arg::Id(self.client.0), Arg::Int(limit)];
        Ok(sql::load(conn, sql, &args).await?)
    }

    async fn deep_page(&self, conn: &mut layer2::db::Conn<'_>) -> anyhow::Result<Vec<CustomerRow>> {
        let sql = "SELECT * FROM customers WHERE client_id = $1 AND created_at >= $2 \
                   AND (created_at > $2 OR id > $3) ORDER BY created_at, id LIMIT 21";
        let (at, key) = self.deep_after;
        let args = [Arg::Id(self.client.0), Arg::At(at), Arg::Id(key.0)];
        Ok(sql::load(conn, sql, &args).await?)
    }
}

/// The rows of `table` (accounts, payors) of these customers, in the order the API lists
/// them: the keys as one array on PostgreSQL, as the server binds them, each bound on SQLite.
async fn of_customers<T>(
    conn: &mut layer2::db::Conn<'_>,
    table: &str,
    client: ClientId,
    customers: &[CustomerKey],
) -> anyhow::Result<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + Send + 'static,
{
    let order = "ORDER BY customer_id, created_at, id";
    let client = Arg::Id(client.0);
    if matches!(conn, layer2::db::Conn::Pg(_)) {
        let sql =
            format!("SELECT * FROM {table} WHERE client_id = $1 AND customer_id = ANY($2) {order}");
        let keys = Arg::Ids(customers.iter().map(|c| c.0).collect());
        return Ok(sql::load(conn, &sql, &[client, keys]).await?);
    }
    let sql = format!(
        "SELECT * FROM {table} WHERE client_id = $1 AND customer_id IN ({}) {order}",
        sql::placeholders(2, customers.len())
    );
    let mut args = vec![client];
    args.extend(customers.iter().map(|c| Arg::Id(c.0)));
    Ok(sql::load_one_off(conn, &sql, &args).await?)
}
