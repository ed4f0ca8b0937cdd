//! The ledger's consistency checks: every account's balances against its entries, postings
//! that do not balance, open holds, and entries on another account than their transaction's.
//! Read-only; the operator's reconciliation and the tests use them.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{account_transactions, accounts, ledger_entries};
use crate::db::{Conn, dispatch};
use crate::domain::ids::{AccountKey, ClientId, PostingId};
use crate::domain::ledger::{Bucket, TransactionStatus};
use crate::store::StoreError;

/// An account's balances beside what its ledger entries add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The client's `accountId`.
    pub account_id: String,
    pub current_balance: i64,
    pub available_balance: i64,
    pub ledger_current: i64,
    pub ledger_available: i64,
}

/// Every account's balances against its ledger (one client's, or every client's).
pub async fn reconcile(
    conn: &mut Conn<'_>,
    client: Option<ClientId>,
) -> Result<Vec<Reconciliation>, StoreError> {
    let balances: Vec<(AccountKey, String, i64, i64)> = dispatch!(conn, c => {
        let mut query = accounts::table
            .select((
                accounts::id,
                accounts::external_id,
                accounts::current_balance,
                accounts::available_balance,
            ))
            .into_boxed();
        if let Some(client) = client {
            query = query.filter(accounts::client_id.eq(client));
        }
        query.load(c).await?
    });
    let entries: Vec<(Option<AccountKey>, Bucket, i64)> = dispatch!(conn, c => {
        let mut query = ledger_entries::table
            .filter(ledger_entries::account_id.is_not_null())
            .select((ledger_entries::account_id, ledger_entries::bucket, ledger_entries::amount))
            .into_boxed();
        if let Some(client) = client {
            query = query.filter(ledger_entries::client_id.eq(client));
        }
        query.load(c).await?
    });
    Ok(balances
        .into_iter()
        .map(|(key, account_id, current, available)| {
            let mine = entries.iter().filter(|(a, _, _)| *a == Some(key));
            let (mut ledger_current, mut ledger_available) = (0, 0);
            for (_, bucket, amount) in mine {
                ledger_current += amount;
                if *bucket == Bucket::Available {
                    ledger_available += amount;
                }
            }
            Reconciliation {
                account_id,
                current_balance: current,
                available_balance: available,
                ledger_current,
                ledger_available,
            }
        })
        .collect())
}

/// How many postings' entries do not sum to zero (always none).
pub async fn unbalanced_postings(conn: &mut Conn<'_>) -> Result<i64, StoreError> {
    let entries: Vec<(PostingId, i64)> = dispatch!(conn, c => {
        ledger_entries::table
            .select((ledger_entries::posting_id, ledger_entries::amount))
            .load(c)
            .await?
    });
    let mut sums: std::collections::HashMap<PostingId, i128> = Default::default();
    for (posting, amount) in entries {
        *sums.entry(posting).or_default() += i128::from(amount);
    }
    Ok(sums.values().filter(|sum| **sum != 0).count() as i64)
}

/// How many holds (AUTHORIZED transactions) are open (one client's, or every client's).
pub async fn open_holds(conn: &mut Conn<'_>, client: Option<ClientId>) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        let mut query = account_transactions::table
            .filter(account_transactions::status.eq(TransactionStatus::Authorized))
            .into_boxed();
        if let Some(client) = client {
            query = query.filter(account_transactions::client_id.eq(client));
        }
        query.count().get_result(c).await?
    });
    Ok(n)
}

/// How many entries sit on another account than their transaction's (always none: each
/// transaction's entries are on its own account, the outside world's aside).
pub async fn misattributed_entries(conn: &mut Conn<'_>) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        ledger_entries::table
            .inner_join(account_transactions::table)
            .filter(ledger_entries::account_id.ne(account_transactions::account_id.nullable()))
            .count()
            .get_result(c)
            .await?
    });
    Ok(n)
}
