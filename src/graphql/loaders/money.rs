//! Loaders of the money graph: accounts, payors, addresses, transactions and transfers.
//! Page loaders take (parent, page) keys and fetch each distinct page for every parent in
//! one windowed statement, so a page per parent costs one statement however many parents.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::grouped;
use crate::domain::ids::{
    AccountKey, CustomerKey, PaymentAddressId, PayorKey, TransactionId, TransferId,
};
use crate::domain::status::AccountStatus;
use crate::domain::tenancy::Scope;
use crate::domain::time::Timestamp;
use crate::graphql::error::ApiError;
use crate::ops::Database;
use crate::store;
use crate::store::accounts::{Account, AccountStatusChange};
use crate::store::ledger::{AccountTransaction, TransactionFilter};
use crate::store::payment_addresses::PaymentAddress;
use crate::store::payors::Payor;
use crate::store::transfers::Transfer;

/// Splits page keys by page: each distinct page is one statement over its parents.
fn by_page<P: Copy + Eq + std::hash::Hash, Q: Clone + Eq + std::hash::Hash>(
    keys: &[(P, Q)],
) -> HashMap<Q, Vec<P>> {
    let mut pages: HashMap<Q, Vec<P>> = HashMap::new();
    for (parent, page) in keys {
        pages.entry(page.clone()).or_default().push(*parent);
    }
    pages
}

/// Which page of a customer's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountsPage {
    pub status: Option<AccountStatus>,
    pub after: Option<(Timestamp, AccountKey)>,
    /// Rows to fetch (the page size plus one, to know whether more follow).
    pub limit: i64,
}

/// A page of accounts per customer.
pub struct AccountsOf {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<(CustomerKey, AccountsPage)> for AccountsOf {
    type Value = Vec<Account>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(CustomerKey, AccountsPage)],
    ) -> Result<HashMap<(CustomerKey, AccountsPage), Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let mut found = HashMap::new();
        for (page, customers) in by_page(keys) {
            let rows = store::accounts::page_for_customers(
                &mut pooled.conn(),
                &self.scope,
                &customers,
                page.status,
                page.after,
                page.limit,
            )
            .await?;
            for (customer, accounts) in grouped(rows, |a| a.customer_id) {
                found.insert((customer, page.clone()), accounts);
            }
        }
        Ok(found)
    }
}

/// Which page of a customer's payors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayorsPage {
    pub after: Option<(Timestamp, PayorKey)>,
    pub limit: i64,
}

/// A page of payors per customer.
pub struct PayorsOf {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<(CustomerKey, PayorsPage)> for PayorsOf {
    type Value = Vec<Payor>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(CustomerKey, PayorsPage)],
    ) -> Result<HashMap<(CustomerKey, PayorsPage), Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let mut found = HashMap::new();
        for (page, customers) in by_page(keys) {
            let rows = store::payors::page_for_customers(
                &mut pooled.conn(),
                &self.scope,
                &customers,
                page.after,
                page.limit,
            )
            .await?;
            for (customer, payors) in grouped(rows, |p| p.customer_id) {
                found.insert((customer, page.clone()), payors);
            }
        }
        Ok(found)
    }
}

/// Which page of an account's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionsPage {
    pub filter: TransactionFilter,
    pub newest_first: bool,
    pub after: Option<(Timestamp, TransactionId)>,
    pub limit: i64,
}

/// A page of transactions per account.
pub struct TransactionsOf {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<(AccountKey, TransactionsPage)> for TransactionsOf {
    type Value = Vec<AccountTransaction>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(AccountKey, TransactionsPage)],
    ) -> Result<HashMap<(AccountKey, TransactionsPage), Self::Value>, Self::Error> {
        let mut pooled = self.db.conn().await?;
        let mut found = HashMap::new();
        for (page, accounts) in by_page(keys) {
            let rows = store::ledger::page_for_accounts(
                &mut pooled.conn(),
                &self.scope,
                &accounts,
                &page.filter,
                page.newest_first,
                page.after,
                page.limit,
            )
            .await?;
            for (account, transactions) in grouped(rows, |t| t.account_id) {
                found.insert((account, page.clone()), transactions);
            }
        }
        Ok(found)
    }
}

/// Accounts by internal key.
pub struct AccountByKey {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<AccountKey> for AccountByKey {
    type Value = Account;
    type Error = ApiError;

    async fn load(&self, keys: &[AccountKey]) -> Result<HashMap<AccountKey, Account>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows = store::accounts::find_many(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// Payors by internal key.
pub struct PayorByKey {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<PayorKey> for PayorByKey {
    type Value = Payor;
    type Error = ApiError;

    async fn load(&self, keys: &[PayorKey]) -> Result<HashMap<PayorKey, Payor>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows = store::payors::find_many(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// The payors with an address or a payment on each account.
pub struct PayorsOfAccount {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<AccountKey> for PayorsOfAccount {
    type Value = Vec<Payor>;
    type Error = ApiError;

    async fn load(&self, keys: &[AccountKey]) -> Result<HashMap<AccountKey, Vec<Payor>>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows = store::payors::for_accounts(&mut pooled.conn(), &self.scope, keys).await?;
        let mut found: HashMap<AccountKey, Vec<Payor>> = HashMap::new();
        for (account, payor) in rows {
            found.entry(account).or_default().push(payor);
        }
        Ok(found)
    }
}

/// The payment addresses of each account.
pub struct AddressesOf {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<AccountKey> for AddressesOf {
    type Value = Vec<PaymentAddress>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountKey],
    ) -> Result<HashMap<AccountKey, Vec<PaymentAddress>>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows =
            store::payment_addresses::for_accounts(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(grouped(rows, |a| a.account_id))
    }
}

/// The status history of each account.
pub struct AccountHistoryOf {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<AccountKey> for AccountHistoryOf {
    type Value = Vec<AccountStatusChange>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountKey],
    ) -> Result<HashMap<AccountKey, Vec<AccountStatusChange>>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows = store::accounts::status_history(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(grouped(rows, |e| e.account_id))
    }
}

/// Payment addresses by key.
pub struct AddressByKey {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<PaymentAddressId> for AddressByKey {
    type Value = PaymentAddress;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[PaymentAddressId],
    ) -> Result<HashMap<PaymentAddressId, PaymentAddress>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows =
            store::payment_addresses::find_many(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// Transfers by key, as stored (a due one reads as EXPIRED through `Transfer.status`).
pub struct TransferByKey {
    pub(super) db: Database,
    pub(super) scope: Scope,
}

impl Loader<TransferId> for TransferByKey {
    type Value = Transfer;
    type Error = ApiError;

    async fn load(&self, keys: &[TransferId]) -> Result<HashMap<TransferId, Transfer>, ApiError> {
        let mut pooled = self.db.conn().await?;
        let rows = store::transfers::find_many(&mut pooled.conn(), &self.scope, keys).await?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}
