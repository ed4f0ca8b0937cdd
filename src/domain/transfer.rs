//! Transfers between two accounts of one client, in one asset: the platform's statuses and
//! which may follow which. Acceptance executes at once, so ACCEPTED is never stored.

use crate::domain::value_enum::value_enum;

value_enum! {
    /// Where a transfer stands.
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

/// Why two accounts cannot be a transfer's source and destination; the refusal concerns the
/// destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairRefusal {
    SameAccount,
    /// The destination's asset and the source's differ.
    AssetsDiffer {
        destination: String,
        source: String,
    },
}

impl std::fmt::Display for PairRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameAccount => f.write_str("must be another account than the source"),
            Self::AssetsDiffer {
                destination,
                source,
            } => write!(
                f,
                "holds {destination}, the source holds {source}; a transfer stays in one asset"
            ),
        }
    }
}

/// A transfer moves money between two different accounts of one asset.
pub fn check_pair<K: PartialEq>(
    (source, source_asset): (K, &str),
    (destination, destination_asset): (K, &str),
) -> Result<(), PairRefusal> {
    if source == destination {
        Err(PairRefusal::SameAccount)
    } else if source_asset != destination_asset {
        Err(PairRefusal::AssetsDiffer {
            destination: destination_asset.to_owned(),
            source: source_asset.to_owned(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_two_accounts_of_one_asset() {
        assert_eq!(check_pair((1, "USD"), (2, "USD")), Ok(()));
        assert_eq!(
            check_pair((1, "USD"), (1, "USD")),
            Err(PairRefusal::SameAccount)
        );
        assert_eq!(
            check_pair((1, "USD"), (2, "USDC")).map_err(|e| e.to_string()),
            Err("holds USDC, the source holds USD; a transfer stays in one asset".into())
        );
    }

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
