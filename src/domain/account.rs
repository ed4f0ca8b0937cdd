//! Account products. Asset types are data (the `asset_types` table), not an enum.

use crate::db::types::text_enum;

text_enum! {
    /// The kind of account.
    #[derive(async_graphql::Enum)]
    ProductId {
        /// Holds funds.
        DepositBasic = "DEPOSIT_BASIC",
        /// Receives payments from payors through payment addresses.
        PaymentBasic = "PAYMENT_BASIC",
    }
}
