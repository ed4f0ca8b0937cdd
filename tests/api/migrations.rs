//! The two migration folders define the same tables and columns (the SQLite one is written
//! from the PostgreSQL one by `migrations/sqlite_twin.py`; this catches a hand edit of one).

use std::collections::BTreeSet;

use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::harness::{Backend, TestDb};

#[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

const SKIP: &str = "__diesel_schema_migrations";

async fn sqlite_columns() -> BTreeSet<(String, String)> {
    use diesel::{Connection, RunQueryDsl};
    let db = TestDb::fresh(Backend::Sqlite).await.unwrap();
    layer2::db::Database::open(&db.settings()).await.unwrap();
    let mut conn =
        diesel::SqliteConnection::establish(db.url.trim_start_matches("sqlite://")).unwrap();
    diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
    )
    .load::<Column>(&mut conn)
    .unwrap()
    .into_iter()
    .filter(|c| c.table_name != SKIP && !c.table_name.starts_with("sqlite_"))
    .map(|c| (c.table_name, c.column_name))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_tables_and_columns() {
    use diesel_async::{AsyncConnection, RunQueryDsl as _};
    let lite = sqlite_columns().await;
    assert!(lite.contains(&("customers".to_owned(), "search_text".to_owned())));
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    layer2::db::Database::open(&db.settings()).await.unwrap();
    let mut conn =
        diesel_async::AsyncPgConnection::establish(&format!("{}?sslmode=disable", db.url))
            .await
            .unwrap();
    let pg: BTreeSet<(String, String)> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load::<Column>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .filter(|c| c.table_name != SKIP)
    .map(|c| (c.table_name, c.column_name))
    .collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    assert!(
        only_pg.is_empty() && only_lite.is_empty(),
        "only PostgreSQL: {only_pg:?}; only SQLite: {only_lite:?}"
    );
    assert!(pg.len() > 100, "{} columns", pg.len());
}
