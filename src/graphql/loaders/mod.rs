//! DataLoaders, built per request (never shared: a loader caches, and its scope is the
//! caller's). Each batch takes one connection and one query with `IN (…)`.

mod money;

use std::collections::HashMap;

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

/// Groups rows by the key each belongs to, keeping their order.
fn grouped<K: std::hash::Hash + Eq, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// The people of corporate customers, by customer.
pub struct IndividualsOf {
    db: Database,
    scope: Scope,
}

impl Loader<CustomerKey> for IndividualsOf {
    type Value = Vec<Individual>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CustomerKey],
    ) -> Result<HashMap<CustomerKey, Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let people =
            store::customer_individuals::list_for_customers(&mut pooled.conn(), &self.scope, keys)
                .await?;
        Ok(grouped(people, |p| p.customer_id))
    }
}

/// The uploaded documents (metadata only) of applications, by application.
pub struct DocumentsOf {
    db: Database,
    scope: Scope,
}

impl Loader<ApplicationId> for DocumentsOf {
    type Value = Vec<DocumentMeta>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ApplicationId],
    ) -> Result<HashMap<ApplicationId, Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let documents =
            store::applications::documents_of(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(grouped(documents, |d| d.application_id))
    }
}

/// Whether a client's `accountId` is taken by an account (for applications' requirements).
/// The key names its client, so a client only ever asks about its own ids.
pub struct AccountIdTaken {
    db: Database,
}

impl Loader<(ClientId, String)> for AccountIdTaken {
    type Value = bool;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(ClientId, String)],
    ) -> Result<HashMap<(ClientId, String), bool>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let taken = store::accounts::external_ids_taken(&mut pooled.conn(), keys).await?;
        Ok(keys
            .iter()
            .map(|key| (key.clone(), taken.contains(key)))
            .collect())
    }
}

/// The application that created each customer (none for customers created directly).
pub struct ApplicationOf {
    db: Database,
    scope: Scope,
}

impl Loader<CustomerKey> for ApplicationOf {
    type Value = Application;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CustomerKey],
    ) -> Result<HashMap<CustomerKey, Application>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let applications =
            store::applications::find_for_customers(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(applications
            .into_iter()
            .filter_map(|a| a.customer_id.map(|key| (key, a)))
            .collect())
    }
}

/// The status histories of applications, by application.
pub struct ApplicationHistory {
    db: Database,
    scope: Scope,
}

impl Loader<ApplicationId> for ApplicationHistory {
    type Value = Vec<StatusChange>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ApplicationId],
    ) -> Result<HashMap<ApplicationId, Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let entries =
            store::applications::status_history(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(grouped(entries, |e| e.application_id))
    }
}

/// Customers by internal key (e.g. those applications created).
pub struct CustomerByKey {
    db: Database,
    scope: Scope,
}

impl Loader<CustomerKey> for CustomerByKey {
    type Value = Customer;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CustomerKey],
    ) -> Result<HashMap<CustomerKey, Customer>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let customers = store::customers::find_many(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(customers.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// Adds this request's loaders to a GraphQL request.
pub fn attach(
    request: async_graphql::Request,
    db: &Database,
    scope: Scope,
) -> async_graphql::Request {
    request
        .data(loader(IndividualsOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(DocumentsOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(AccountIdTaken { db: db.clone() }))
        .data(loader(ApplicationOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(ApplicationHistory {
            db: db.clone(),
            scope,
        }))
        .data(loader(CustomerByKey {
            db: db.clone(),
            scope,
        }))
        .data(loader(AccountsOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(PayorsOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(TransactionsOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(AccountByKey {
            db: db.clone(),
            scope,
        }))
        .data(loader(PayorByKey {
            db: db.clone(),
            scope,
        }))
        .data(loader(PayorsOfAccount {
            db: db.clone(),
            scope,
        }))
        .data(loader(AddressesOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(AccountHistoryOf {
            db: db.clone(),
            scope,
        }))
        .data(loader(AddressByKey {
            db: db.clone(),
            scope,
        }))
        .data(loader(TransferByKey {
            db: db.clone(),
            scope,
        }))
}

/// How long a loader gathers keys before it queries (async-graphql's default is 1 ms).
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(2);

/// Turns a batch gives the request's task before it takes its keys: see [`loader`].
/// Measured: 16 turns still split a nested page of 100 customers now and then; 200 never did.
const SIBLING_TURNS: usize = 200;

/// A per-request loader whose batches wait [`BATCH_DELAY`] and then [`SIBLING_TURNS`] turns
/// of their worker before they take their keys. async-graphql resolves a long list 32 items
/// per turn and then yields, so on a slow or busy machine a timer alone could fire between
/// two turns and split one page's keys into two statements; the turns let the request's
/// task finish enqueueing first. The wait happens before the batch starts (async-graphql's
/// own delay is zero, and a full batch of 1,000 keys waits too), so no connection is held
/// while waiting, and the query itself is not slowed.
fn loader<T: Send + Sync + 'static>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, |batch| {
        tokio::spawn(async move {
            tokio::time::sleep(BATCH_DELAY).await;
            for _ in 0..SIBLING_TURNS {
                tokio::task::yield_now().await;
            }
            batch.await
        })
    })
    .delay(std::time::Duration::ZERO)
}

/// The request's loader of type `T` (attached by [`attach`] to every request).
pub fn get<'a, T: Send + Sync + 'static>(
    ctx: &'a async_graphql::Context<'_>,
) -> Result<&'a DataLoader<T>, ApiError> {
    ctx.data::<DataLoader<T>>()
        .map_err(|e| ApiError::internal(&format!("loader missing: {}", e.message)))
}
