//! The status shared by customers and accounts (DOMAIN.md, Statuses). The `_L2F` forms mean
//! the platform must act; only the operator may change a customer or account in one.

use crate::db::types::text_enum;

text_enum! {
    /// The lifecycle status of a customer or an account.
    #[derive(async_graphql::Enum)]
    CustomerStatus {
        /// In good standing: may be read, updated and transact.
        Active = "ACTIVE",
        /// Closed for good: read only.
        Closed = "CLOSED",
        /// Under enhanced due diligence: may still transact.
        Edd = "EDD",
        /// Not yet approved: may be updated, may not transact.
        Pending = "PENDING",
        /// Frozen: may be updated, may not transact.
        Frozen = "FROZEN",
        /// Inactive for a long time: may transact.
        Dormant = "DORMANT",
        /// ACTIVE, awaiting action by the platform.
        ActiveL2f = "ACTIVE_L2F",
        /// EDD, awaiting action by the platform.
        EddL2f = "EDD_L2F",
        /// PENDING, awaiting action by the platform.
        PendingL2f = "PENDING_L2F",
        /// FROZEN, awaiting action by the platform.
        FrozenL2f = "FROZEN_L2F",
        /// DORMANT, awaiting action by the platform.
        DormantL2f = "DORMANT_L2F",
    }
}

/// Accounts share the customers' status table.
pub type AccountStatus = CustomerStatus;
