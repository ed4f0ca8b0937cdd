//! Refused money movements, explained. The store applies each balance change, and each
//! payment's count against an address's lease, by one conditional UPDATE and only reports
//! that it matched no row; here the row is read again, inside the same transaction, and
//! weighed with the same domain rules (`check_transact`, `check_balance`, `check_lease`), so
//! every refusal has one code and one message.

use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::ids::AccountKey;
use crate::domain::ledger::{BalanceRefusal, check_balance};
use crate::domain::payment_address::{LeaseRefusal, check_lease};
use crate::domain::status::{CannotTransact, check_transact};
use crate::domain::tenancy::Scope;
use crate::ops::OpError;
use crate::ops::money::cannot_transact;
use crate::store::ledger::Refused;
use crate::store::payment_addresses::PaymentAddress;
use crate::store::{self, StoreError};

/// Why a posting stopped at an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostRefusal {
    /// The account's or its customer's status forbids money moving (weighed only for the
    /// accounts that must transact).
    CannotTransact(AccountKey, CannotTransact),
    /// The account's balances cannot take the change.
    Balance(AccountKey, BalanceRefusal),
}

/// The refusal a posting met, explained as the client sees it: `side` names the account
/// that stopped it (`"source"`, `"destination"`), where a movement has more than one. Call
/// inside the posting's transaction, which the error then rolls back.
pub async fn posting(
    tx: &mut Conn<'_>,
    scope: &Scope,
    refused: Refused,
    side: impl Fn(AccountKey) -> Option<&'static str>,
) -> OpError {
    match explain_posting(tx, scope, refused).await {
        Ok(refusal) => post_refusal(refusal, side),
        Err(error) => error.into(),
    }
}

/// Why `refused` matched no row, from the account as it is now: its status (or its
/// customer's) when it had to transact, else the balance cap or its funds. A change that no
/// rule refuses on the row as read is reported as short funds.
pub async fn explain_posting(
    tx: &mut Conn<'_>,
    scope: &Scope,
    refused: Refused,
) -> Result<PostRefusal, StoreError> {
    let Refused { change, guarded } = refused;
    let account = change.account;
    let standing = store::accounts::standing(tx, scope, account)
        .await?
        .ok_or(StoreError::NotFound)?;
    if guarded && let Err(why) = check_transact(standing.customer_status, standing.account_status) {
        return Ok(PostRefusal::CannotTransact(account, why));
    }
    let why = check_balance(
        &change,
        standing.current_balance,
        standing.available_balance,
    )
    .err()
    .unwrap_or(BalanceRefusal::InsufficientFunds);
    Ok(PostRefusal::Balance(account, why))
}

/// A posting's refusal as an operation's error; `side` names the account that stopped it.
pub fn post_refusal(
    refusal: PostRefusal,
    side: impl Fn(AccountKey) -> Option<&'static str>,
) -> OpError {
    match refusal {
        PostRefusal::Balance(_, why) => OpError::Rule {
            code: why.code(),
            message: why.message().into(),
        },
        PostRefusal::CannotTransact(account, why) => match side(account) {
            Some(side) => cannot_transact(side, why),
            None => OpError::CannotTransact {
                reason: why.reason_code(),
                message: why.to_string(),
            },
        },
    }
}

/// The term of `address`'s lease that refused a payment of `amount` at `now`, as the
/// client sees it (`CUSTOMER_CANNOT_TRANSACT`, `extensions.reason` naming the term). Call
/// inside the payment's transaction.
pub async fn lease(
    tx: &mut Conn<'_>,
    scope: &Scope,
    address: &PaymentAddress,
    amount: i64,
    now: Timestamp,
) -> OpError {
    match explain_lease(tx, scope, address, amount, now).await {
        Ok(refusal) => lease_refusal(refusal),
        Err(error) => error.into(),
    }
}

/// Which term refused the payment, from the address as it is now. A payment that no term
/// refuses on the row as read is reported as an ended lease.
pub async fn explain_lease(
    tx: &mut Conn<'_>,
    scope: &Scope,
    address: &PaymentAddress,
    amount: i64,
    now: Timestamp,
) -> Result<LeaseRefusal, StoreError> {
    let current = store::payment_addresses::find_many(tx, scope, &[address.id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)?;
    Ok(check_lease(
        &current.lease(),
        current.transactions_received,
        current.value_received,
        amount,
        now.0,
    )
    .err()
    .unwrap_or(LeaseRefusal::Ended))
}

/// A lease's refusal as an operation's error.
pub fn lease_refusal(refusal: LeaseRefusal) -> OpError {
    OpError::CannotTransact {
        reason: refusal.reason_code(),
        message: refusal.message().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::CustomerStatus;

    #[test]
    fn each_posting_refusal_keeps_its_code_reason_and_side() {
        let (a, b) = (AccountKey::new(), AccountKey::new());
        let side = |account| (account == a).then_some("source");
        assert_eq!(
            post_refusal(
                PostRefusal::Balance(a, BalanceRefusal::InsufficientFunds),
                side
            ),
            OpError::Rule {
                code: "INSUFFICIENT_FUNDS",
                message: "the account's available balance is too low for this amount".into(),
            }
        );
        assert_eq!(
            post_refusal(PostRefusal::Balance(b, BalanceRefusal::BalanceLimit), side),
            OpError::Rule {
                code: "BALANCE_LIMIT_EXCEEDED",
                message: "the account would hold more than the platform allows".into(),
            }
        );
        let frozen = CannotTransact::Customer(CustomerStatus::Frozen);
        assert_eq!(
            post_refusal(PostRefusal::CannotTransact(a, frozen), side),
            OpError::CannotTransact {
                reason: "CUSTOMER_STATUS",
                message: format!("source: {frozen}"),
            }
        );
        assert_eq!(
            post_refusal(PostRefusal::CannotTransact(b, frozen), side),
            OpError::CannotTransact {
                reason: "CUSTOMER_STATUS",
                message: frozen.to_string(),
            }
        );
    }

    #[test]
    fn each_lease_refusal_keeps_its_reason_and_message() {
        for refusal in [
            LeaseRefusal::Ended,
            LeaseRefusal::TransactionLimit,
            LeaseRefusal::ValueLimit,
        ] {
            let error = lease_refusal(refusal);
            assert_eq!(error.code(), "CUSTOMER_CANNOT_TRANSACT");
            assert_eq!(
                error,
                OpError::CannotTransact {
                    reason: refusal.reason_code(),
                    message: refusal.message().into(),
                }
            );
        }
    }
}
