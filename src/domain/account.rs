//! Account products. Asset types are data (the `asset_types` table), not an enum.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_closes_empty_and_not_as_the_default() {
        assert_eq!(check_close(0, 0, false), Ok(()));
        assert_eq!(check_close(5, 0, false), Err(CloseRefusal::HasFunds));
        assert_eq!(check_close(5, 5, true), Err(CloseRefusal::HasFunds));
        assert_eq!(check_close(0, 0, true), Err(CloseRefusal::DefaultAccount));
    }
}
