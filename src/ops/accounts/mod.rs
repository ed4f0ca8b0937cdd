//! Accounts: opening another one for a customer, and moving one along the status table.

pub mod change_account_status;
pub mod open_account;
