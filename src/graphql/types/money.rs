//! Money objects: `Transaction` (a line of an account's statement), `PaymentAddress` (an
//! address lease for payors) and `Transfer` (between two accounts of a client).

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use crate::domain::ledger::{CategoryType, TransactionStatus, TransactionType};
use crate::domain::money::from_minor_units;
use crate::domain::transfer::TransferStatus;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::loaders::{self, AccountByKey, PayorByKey};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::request;
use crate::graphql::scalars::Decimal;
use crate::graphql::types::account::Account;
use crate::graphql::types::payor::Payor;
use crate::ops::Database;
use crate::store;

/// The account a transfer, transaction or address refers to. One of another customer than
/// a restricted access token's (the other side of a transfer) does not exist for it.
async fn account_of(ctx: &Context<'_>, key: crate::domain::ids::AccountKey) -> ApiResult<Account> {
    let rc = request(ctx)?;
    let row = loaders::reader(ctx)?.load_one(AccountByKey(key)).await?;
    let row = match row {
        Some(row) => row,
        None if rc.principal.scope().customers_of_token().is_some() => {
            return Err(ApiError::NotFound(
                "the account belongs to a customer this access token does not cover".into(),
            ));
        }
        None => return Err(ApiError::internal(&"a referenced account is missing")),
    };
    Account::new(row, &rc.db)
}

async fn payor_of(
    ctx: &Context<'_>,
    key: Option<crate::domain::ids::PayorKey>,
) -> ApiResult<Option<Payor>> {
    let Some(key) = key else { return Ok(None) };
    Ok(loaders::reader(ctx)?
        .load_one(PayorByKey(key))
        .await?
        .map(Payor))
}

/// A line of an account's statement.
#[derive(Clone)]
pub struct Transaction {
    pub row: store::ledger::AccountTransaction,
    /// The account's asset's decimal places.
    pub decimals: u32,
}

impl Transaction {
    pub fn new(row: store::ledger::AccountTransaction, decimals: u32) -> Self {
        Self { row, decimals }
    }
}

/// A line of an account's statement: money in or out, a hold, or a correction.
#[Object]
impl Transaction {
    /// The transaction's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Transaction, self.row.id.0)
    }
    /// When the transaction was made.
    async fn transaction_date(&self) -> DateTime<Utc> {
        self.row.transaction_date.0
    }
    /// When it was posted (settled); null while a hold, or when cancelled.
    async fn transaction_posted_date(&self) -> Option<DateTime<Utc>> {
        self.row.posted_at.map(|t| t.0)
    }
    /// AUTHORIZED (a hold: available balance only), PENDING, POSTED (both balances) or
    /// CANCELLED.
    async fn transaction_status(&self) -> TransactionStatus {
        self.row.status
    }
    /// What moved the money.
    async fn transaction_type(&self) -> TransactionType {
        self.row.transaction_type
    }
    /// The business category.
    async fn category_type(&self) -> CategoryType {
        self.row.category_type
    }
    /// The amount, always positive (the type says which way), in the account's asset.
    async fn value(&self) -> Decimal {
        Decimal(from_minor_units(self.row.value, self.decimals))
    }
    /// A description given with the movement.
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }
    /// The client's id of the payor who paid, for a payment through a payment address.
    async fn payor_id(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(payor_of(ctx, self.row.payor_id)
            .await?
            .map(|p| p.0.external_id))
    }
    /// The payment address's reference, for a payment through one.
    async fn payment_reference(&self) -> Option<&str> {
        self.row.payment_reference.as_deref()
    }
    /// The payor who paid, for a payment through a payment address.
    async fn payor(&self, ctx: &Context<'_>) -> ApiResult<Option<Payor>> {
        payor_of(ctx, self.row.payor_id).await
    }
    /// The account whose statement this is.
    async fn account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        account_of(ctx, self.row.account_id).await
    }
    /// The transfer this transaction belongs to, if any.
    async fn transfer(&self, ctx: &Context<'_>) -> ApiResult<Option<Transfer>> {
        let Some(key) = self.row.transfer_id else {
            return Ok(None);
        };
        let rc = request(ctx)?;
        loaders::reader(ctx)?
            .load_one(loaders::TransferByKey(key))
            .await?
            .map(|t| Transfer::new(t, &rc.db))
            .transpose()
    }
}

/// An address lease for payments into a PAYMENT_BASIC account.
#[derive(Clone)]
pub struct PaymentAddress {
    pub row: store::payment_addresses::PaymentAddress,
    pub decimals: u32,
}

impl PaymentAddress {
    pub fn new(row: store::payment_addresses::PaymentAddress, db: &Database) -> ApiResult<Self> {
        let decimals = db.asset_decimals(&row.asset_type_id).ok_or_else(|| {
            ApiError::internal(&format!("address of unknown asset {}", row.asset_type_id))
        })?;
        Ok(Self { row, decimals })
    }

    fn money(&self, minor: i64) -> Decimal {
        Decimal(from_minor_units(minor, self.decimals))
    }
}

/// Where a payor sends money for a customer's PAYMENT_BASIC account: an address in the
/// asset's own form, and the terms of its lease.
#[Object]
impl PaymentAddress {
    /// The address lease's opaque global id (pass it as `addressId`).
    pub async fn id(&self) -> ID {
        encode(NodeKind::PaymentAddress, self.row.id.0)
    }
    /// The address itself: `0x…` on Ethereum, `tb1…` on Bitcoin testnet, a virtual account
    /// reference for fiat. Unique across the platform.
    async fn wallet_address(&self) -> &str {
        &self.row.wallet_address
    }
    /// The asset the address receives.
    async fn asset_type_id(&self) -> &str {
        &self.row.asset_type_id
    }
    /// False: a fixed address; true: a lease that ends and has limits.
    async fn lease_enforced(&self) -> bool {
        self.row.lease_enforced
    }
    /// When the lease ends; null for a fixed address.
    async fn lease_end_date(&self) -> Option<DateTime<Utc>> {
        self.row.lease_end_date.map(|t| t.0)
    }
    /// How many payments the lease accepts; null for no limit.
    async fn lease_transaction_limit(&self) -> Option<i64> {
        self.row.lease_transaction_limit
    }
    /// How much the lease accepts in total; null for no limit.
    async fn lease_value_limit(&self) -> Option<Decimal> {
        self.row.lease_value_limit.map(|v| self.money(v))
    }
    /// The reference the payor quotes; carried by every payment through this address.
    async fn payment_reference(&self) -> &str {
        &self.row.payment_reference
    }
    /// The amount expected (it may arrive in several payments); null when none was given.
    async fn amount(&self) -> Option<Decimal> {
        self.row.expected_amount.map(|v| self.money(v))
    }
    /// How many payments arrived through this address.
    async fn transactions_received(&self) -> i64 {
        self.row.transactions_received
    }
    /// How much arrived through this address.
    async fn value_received(&self) -> Decimal {
        self.money(self.row.value_received)
    }
    /// When the address was issued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at.0
    }
    /// The payor expected to pay.
    async fn payor(&self, ctx: &Context<'_>) -> ApiResult<Payor> {
        payor_of(ctx, Some(self.row.payor_id))
            .await?
            .ok_or_else(|| ApiError::internal(&"an address's payor is missing"))
    }
    /// The account the payments go to.
    async fn account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        account_of(ctx, self.row.account_id).await
    }
}

/// A transfer between two accounts of one client, in one asset.
#[derive(Clone)]
pub struct Transfer {
    pub row: store::transfers::Transfer,
    pub decimals: u32,
}

impl Transfer {
    pub fn new(row: store::transfers::Transfer, db: &Database) -> ApiResult<Self> {
        let decimals = db.asset_decimals(&row.asset_type_id).ok_or_else(|| {
            ApiError::internal(&format!("transfer of unknown asset {}", row.asset_type_id))
        })?;
        Ok(Self { row, decimals })
    }
}

/// A transfer between two accounts of one client, in one asset: REQUESTED with a hold on
/// the source until accepted (EXECUTED), cancelled, rejected or expired.
#[Object]
impl Transfer {
    /// The transfer's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Transfer, self.row.id.0)
    }
    /// Where the transfer stands (a REQUESTED transfer past validUntil is EXPIRED).
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<TransferStatus> {
        Ok(self.row.status_at(crate::graphql::request(ctx)?.cx().now))
    }
    /// The account the money leaves.
    async fn source_account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        account_of(ctx, self.row.source_account_id).await
    }
    /// The account the money reaches.
    async fn destination_account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        account_of(ctx, self.row.destination_account_id).await
    }
    /// The asset both accounts hold.
    async fn asset_type_id(&self) -> &str {
        &self.row.asset_type_id
    }
    /// The amount, in the asset's unit.
    async fn amount(&self) -> Decimal {
        Decimal(from_minor_units(self.row.amount, self.decimals))
    }
    /// The description given at creation.
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }
    /// Until when it may be accepted; after that it expires and its hold is released.
    async fn valid_until(&self) -> DateTime<Utc> {
        self.row.valid_until.0
    }
    /// Why it was rejected, when it was.
    async fn rejection_reason(&self) -> Option<&str> {
        self.row.rejection_reason.as_deref()
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at.0
    }
    /// When its status last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at.0
    }
}
