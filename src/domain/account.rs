//! Account products. Asset types are data (the `asset_types` table), not an enum.

use crate::domain::status::{AccountStatus, CustomerStatus};
use crate::domain::value_enum::value_enum;

value_enum! {
    /// The kind of account.
    ProductId {
        /// Holds funds.
        DepositBasic = "DEPOSIT_BASIC",
        /// Receives payments from payors through payment addresses.
        PaymentBasic = "PAYMENT_BASIC",
    }
}

/// Why an account cannot close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseRefusal {
    /// It still holds money, on hold or not.
    HasFunds,
    /// The default account closes only with its customer.
    DefaultAccount,
}

impl CloseRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::HasFunds => "ACCOUNT_HAS_FUNDS",
            Self::DefaultAccount => "DEFAULT_ACCOUNT_CLOSES_WITH_CUSTOMER",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::HasFunds => {
                "the account still holds funds or a hold; it closes only with zero balances"
            }
            Self::DefaultAccount => {
                "the default account closes only with its customer (close the customer instead)"
            }
        }
    }
}

/// The closing rule of one account on its own: zero balances, and not the default account.
pub fn check_close(current: i64, available: i64, is_default: bool) -> Result<(), CloseRefusal> {
    if current != 0 || available != 0 {
        return Err(CloseRefusal::HasFunds);
    }
    if is_default {
        return Err(CloseRefusal::DefaultAccount);
    }
    Ok(())
}

/// What a customer's status change does to its accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cascade {
    /// Nothing: the accounts keep their statuses.
    None,
    /// Into FROZEN (or FROZEN_L2F) from a status that is not frozen: every account that is
    /// neither closed nor frozen freezes, remembering its status.
    Freeze,
    /// Out of FROZEN to anything but CLOSED: exactly the accounts the freeze froze return
    /// to the status they had.
    Thaw,
    /// Into CLOSED: every account closes, each with zero balances.
    Close,
}

impl Cascade {
    /// The cascade of a customer's move from `from` to `to`.
    pub fn of(from: CustomerStatus, to: CustomerStatus) -> Self {
        let frozen = |s: CustomerStatus| s.base() == CustomerStatus::Frozen;
        if to == CustomerStatus::Closed {
            Self::Close
        } else if frozen(to) && !frozen(from) {
            Self::Freeze
        } else if frozen(from) && !frozen(to) {
            Self::Thaw
        } else {
            Self::None
        }
    }

    /// Where this cascade moves an account that is in `status` (remembering `frozen_from`
    /// from an earlier freeze): its new status and what it remembers, or `None` to leave
    /// it. Closing weighs the balances separately ([`check_close`], ignoring the default
    /// account rule: the default account closes with its customer).
    pub fn move_of(
        self,
        status: AccountStatus,
        frozen_from: Option<AccountStatus>,
    ) -> Option<(AccountStatus, Option<AccountStatus>)> {
        let frozen = status.base() == CustomerStatus::Frozen;
        match self {
            Self::None => None,
            _ if status == CustomerStatus::Closed => None,
            Self::Close => Some((CustomerStatus::Closed, None)),
            Self::Freeze if frozen => None,
            Self::Freeze if status.is_l2f() => Some((CustomerStatus::FrozenL2f, Some(status))),
            Self::Freeze => Some((CustomerStatus::Frozen, Some(status))),
            Self::Thaw => match frozen_from {
                Some(previous) if frozen => Some((previous, None)),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customers_move_cascades_onto_its_accounts() {
        use CustomerStatus::*;
        assert_eq!(Cascade::of(Active, Frozen), Cascade::Freeze);
        assert_eq!(Cascade::of(Frozen, Active), Cascade::Thaw);
        assert_eq!(Cascade::of(Frozen, Closed), Cascade::Close);
        assert_eq!(Cascade::of(Active, Dormant), Cascade::None);
        assert_eq!(Cascade::of(Frozen, FrozenL2f), Cascade::None);
        assert_eq!(
            Cascade::Freeze.move_of(Active, None),
            Some((Frozen, Some(Active)))
        );
        assert_eq!(
            Cascade::Freeze.move_of(EddL2f, None),
            Some((FrozenL2f, Some(EddL2f)))
        );
        assert_eq!(Cascade::Freeze.move_of(Frozen, None), None);
        assert_eq!(Cascade::Freeze.move_of(Closed, None), None);
        assert_eq!(Cascade::Thaw.move_of(Frozen, Some(Edd)), Some((Edd, None)));
        assert_eq!(Cascade::Thaw.move_of(Frozen, None), None);
        assert_eq!(Cascade::Close.move_of(Dormant, None), Some((Closed, None)));
        assert_eq!(Cascade::Close.move_of(Closed, None), None);
    }

    #[test]
    fn an_account_closes_empty_and_not_as_the_default() {
        assert_eq!(check_close(0, 0, false), Ok(()));
        assert_eq!(check_close(5, 0, false), Err(CloseRefusal::HasFunds));
        assert_eq!(check_close(5, 5, true), Err(CloseRefusal::HasFunds));
        assert_eq!(check_close(0, 0, true), Err(CloseRefusal::DefaultAccount));
    }
}
