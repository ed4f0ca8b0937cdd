//! The request's [`Reader`]: one `DataLoader`, built per request (never shared: it batches
//! for one caller and its scope is the caller's), that implements `Loader<K>` once per key
//! newtype below. Each batch takes one connection and one query with `IN (…)`, and starts
//! when the request has asked for every key of its level ([`dispatch`]).

mod dispatch;
mod money;

pub use dispatch::{Batches, drive};

use std::collections::HashMap;
use std::sync::Arc;

pub use money::{
    AccountByKey, AccountHistoryOf, AccountsOf, AccountsPage, AddressByKey, AddressesOf,
    PayorByKey, PayorsOf, PayorsOfAccount, PayorsPage, TransactionsOf, TransactionsPage,
    TransferByKey,
};

use async_graphql::dataloader::{DataLoader, Loader};

use super::error::ApiError;
use crate::domain::ids::{ApplicationId, ClientId, CustomerKey};
use crate::domain::tenancy::Scope;
use crate::ops::Database;
use crate::store;
use crate::store::applications::{Application, DocumentMeta, StatusChange};
use crate::store::customer_individuals::Individual;
use crate::store::customers::Customer;

/// What a request reads in batches: every query runs with the caller's scope.
pub struct Reader {
    db: Database,
    scope: Scope,
}

/// Groups rows by the key each belongs to, keeping their order.
fn grouped<K: std::hash::Hash + Eq, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// Declares key newtypes over a copyable id: which rows of that id a batch asks for.
macro_rules! id_keys {
    ($($(#[$doc:meta])* $name:ident($id:ty);)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $id);

        impl $name {
            /// The ids of a batch, for the store's `IN (…)`.
            fn ids(keys: &[Self]) -> Vec<$id> {
                keys.iter().map(|key| key.0).collect()
            }
        }
    )+};
}
pub(crate) use id_keys;

id_keys! {
    /// The people of a corporate customer.
    IndividualsOf(CustomerKey);
    /// The uploaded documents (metadata only) of an application.
    DocumentsOf(ApplicationId);
    /// The application that created a customer (none for customers created directly).
    ApplicationOf(CustomerKey);
    /// The status history of an application.
    ApplicationHistory(ApplicationId);
    /// A customer by internal key (e.g. one an application created).
    CustomerByKey(CustomerKey);
}

/// Whether a client's `accountId` is taken by an account (for applications' requirements).
/// The key names its client, so a client only ever asks about its own ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountIdTaken(pub ClientId, pub String);

impl Loader<IndividualsOf> for Reader {
    type Value = Vec<Individual>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[IndividualsOf],
    ) -> Result<HashMap<IndividualsOf, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let customers = IndividualsOf::ids(keys);
        let people = store::customer_individuals::list_for_customers(
            &mut pooled.conn(),
            &self.scope,
            &customers,
        )
        .await?;
        Ok(grouped(people, |p| IndividualsOf(p.customer_id)))
    }
}

impl Loader<DocumentsOf> for Reader {
    type Value = Vec<DocumentMeta>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[DocumentsOf],
    ) -> Result<HashMap<DocumentsOf, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let applications = DocumentsOf::ids(keys);
        let documents =
            store::applications::documents_of(&mut pooled.conn(), &self.scope, &applications)
                .await?;
        Ok(grouped(documents, |d| DocumentsOf(d.application_id)))
    }
}

impl Loader<AccountIdTaken> for Reader {
    type Value = bool;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountIdTaken],
    ) -> Result<HashMap<AccountIdTaken, bool>, ApiError> {
        let mut pooled = self.db.read().await?;
        let pairs: Vec<(ClientId, String)> = keys.iter().map(|k| (k.0, k.1.clone())).collect();
        let taken = store::accounts::external_ids_taken(&mut pooled.conn(), &pairs).await?;
        Ok(keys
            .iter()
            .zip(&pairs)
            .map(|(key, pair)| (key.clone(), taken.contains(pair)))
            .collect())
    }
}

impl Loader<ApplicationOf> for Reader {
    type Value = Application;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ApplicationOf],
    ) -> Result<HashMap<ApplicationOf, Application>, ApiError> {
        let mut pooled = self.db.read().await?;
        let customers = ApplicationOf::ids(keys);
        let applications =
            store::applications::find_for_customers(&mut pooled.conn(), &self.scope, &customers)
                .await?;
        Ok(applications
            .into_iter()
            .filter_map(|a| a.customer_id.map(|key| (ApplicationOf(key), a)))
            .collect())
    }
}

impl Loader<ApplicationHistory> for Reader {
    type Value = Vec<StatusChange>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ApplicationHistory],
    ) -> Result<HashMap<ApplicationHistory, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let applications = ApplicationHistory::ids(keys);
        let entries =
            store::applications::status_history(&mut pooled.conn(), &self.scope, &applications)
                .await?;
        Ok(grouped(entries, |e| ApplicationHistory(e.application_id)))
    }
}

impl Loader<CustomerByKey> for Reader {
    type Value = Customer;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CustomerByKey],
    ) -> Result<HashMap<CustomerByKey, Customer>, ApiError> {
        let mut pooled = self.db.read().await?;
        let ids = CustomerByKey::ids(keys);
        let customers = store::customers::find_many(&mut pooled.conn(), &self.scope, &ids).await?;
        Ok(customers
            .into_iter()
            .map(|c| (CustomerByKey(c.id), c))
            .collect())
    }
}

/// Adds this request's reader to a GraphQL request; its batches go to `batches` (run the
/// execution through [`drive`] when they are [`Batches::driven`]).
pub fn attach(
    request: async_graphql::Request,
    db: &Database,
    scope: Scope,
    batches: Arc<Batches>,
) -> async_graphql::Request {
    request.data(loader(
        Reader {
            db: db.clone(),
            scope,
        },
        batches,
    ))
}

/// Keys one statement may take: a level of the largest page the limits allow (100 parents,
/// 100 children each) still fits, and so does SQLite's limit on bound parameters.
const MAX_BATCH_KEYS: usize = 10_000;

/// A per-request loader whose batches start when [`Batches`] says: driven, once the
/// execution has asked for every key of a level (see [`dispatch`]), so no timer is needed
/// (async-graphql's delay is set to zero); immediate, after async-graphql's default delay.
fn loader(reader: Reader, batches: Arc<Batches>) -> DataLoader<Reader> {
    let driven = batches.is_driven();
    let loader =
        DataLoader::new(reader, move |batch| batches.submit(batch)).max_batch_size(MAX_BATCH_KEYS);
    if driven {
        loader.delay(std::time::Duration::ZERO)
    } else {
        loader
    }
}

/// The request's reader (attached by [`attach`] to every request).
pub fn reader<'a>(ctx: &'a async_graphql::Context<'_>) -> Result<&'a DataLoader<Reader>, ApiError> {
    ctx.data::<DataLoader<Reader>>()
        .map_err(|e| ApiError::internal(&format!("reader missing: {}", e.message)))
}
