//! Transactions and the double-entry ledger as pure rules: the platform's transaction enums,
//! and the postings each movement makes. Writing them (atomically, with the balances) is the
//! store's job (`store::ledger`).

use crate::domain::ids::AccountKey;
use crate::domain::money::MAX_BALANCE;
use crate::domain::value_enum::value_enum;

value_enum! {
    /// Where a transaction stands.
    TransactionStatus {
        /// A hold: counted in the available balance only.
        Authorized = "AUTHORIZED",
        /// Announced, not yet settled.
        Pending = "PENDING",
        /// Settled: counted in both balances.
        Posted = "POSTED",
        /// Voided; a cancelled hold no longer reduces the available balance.
        Cancelled = "CANCELLED",
    }
}

value_enum! {
    /// What moved money.
    TransactionType {
        /// Money in.
        TransferIn = "TRANSFER_IN",
        /// Money out.
        TransferOut = "TRANSFER_OUT",
        /// A fee charged.
        Fee = "FEE",
        /// A correction taking money out.
        DebitCorrection = "DEBIT_CORRECTION",
        /// A correction putting money in.
        CreditCorrection = "CREDIT_CORRECTION",
        /// A trade.
        Trade = "TRADE",
        /// A movement between accounts of the platform.
        InternalTransfer = "INTERNAL_TRANSFER",
    }
}

value_enum! {
    /// The business category of a transaction.
    CategoryType {
        /// A correction.
        Adjustment = "ADJUSTMENT",
        /// Money received from outside, e.g. from a payor.
        Deposit = "DEPOSIT",
        /// A currency exchange.
        Exchange = "EXCHANGE",
        /// A transfer between accounts.
        Transfer = "TRANSFER",
        /// Money sent out of the platform.
        Withdrawal = "WITHDRAWAL",
    }
}

value_enum! {
    /// The part of the books a ledger entry moves.
    Bucket {
        /// An account's spendable funds (its available balance).
        Available = "AVAILABLE",
        /// An account's funds on hold (current balance minus available).
        Held = "HELD",
        /// The world outside the platform: the other side of money that arrives.
        External = "EXTERNAL",
    }
}

/// One line of a posting: `amount` minor units into (positive) or out of (negative) a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `None` only for the EXTERNAL bucket.
    pub account: Option<AccountKey>,
    pub bucket: Bucket,
    pub amount: i64,
}

/// The entries of one movement; they always sum to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub entries: Vec<Entry>,
}

impl Posting {
    /// Money arriving from outside into `account`'s available funds.
    pub fn deposit(account: AccountKey, amount: i64) -> Self {
        Self::of(vec![
            (None, Bucket::External, -amount),
            (Some(account), Bucket::Available, amount),
        ])
    }

    /// A hold: `amount` moves from `account`'s available funds to its held funds.
    pub fn hold(account: AccountKey, amount: i64) -> Self {
        Self::of(vec![
            (Some(account), Bucket::Available, -amount),
            (Some(account), Bucket::Held, amount),
        ])
    }

    /// A hold released: back from held to available.
    pub fn release(account: AccountKey, amount: i64) -> Self {
        Self::of(vec![
            (Some(account), Bucket::Held, -amount),
            (Some(account), Bucket::Available, amount),
        ])
    }

    /// A hold settled: out of `source`'s held funds into `destination`'s available funds.
    pub fn settle(source: AccountKey, destination: AccountKey, amount: i64) -> Self {
        Self::of(vec![
            (Some(source), Bucket::Held, -amount),
            (Some(destination), Bucket::Available, amount),
        ])
    }

    fn of(lines: Vec<(Option<AccountKey>, Bucket, i64)>) -> Self {
        Self {
            entries: lines
                .into_iter()
                .map(|(account, bucket, amount)| Entry {
                    account,
                    bucket,
                    amount,
                })
                .collect(),
        }
    }

    /// The change to each account's (current, available) balance this posting makes:
    /// available moves with AVAILABLE entries, current with AVAILABLE and HELD ones.
    pub fn balance_changes(&self) -> Vec<BalanceChange> {
        let mut changes: Vec<BalanceChange> = Vec::new();
        for entry in &self.entries {
            let Some(account) = entry.account else {
                continue;
            };
            let index = match changes.iter().position(|c| c.account == account) {
                Some(index) => index,
                None => {
                    changes.push(BalanceChange {
                        account,
                        current: 0,
                        available: 0,
                    });
                    changes.len() - 1
                }
            };
            let change = &mut changes[index];
            change.current += entry.amount;
            if entry.bucket == Bucket::Available {
                change.available += entry.amount;
            }
        }
        changes
    }

    /// Whether the entries sum to zero (always, for the constructors above).
    pub fn is_balanced(&self) -> bool {
        self.entries
            .iter()
            .map(|e| i128::from(e.amount))
            .sum::<i128>()
            == 0
    }
}

/// How one posting changes one account's balances, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceChange {
    pub account: AccountKey,
    pub current: i64,
    pub available: i64,
}

/// Why an account's balances cannot take a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceRefusal {
    /// The current balance would exceed [`MAX_BALANCE`].
    BalanceLimit,
    /// The available (or current) balance would go below zero.
    InsufficientFunds,
}

impl BalanceRefusal {
    /// The stable error code (`extensions.code`).
    pub fn code(self) -> &'static str {
        match self {
            Self::BalanceLimit => "BALANCE_LIMIT_EXCEEDED",
            Self::InsufficientFunds => "INSUFFICIENT_FUNDS",
        }
    }

    /// What the client is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::BalanceLimit => "the account would hold more than the platform allows",
            Self::InsufficientFunds => "the account's available balance is too low for this amount",
        }
    }
}

/// Whether an account holding `current` and `available` minor units can take `change`: the
/// cap first (money arriving may not lift the current balance above [`MAX_BALANCE`]), then
/// the funds (neither balance may go below zero). The store's conditional balance UPDATE is
/// the atomic form of this rule.
pub fn check_balance(
    change: &BalanceChange,
    current: i64,
    available: i64,
) -> Result<(), BalanceRefusal> {
    if change.current > 0 && current > MAX_BALANCE - change.current {
        return Err(BalanceRefusal::BalanceLimit);
    }
    let after = |balance: i64, delta: i64| i128::from(balance) + i128::from(delta);
    if after(available, change.available) < 0 || after(current, change.current) < 0 {
        return Err(BalanceRefusal::InsufficientFunds);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_posting_balances_and_moves_the_right_balances() {
        let (a, b) = (AccountKey::new(), AccountKey::new());
        let cases = [
            (Posting::deposit(a, 500), vec![(a, 500, 500)]),
            (Posting::hold(a, 200), vec![(a, 0, -200)]),
            (Posting::release(a, 200), vec![(a, 0, 200)]),
            (
                Posting::settle(a, b, 200),
                vec![(a, -200, 0), (b, 200, 200)],
            ),
        ];
        for (posting, expected) in cases {
            assert!(posting.is_balanced(), "{posting:?}");
            let changes: Vec<_> = posting
                .balance_changes()
                .into_iter()
                .map(|c| (c.account, c.current, c.available))
                .collect();
            assert_eq!(changes, expected, "{posting:?}");
        }
    }

    #[test]
    fn a_hold_then_its_settlement_moves_current_once() {
        let (a, b) = (AccountKey::new(), AccountKey::new());
        let total: i64 = [Posting::hold(a, 70), Posting::settle(a, b, 70)]
            .iter()
            .flat_map(|p| p.balance_changes())
            .filter(|c| c.account == a)
            .map(|c| c.current)
            .sum();
        assert_eq!(total, -70);
    }

    #[test]
    fn a_balance_takes_a_change_within_its_funds_and_the_cap() {
        let a = AccountKey::new();
        let change = |current, available| BalanceChange {
            account: a,
            current,
            available,
        };
        let cases = [
            // A deposit: up to the cap, not past it.
            (change(500, 500), (0, 0), Ok(())),
            (change(500, 500), (MAX_BALANCE - 500, 0), Ok(())),
            (
                change(500, 500),
                (MAX_BALANCE - 499, 0),
                Err(BalanceRefusal::BalanceLimit),
            ),
            // A hold: from the available funds only.
            (change(0, -200), (200, 200), Ok(())),
            (
                change(0, -200),
                (500, 199),
                Err(BalanceRefusal::InsufficientFunds),
            ),
            // A settlement out of held funds, and a release back to available.
            (change(-200, 0), (200, 0), Ok(())),
            (
                change(-200, 0),
                (199, 0),
                Err(BalanceRefusal::InsufficientFunds),
            ),
            (change(0, 200), (MAX_BALANCE, 0), Ok(())),
            // The cap is weighed before the funds.
            (
                change(1, -1),
                (MAX_BALANCE, 0),
                Err(BalanceRefusal::BalanceLimit),
            ),
        ];
        for (change, (current, available), expected) in cases {
            assert_eq!(
                check_balance(&change, current, available),
                expected,
                "{change:?} on ({current}, {available})"
            );
        }
    }

    #[test]
    fn each_balance_refusal_keeps_its_code_and_message() {
        assert_eq!(
            BalanceRefusal::BalanceLimit.code(),
            "BALANCE_LIMIT_EXCEEDED"
        );
        assert_eq!(
            BalanceRefusal::InsufficientFunds.code(),
            "INSUFFICIENT_FUNDS"
        );
        assert_eq!(
            BalanceRefusal::InsufficientFunds.message(),
            "the account's available balance is too low for this amount"
        );
        assert_eq!(
            BalanceRefusal::BalanceLimit.message(),
            "the account would hold more than the platform allows"
        );
    }
}
