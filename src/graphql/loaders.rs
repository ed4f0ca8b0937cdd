//! DataLoaders, built per request (never shared: a loader caches, and its scope is the
//! caller's). Each batch takes one connection and one query with `IN (…)`.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};

use super::error::ApiError;
use crate::db::Database;
use crate::domain::ids::CustomerKey;
use crate::domain::tenancy::Scope;
use crate::store;
use crate::store::customer_individuals::Individual;

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
        let mut by_customer: HashMap<CustomerKey, Vec<Individual>> = HashMap::new();
        for person in people {
            by_customer
                .entry(person.customer_id)
                .or_default()
                .push(person);
        }
        Ok(by_customer)
    }
}

/// Adds this request's loaders to a GraphQL request.
pub fn attach(
    request: async_graphql::Request,
    db: &Database,
    scope: Scope,
) -> async_graphql::Request {
    request.data(DataLoader::new(
        IndividualsOf {
            db: db.clone(),
            scope,
        },
        tokio::spawn,
    ))
}
