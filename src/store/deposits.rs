//! Money arriving from outside (simulated here: there are no real rails): a POSTED
//! TRANSFER_IN on the account, counted against the payment address's lease when it came
//! through one, with the ledger's deposit posting, all in the caller's transaction.

use super::ledger::{self, AccountTransaction};
use super::payment_addresses::{self, PaymentAddress};
use super::{StoreError, payors};
use crate::db::Conn;
use crate::domain::ledger::{CategoryType, Posting, TransactionStatus, TransactionType};
use crate::store::accounts::Account;

/// Posts an incoming payment of `amount` minor units into `account` (through `address` when
/// given). Refused with `CannotTransact` when the account or its customer cannot transact
/// (checked in the balance UPDATE itself) or when the lease does not allow it.
pub async fn receive_in(
    tx: &mut Conn<'_>,
    transaction: &mut AccountTransaction,
    account: &Account,
    address: Option<&PaymentAddress>,
) -> Result<(), StoreError> {
    if let Some(address) = address {
        if let Err(refusal) =
            payment_addresses::count_payment(tx, address, transaction.value).await?
        {
            return Err(StoreError::CannotTransact {
                reason: refusal.reason_code(),
                message: refusal.message().into(),
            });
        }
        transaction.payor_id = Some(address.payor_id);
        // The address's reference identifies the payment; the payor's own goes in the
        // description.
        transaction.description = transaction.payment_reference.take();
        transaction.payment_reference = Some(address.payment_reference.clone());
        transaction.address_id = Some(address.id);
    }
    ledger::insert_transaction(tx, transaction).await?;
    ledger::post(
        tx,
        account.client_id,
        &account.asset_type_id,
        transaction.id,
        &Posting::deposit(account.id, transaction.value),
        &[account.id],
    )
    .await?;
    if let Some(address) = address {
        payors::link_to_account(tx, account.id, address.payor_id, account.client_id).await?;
    }
    Ok(())
}

/// A new incoming payment transaction (TRANSFER_IN, DEPOSIT, POSTED) for `account`, with
/// the payment's own `reference` (see [`receive_in`] for payments through an address).
pub fn incoming(account: &Account, amount: i64, reference: Option<String>) -> AccountTransaction {
    let mut transaction = AccountTransaction::new(
        account.client_id,
        account.id,
        TransactionType::TransferIn,
        CategoryType::Deposit,
        TransactionStatus::Posted,
        amount,
    );
    transaction.payment_reference = reference;
    transaction
}
