//! The reader's loads of the money graph: accounts, payors, addresses, transactions and
//! transfers. Page keys name (parent, page), and each distinct page is fetched for every
//! parent in one windowed statement, so a page per parent costs one statement however many
//! parents.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::{Reader, grouped, id_keys};
use crate::domain::ids::{
    AccountKey, CustomerKey, PaymentAddressId, PayorKey, TransactionId, TransferId,
};
use crate::domain::status::AccountStatus;
use crate::domain::time::Timestamp;
use crate::graphql::error::ApiError;
use crate::store;
use crate::store::accounts::{Account, AccountStatusChange};
use crate::store::ledger::{AccountTransaction, TransactionFilter};
use crate::store::payment_addresses::PaymentAddress;
use crate::store::payors::Payor;
use crate::store::transfers::Transfer;

/// Splits page keys by page: each distinct page is one statement over its parents.
fn by_page<P: Copy, Q: Clone + Eq + std::hash::Hash>(
    keys: impl IntoIterator<Item = (P, Q)>,
) -> HashMap<Q, Vec<P>> {
    let mut pages: HashMap<Q, Vec<P>> = HashMap::new();
    for (parent, page) in keys {
        pages.entry(page).or_default().push(parent);
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

/// A page of a customer's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountsOf(pub CustomerKey, pub AccountsPage);

/// Which page of a customer's payors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayorsPage {
    pub after: Option<(Timestamp, PayorKey)>,
    pub limit: i64,
}

/// A page of a customer's payors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayorsOf(pub CustomerKey, pub PayorsPage);

/// Which page of an account's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionsPage {
    pub filter: TransactionFilter,
    pub newest_first: bool,
    pub after: Option<(Timestamp, TransactionId)>,
    pub limit: i64,
}

/// A page of an account's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionsOf(pub AccountKey, pub TransactionsPage);

id_keys! {
    /// An account by internal key.
    AccountByKey(AccountKey);
    /// A payor by internal key.
    PayorByKey(PayorKey);
    /// The payors with an address or a payment on an account.
    PayorsOfAccount(AccountKey);
    /// The payment addresses of an account.
    AddressesOf(AccountKey);
    /// The status history of an account.
    AccountHistoryOf(AccountKey);
    /// A payment address by key.
    AddressByKey(PaymentAddressId);
    /// A transfer by key, as stored (a due one reads as EXPIRED through `Transfer.status`).
    TransferByKey(TransferId);
}

impl Loader<AccountsOf> for Reader {
    type Value = Vec<Account>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountsOf],
    ) -> Result<HashMap<AccountsOf, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let mut found = HashMap::new();
        for (page, customers) in by_page(keys.iter().map(|k| (k.0, k.1.clone()))) {
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
                found.insert(AccountsOf(customer, page.clone()), accounts);
            }
        }
        Ok(found)
    }
}

impl Loader<PayorsOf> for Reader {
    type Value = Vec<Payor>;
    type Error = ApiError;

    async fn load(&self, keys: &[PayorsOf]) -> Result<HashMap<PayorsOf, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let mut found = HashMap::new();
        for (page, customers) in by_page(keys.iter().map(|k| (k.0, k.1.clone()))) {
            let rows = store::payors::page_for_customers(
                &mut pooled.conn(),
                &self.scope,
                &customers,
                page.after,
                page.limit,
            )
            .await?;
            for (customer, payors) in grouped(rows, |p| p.customer_id) {
                found.insert(PayorsOf(customer, page.clone()), payors);
            }
        }
        Ok(found)
    }
}

impl Loader<TransactionsOf> for Reader {
    type Value = Vec<AccountTransaction>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[TransactionsOf],
    ) -> Result<HashMap<TransactionsOf, Self::Value>, ApiError> {
        let mut pooled = self.db.read().await?;
        let mut found = HashMap::new();
        for (page, accounts) in by_page(keys.iter().map(|k| (k.0, k.1.clone()))) {
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
                found.insert(TransactionsOf(account, page.clone()), transactions);
            }
        }
        Ok(found)
    }
}

impl Loader<AccountByKey> for Reader {
    type Value = Account;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountByKey],
    ) -> Result<HashMap<AccountByKey, Account>, ApiError> {
        let mut pooled = self.db.read().await?;
        let ids = AccountByKey::ids(keys);
        let rows = store::accounts::find_many(&mut pooled.conn(), &self.scope, &ids).await?;
        Ok(rows.into_iter().map(|a| (AccountByKey(a.id), a)).collect())
    }
}

impl Loader<PayorByKey> for Reader {
    type Value = Payor;
    type Error = ApiError;

    async fn load(&self, keys: &[PayorByKey]) -> Result<HashMap<PayorByKey, Payor>, ApiError> {
        let mut pooled = self.db.read().await?;
        let ids = PayorByKey::ids(keys);
        let rows = store::payors::find_many(&mut pooled.conn(), &self.scope, &ids).await?;
        Ok(rows.into_iter().map(|p| (PayorByKey(p.id), p)).collect())
    }
}

impl Loader<PayorsOfAccount> for Reader {
    type Value = Vec<Payor>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[PayorsOfAccount],
    ) -> Result<HashMap<PayorsOfAccount, Vec<Payor>>, ApiError> {
        let mut pooled = self.db.read().await?;
        let accounts = PayorsOfAccount::ids(keys);
        let rows = store::payors::for_accounts(&mut pooled.conn(), &self.scope, &accounts).await?;
        let mut found: HashMap<PayorsOfAccount, Vec<Payor>> = HashMap::new();
        for (account, payor) in rows {
            found
                .entry(PayorsOfAccount(account))
                .or_default()
                .push(payor);
        }
        Ok(found)
    }
}

impl Loader<AddressesOf> for Reader {
    type Value = Vec<PaymentAddress>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AddressesOf],
    ) -> Result<HashMap<AddressesOf, Vec<PaymentAddress>>, ApiError> {
        let mut pooled = self.db.read().await?;
        let accounts = AddressesOf::ids(keys);
        let rows =
            store::payment_addresses::for_accounts(&mut pooled.conn(), &self.scope, &accounts)
                .await?;
        Ok(grouped(rows, |a| AddressesOf(a.account_id)))
    }
}

impl Loader<AccountHistoryOf> for Reader {
    type Value = Vec<AccountStatusChange>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AccountHistoryOf],
    ) -> Result<HashMap<AccountHistoryOf, Vec<AccountStatusChange>>, ApiError> {
        let mut pooled = self.db.read().await?;
        let accounts = AccountHistoryOf::ids(keys);
        let rows =
            store::accounts::status_history(&mut pooled.conn(), &self.scope, &accounts).await?;
        Ok(grouped(rows, |e| AccountHistoryOf(e.account_id)))
    }
}

impl Loader<AddressByKey> for Reader {
    type Value = PaymentAddress;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AddressByKey],
    ) -> Result<HashMap<AddressByKey, PaymentAddress>, ApiError> {
        let mut pooled = self.db.read().await?;
        let ids = AddressByKey::ids(keys);
        let rows =
            store::payment_addresses::find_many(&mut pooled.conn(), &self.scope, &ids).await?;
        Ok(rows.into_iter().map(|a| (AddressByKey(a.id), a)).collect())
    }
}

impl Loader<TransferByKey> for Reader {
    type Value = Transfer;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[TransferByKey],
    ) -> Result<HashMap<TransferByKey, Transfer>, ApiError> {
        let mut pooled = self.db.read().await?;
        let ids = TransferByKey::ids(keys);
        let rows = store::transfers::find_many(&mut pooled.conn(), &self.scope, &ids).await?;
        Ok(rows.into_iter().map(|t| (TransferByKey(t.id), t)).collect())
    }
}
