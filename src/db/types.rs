//! Portable SQL types: one `schema.rs` serves PostgreSQL and SQLite.
//! UUIDs are `uuid` on PostgreSQL and hyphenated text on SQLite; timestamps are `timestamptz`
//! on PostgreSQL and fixed-width RFC 3339 UTC text on SQLite (so text order is time order).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{SqlType, Text};
use diesel::sqlite::{Sqlite, SqliteValue};

/// A UUID column: `uuid` on PostgreSQL, text on SQLite.
#[derive(SqlType, QueryId, Debug, Clone, Copy)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableUuid;

/// A point in time in UTC: `timestamptz` on PostgreSQL, RFC 3339 text on SQLite.
#[derive(SqlType, QueryId, Debug, Clone, Copy)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableTimestamp;

/// A calendar date: `date` on PostgreSQL, `YYYY-MM-DD` text on SQLite.
#[derive(SqlType, QueryId, Debug, Clone, Copy)]
#[diesel(postgres_type(oid = 1082, array_oid = 1182))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableDate;

/// A calendar date stored through [`PortableDate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = PortableDate)]
pub struct Date(pub chrono::NaiveDate);

impl ToSql<PortableDate, Pg> for Date {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <chrono::NaiveDate as ToSql<diesel::sql_types::Date, Pg>>::to_sql(&self.0, out)
    }
}

impl ToSql<PortableDate, Sqlite> for Date {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format("%Y-%m-%d").to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableDate, Pg> for Date {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <chrono::NaiveDate as FromSql<diesel::sql_types::Date, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<PortableDate, Sqlite> for Date {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Self(chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")?))
    }
}

/// Defines a UUID v7 newtype key (as the domain's ids are) stored through [`PortableUuid`].
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $crate::domain::ids::id_type!($(#[$meta])* $name);
        $crate::db::mappings::uuid_sql!($name);
    };
}
pub(crate) use uuid_id;

pub fn uuid_to_pg<'b>(value: &'b uuid::Uuid, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
    <uuid::Uuid as ToSql<diesel::sql_types::Uuid, Pg>>::to_sql(value, out)
}

pub fn uuid_to_sqlite(value: &uuid::Uuid, out: &mut Output<'_, '_, Sqlite>) -> serialize::Result {
    out.set_value(value.hyphenated().to_string());
    Ok(IsNull::No)
}

pub fn uuid_from_pg(value: PgValue<'_>) -> deserialize::Result<uuid::Uuid> {
    <uuid::Uuid as FromSql<diesel::sql_types::Uuid, Pg>>::from_sql(value)
}

pub fn uuid_from_sqlite(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<uuid::Uuid> {
    let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
    Ok(uuid::Uuid::parse_str(&text)?)
}

/// Instants are the domain's; stored through [`PortableTimestamp`].
pub use crate::domain::time::Timestamp;

crate::db::mappings::sql_value!(PortableTimestamp => Timestamp);

impl Timestamp {
    /// The system clock now, truncated to microseconds: for writes that do not run in an
    /// operation yet (an operation reads its instant from the injected clock, `Cx::now`).
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// The SQLite text form: fixed width, so text order is time order.
    pub fn to_sqlite_text(self) -> String {
        self.to_rfc3339()
    }
}

impl ToSql<PortableTimestamp, Pg> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<diesel::sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl ToSql<PortableTimestamp, Sqlite> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.to_sqlite_text());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableTimestamp, Pg> for Timestamp {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<diesel::sql_types::Timestamptz, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<PortableTimestamp, Sqlite> for Timestamp {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
            return Ok(Self(at.with_timezone(&Utc)));
        }
        // SQLite's own CURRENT_TIMESTAMP form, for rows written by SQL defaults.
        let naive = NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")?;
        Ok(Self(naive.and_utc()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_timestamp_text_is_fixed_width_and_ordered() {
        let early =
            Timestamp::from_datetime(DateTime::from_timestamp(1_700_000_000, 5_000).unwrap());
        let late = Timestamp::from_datetime(DateTime::from_timestamp(1_700_000_001, 0).unwrap());
        assert_eq!(early.to_sqlite_text(), "2023-11-14T22:13:20.000005Z");
        assert_eq!(early.to_sqlite_text().len(), late.to_sqlite_text().len());
        assert!(early.to_sqlite_text() < late.to_sqlite_text());
    }
}
