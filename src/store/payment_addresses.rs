//! Payment addresses (address leases) of PAYMENT_BASIC accounts: issuing one, reading them,
//! and counting a payment against a lease atomically (one conditional UPDATE).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::payment_addresses;
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::ids::{AccountKey, ClientId, PaymentAddressId, PayorKey};
use crate::domain::payment_address::Lease;
use crate::domain::tenancy::Scope;

/// A payment address row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_addresses)]
pub struct PaymentAddress {
    pub id: PaymentAddressId,
    pub client_id: ClientId,
    pub account_id: AccountKey,
    pub payor_id: PayorKey,
    pub wallet_address: String,
    pub asset_type_id: String,
    pub payment_reference: String,
    /// The amount expected, in minor units, if one was given.
    pub expected_amount: Option<i64>,
    pub lease_enforced: bool,
    pub lease_end_date: Option<Timestamp>,
    pub lease_transaction_limit: Option<i64>,
    pub lease_value_limit: Option<i64>,
    pub transactions_received: i64,
    pub value_received: i64,
    pub created_at: Timestamp,
}

impl PaymentAddress {
    /// The lease terms of this address.
    pub fn lease(&self) -> Lease {
        Lease {
            enforced: self.lease_enforced,
            end_date: self.lease_end_date.map(|t| t.0),
            transaction_limit: self.lease_transaction_limit,
            value_limit: self.lease_value_limit,
        }
    }
}

/// Inserts an address. Its wallet address is unique across the platform (a clash, which
/// random 160-bit addresses make vanishingly rare, is `AlreadyExists`).
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    address: &PaymentAddress,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, address.client_id)?;
    dispatch!(conn, c => {
        diesel::insert_into(payment_addresses::table).values(address).execute(c).await?;
    });
    Ok(())
}

/// Addresses by key, those the scope reaches.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[PaymentAddressId],
) -> Result<Vec<PaymentAddress>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            payment_addresses::table,
            payment_addresses::client_id,
            scope,
            account = payment_addresses::account_id
        )
            .filter(payment_addresses::id.eq_any(keys))
            .select(PaymentAddress::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// The addresses of accounts, oldest first.
pub async fn for_accounts(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
) -> Result<Vec<PaymentAddress>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            payment_addresses::table.filter(payment_addresses::account_id.eq_any(accounts)),
            payment_addresses::client_id,
            scope,
            account = payment_addresses::account_id
        )
        .order((payment_addresses::created_at, payment_addresses::id))
        .select(PaymentAddress::as_select())
        .load(c)
        .await?
    });
    Ok(found)
}

/// Counts a payment of `amount` against an address's lease, inside the payment's
/// transaction: one UPDATE that applies only while the lease allows it (not ended, under its
/// transaction and value limits), so concurrent payments cannot together exceed its limits.
/// `false` when the lease refused it; the caller explains which term (`check_lease`).
pub async fn count_payment(
    tx: &mut Conn<'_>,
    scope: &Scope,
    address: &PaymentAddress,
    amount: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, address.client_id)?;
    let updated = dispatch!(tx, c => {
        diesel::update(
            payment_addresses::table
                .filter(payment_addresses::id.eq(address.id))
                .filter(payment_addresses::client_id.eq(address.client_id))
                .filter(
                    payment_addresses::lease_end_date
                        .is_null()
                        .or(payment_addresses::lease_end_date.gt(now)),
                )
                .filter(
                    payment_addresses::lease_transaction_limit.is_null().or(
                        payment_addresses::transactions_received
                            .lt(payment_addresses::lease_transaction_limit.assume_not_null()),
                    ),
                )
                .filter(
                    // `received <= limit - amount`: no sum that could overflow.
                    payment_addresses::lease_value_limit.is_null().or(
                        payment_addresses::value_received
                            .le(payment_addresses::lease_value_limit.assume_not_null() - amount),
                    ),
                ),
        )
        .set((
            payment_addresses::transactions_received
                .eq(payment_addresses::transactions_received + 1),
            payment_addresses::value_received.eq(payment_addresses::value_received + amount),
        ))
        .execute(c)
        .await?
    });
    Ok(updated > 0)
}
