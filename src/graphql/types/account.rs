//! `Account`, its status history and the supported asset types. Balances are exact decimals
//! in the account's asset; what hangs off an account is loaded in batches per request.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::account::ProductId;
use crate::domain::client::Actor;
use crate::domain::ids::TransactionId;
use crate::domain::ledger::{TransactionStatus, TransactionType};
use crate::domain::money::from_minor_units;
use crate::domain::status::AccountStatus;
use crate::domain::time::Timestamp;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::loaders::{
    self, AccountHistoryOf, AddressesOf, CustomerByKey, PayorsOfAccount, TransactionsOf,
    TransactionsPage,
};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::pagination::{Connection, PageRequest, encode_cursor};
use crate::graphql::scalars::Decimal;
use crate::graphql::types::customer::Customer;
use crate::graphql::types::money::{PaymentAddress, Transaction};
use crate::graphql::types::payor::Payor;
use crate::ops::Database;
use crate::store;

/// A customer's account: one asset, a status from the customers' table, and balances.
#[derive(Clone)]
pub struct Account {
    pub row: store::accounts::Account,
    /// The asset's decimal places.
    pub decimals: u32,
}

impl Account {
    /// The API view of an account row; `decimals` from the asset table.
    pub fn new(row: store::accounts::Account, db: &Database) -> ApiResult<Self> {
        let decimals = db.asset_decimals(&row.asset_type_id).ok_or_else(|| {
            ApiError::internal(&format!("account of unknown asset {}", row.asset_type_id))
        })?;
        Ok(Self { row, decimals })
    }

    /// An amount of this account's asset, from minor units.
    pub fn amount(&self, minor: i64) -> Decimal {
        Decimal(from_minor_units(minor, self.decimals))
    }
}

/// Which way an account's transactions are listed.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionOrder {
    /// The most recent first.
    #[default]
    NewestFirst,
    /// The oldest first.
    OldestFirst,
}

/// Which of an account's transactions to list.
#[derive(InputObject, Default)]
pub struct TransactionFilter {
    /// Only transactions in this status.
    pub transaction_status: Option<TransactionStatus>,
    /// Only transactions of this type.
    pub transaction_type: Option<TransactionType>,
    /// Only transactions dated at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only transactions dated before this time.
    pub to: Option<DateTime<Utc>>,
}

/// A customer's account: one asset, a status from the customers' table, and balances.
#[Object]
impl Account {
    /// The account's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Account, self.row.id.0)
    }
    /// The client's own id for the account, unique within the client.
    async fn account_id(&self) -> &str {
        &self.row.external_id
    }
    /// The kind of account.
    async fn product_id(&self) -> ProductId {
        self.row.product_id
    }
    /// The asset the account holds, e.g. FIAT_TESTNET_USD.
    async fn asset_type_id(&self) -> &str {
        &self.row.asset_type_id
    }
    /// The account's status (the customers' table): whether it may be updated or transact.
    async fn status(&self) -> AccountStatus {
        self.row.status
    }
    /// All funds, including those on hold, in the asset's unit.
    async fn current_balance(&self) -> Decimal {
        self.amount(self.row.current_balance)
    }
    /// Funds that may be spent now: the current balance less holds.
    async fn available_balance(&self) -> Decimal {
        self.amount(self.row.available_balance)
    }
    /// Whether this is the account opened with the customer (it closes only with it).
    async fn is_default(&self) -> bool {
        self.row.is_default
    }
    /// Increases with every change of status; pass it as `expectedVersion`.
    async fn version(&self) -> i64 {
        self.row.version
    }
    /// When the account was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at.0
    }
    /// When the account last changed status.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at.0
    }
    /// When the account was closed; null while it is open.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.row.closed_at.map(|t| t.0)
    }
    /// The customer who owns the account.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Customer> {
        loaders::reader(ctx)?
            .load_one(CustomerByKey(self.row.customer_id))
            .await?
            .map(Customer)
            .ok_or_else(|| ApiError::internal(&"an account's customer is missing"))
    }
    /// The payors with a payment address or a payment on this account.
    async fn payors(&self, ctx: &Context<'_>) -> ApiResult<Vec<Payor>> {
        Ok(loaders::reader(ctx)?
            .load_one(PayorsOfAccount(self.row.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Payor)
            .collect())
    }
    /// The payment addresses issued for this account, oldest first.
    async fn payment_addresses(&self, ctx: &Context<'_>) -> ApiResult<Vec<PaymentAddress>> {
        let rc = crate::graphql::request(ctx)?;
        loaders::reader(ctx)?
            .load_one(AddressesOf(self.row.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|a| PaymentAddress::new(a, &rc.db))
            .collect()
    }
    /// The account's status changes, oldest first.
    async fn status_history(&self, ctx: &Context<'_>) -> ApiResult<Vec<AccountStatusChange>> {
        Ok(loaders::reader(ctx)?
            .load_one(AccountHistoryOf(self.row.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(AccountStatusChange::from)
            .collect())
    }
    /// The account's transactions (its statement), newest first unless `order` says
    /// otherwise, one keyset page at a time.
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which transactions to list.")] filter: Option<TransactionFilter>,
        #[graphql(desc = "The order of the list.", default)] order: TransactionOrder,
        #[graphql(desc = "How many to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return those after this cursor.")] after: Option<String>,
    ) -> ApiResult<Connection<Transaction>> {
        let request = PageRequest::new(first, after, None, None)?;
        let newest_first = order == TransactionOrder::NewestFirst;
        // A cursor names its order: reading on in the other order would skip or repeat.
        let after = match request.decode_cursor::<(bool, DateTime<Utc>, uuid::Uuid)>()? {
            Some((cursor_newest_first, at, id)) if cursor_newest_first == newest_first => {
                Some((Timestamp(at), TransactionId(id)))
            }
            Some(_) => {
                return Err(ApiError::bad_input(
                    "after",
                    "this cursor belongs to the list in the other order",
                ));
            }
            None => None,
        };
        let filter = filter.unwrap_or_default();
        // Stored times are years 0001 to 9999 (fixed-width text on SQLite).
        for (field, at) in [("filter.from", filter.from), ("filter.to", filter.to)] {
            if at.is_some_and(|t| !(1..=9999).contains(&chrono::Datelike::year(&t))) {
                return Err(ApiError::bad_input(
                    field,
                    "must be within the years 1 to 9999",
                ));
            }
        }
        let page = TransactionsPage {
            filter: store::ledger::TransactionFilter {
                status: filter.transaction_status,
                transaction_type: filter.transaction_type,
                from: filter.from.map(Timestamp),
                to: filter.to.map(Timestamp),
            },
            newest_first,
            after,
            limit: request.size + 1,
        };
        let rows = loaders::reader(ctx)?
            .load_one(TransactionsOf(self.row.id, page))
            .await?
            .unwrap_or_default();
        Ok(Connection::of(
            &request,
            rows,
            |t| encode_cursor(&(newest_first, t.transaction_date.0, t.id.0)),
            |t| Transaction::new(t, self.decimals),
        ))
    }
}

/// One status change of an account.
#[derive(SimpleObject)]
pub struct AccountStatusChange {
    /// The status before.
    pub from_status: AccountStatus,
    /// The status after.
    pub to_status: AccountStatus,
    /// Why it changed (for a cascade, the customer's change's reason).
    pub reason: String,
    /// Who asked for the change.
    pub updated_by: String,
    /// Which kind of principal made the change.
    pub actor: Actor,
    /// When it changed.
    pub created_at: DateTime<Utc>,
}

impl From<store::accounts::AccountStatusChange> for AccountStatusChange {
    fn from(entry: store::accounts::AccountStatusChange) -> Self {
        Self {
            from_status: entry.from_status,
            to_status: entry.to_status,
            reason: entry.reason,
            updated_by: entry.updated_by,
            actor: entry.actor,
            created_at: entry.created_at.0,
        }
    }
}

/// A supported asset: `{CHAIN}_{NETWORK}_{CURRENCY}` and its decimal places.
#[derive(SimpleObject)]
pub struct AssetType {
    /// The asset's id, e.g. FIAT_TESTNET_USD.
    pub asset_type_id: String,
    /// How many decimal places its amounts have (USD 2, USDC 6, BTC 8).
    pub decimals: i32,
}
