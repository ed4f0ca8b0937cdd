//! SQL mappings of domain types: the platform's enums and `Sensitive` as `Text` (under a
//! `CHECK` on both backends), ids through `PortableUuid`. The types themselves live in `domain`.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use crate::domain::account::ProductId;
use crate::domain::application::documents::{DocumentStatus, DocumentType};
use crate::domain::application::requirements::{ApplicationErrorCode, FieldStatus};
use crate::domain::application::{ApplicationStatus, ApplicationType};
use crate::domain::client::{Actor, Environment, KeyRole};
use crate::domain::customer::{
    CorporateEntityType, CustomerType, EmploymentStatus, IndividualType, Sensitive,
    UsResidencyStatus,
};
use crate::domain::event::{EventId, EventType, SubjectKind};
use crate::domain::ids::{
    AccessTokenId, AccountHistoryId, AccountKey, ApiKeyId, ApplicationId, ApplicationIndividualId,
    ClientId, CustomerKey, DocumentId, LedgerEntryId, PaymentAddressId, PayorKey, PostingId,
    StatusHistoryId, TransactionId, TransferId,
};
use crate::domain::ledger::{Bucket, CategoryType, TransactionStatus, TransactionType};
use crate::domain::status::CustomerStatus;
use crate::domain::transfer::TransferStatus;
use crate::domain::webhook::{
    MessageStatus, WebhookAttemptId, WebhookDeliveryOutcome, WebhookMessageId,
    WebhookSubscriptionId,
};

/// What `#[derive(AsExpression, FromSqlRow)]` gives a type of this crate, for a type defined
/// elsewhere: diesel's `foreign_derive` (how diesel maps its own foreign types) derives for the
/// proxy's field type, not the proxy.
macro_rules! sql_value {
    ($sql_type:ty => $($name:ty),+ $(,)?) => {$(
        const _: () = {
            #[derive(diesel::AsExpression, diesel::FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = $sql_type)]
            #[expect(dead_code, reason = "only names the type the derives are for")]
            struct Proxy($name);
        };
    )+};
}
pub(crate) use sql_value;

/// Stores domain enums as their platform spelling.
macro_rules! text_enum_sql {
    ($($name:ty),+ $(,)?) => {$(
        sql_value!(Text => $name);

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, Sqlite> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(IsNull::No)
            }
        }

        impl<DB> FromSql<Text, DB> for $name
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(value)?;
                text.parse::<$name>().map_err(Into::into)
            }
        }
    )+};
}

/// Stores UUID newtype keys through [`PortableUuid`](crate::db::types::PortableUuid).
macro_rules! uuid_sql {
    ($($name:ty),+ $(,)?) => {$(
        $crate::db::mappings::sql_value!($crate::db::types::PortableUuid => $name);

        impl diesel::serialize::ToSql<$crate::db::types::PortableUuid, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                $crate::db::types::uuid_to_pg(&self.0, out)
            }
        }

        impl diesel::serialize::ToSql<$crate::db::types::PortableUuid, diesel::sqlite::Sqlite>
            for $name
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                $crate::db::types::uuid_to_sqlite(&self.0, out)
            }
        }

        impl diesel::deserialize::FromSql<$crate::db::types::PortableUuid, diesel::pg::Pg>
            for $name
        {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::db::types::uuid_from_pg(value).map(Self)
            }
        }

        impl diesel::deserialize::FromSql<$crate::db::types::PortableUuid, diesel::sqlite::Sqlite>
            for $name
        {
            fn from_sql(
                value: diesel::sqlite::SqliteValue<'_, '_, '_>,
            ) -> diesel::deserialize::Result<Self> {
                $crate::db::types::uuid_from_sqlite(value).map(Self)
            }
        }
    )+};
}
pub(crate) use uuid_sql;

text_enum_sql!(
    CustomerStatus,
    CustomerType,
    UsResidencyStatus,
    EmploymentStatus,
    CorporateEntityType,
    IndividualType,
    Environment,
    KeyRole,
    Actor,
    ProductId,
    TransactionStatus,
    TransactionType,
    CategoryType,
    Bucket,
    TransferStatus,
    ApplicationStatus,
    ApplicationType,
    DocumentType,
    DocumentStatus,
    FieldStatus,
    ApplicationErrorCode,
    EventType,
    SubjectKind,
    MessageStatus,
    WebhookDeliveryOutcome,
);

uuid_sql!(
    ClientId,
    EventId,
    ApiKeyId,
    AccessTokenId,
    CustomerKey,
    StatusHistoryId,
    ApplicationId,
    AccountKey,
    PayorKey,
    ApplicationIndividualId,
    DocumentId,
    AccountHistoryId,
    PaymentAddressId,
    TransactionId,
    LedgerEntryId,
    PostingId,
    TransferId,
    WebhookSubscriptionId,
    WebhookMessageId,
    WebhookAttemptId,
);

sql_value!(Text => Sensitive);

impl ToSql<Text, Pg> for Sensitive {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.reveal(), out)
    }
}

impl ToSql<Text, Sqlite> for Sensitive {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.reveal());
        Ok(IsNull::No)
    }
}

impl<DB> FromSql<Text, DB> for Sensitive
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(value).map(Sensitive::new)
    }
}
