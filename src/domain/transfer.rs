//! Transfers between two accounts of one client, in one asset: the platform's statuses and
//! which may follow which. Acceptance executes at once, so ACCEPTED is never stored.

use crate::db::types::text_enum;

text_enum! {
    /// Where a transfer stands.
    #[derive(async_graphql::Enum)]
    TransferStatus {
        /// Created; the amount is on hold on the source until accepted, cancelled or expired.
        Requested = "REQUESTED",
        /// Accepted for execution (executed in the same step here, so never observed).
        Accepted = "ACCEPTED",
        /// Not accepted before `validUntil`; the hold was released.
        Expired = "EXPIRED",
        /// Cancelled before acceptance; the hold was released.
        Cancelled = "CANCELLED",
        /// Done: the money left the source and reached the destination.
        Executed = "EXECUTED",
        /// Refused at acceptance (see `rejectionReason`); the hold was released.
        Rejected = "REJECTED",
    }
}

impl TransferStatus {
    /// The statuses that may follow this one.
    pub fn allowed_next(self) -> &'static [TransferStatus] {
        use TransferStatus::*;
        match self {
            Requested => &[Accepted, Executed, Rejected, Cancelled, Expired],
            Accepted => &[Executed, Rejected],
            Expired | Cancelled | Executed | Rejected => &[],
        }
    }

    /// Whether a transfer in this status still holds money on its source.
    pub fn holds_funds(self) -> bool {
        matches!(self, Self::Requested | Self::Accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_requested_transfer_moves_and_every_end_is_final() {
        for status in TransferStatus::ALL {
            let next = status.allowed_next();
            assert_eq!(next.is_empty(), !status.holds_funds(), "{status}");
            assert!(!next.contains(status), "{status} cannot follow itself");
            assert!(!next.contains(&TransferStatus::Requested));
        }
    }
}
