//! Internal keys: UUID v7, time-ordered. Customers, accounts and payors also carry an id that
//! the client chooses (`customerId`, `accountId`, `payorId`), so their internal keys are `*Key`.

/// Defines a UUID v7 newtype key. Its SQL mapping lives in `db::mappings`.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) key.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(
    /// A client (tenant) of the platform.
    ClientId
);
id_type!(
    /// An API key.
    ApiKeyId
);
id_type!(
    /// An access token (a short-lived credential a client mints for a browser or app).
    AccessTokenId
);
id_type!(
    /// A customer's internal key (its `customerId` is the client's own reference).
    CustomerKey
);
id_type!(
    /// An entry in a customer's status history.
    StatusHistoryId
);
id_type!(
    /// An application.
    ApplicationId
);
id_type!(
    /// An account's internal key (its `accountId` is the client's own reference).
    AccountKey
);
id_type!(
    /// A payor's internal key (its `payorId` is the client's own reference).
    PayorKey
);
id_type!(
    /// A person attached to a corporate application (becomes a customer individual).
    ApplicationIndividualId
);
id_type!(
    /// A document requirement of an application; derived from what it requires (see
    /// `domain::application::documents::requirement_id`), so it exists before any upload.
    DocumentId
);
id_type!(
    /// An entry in an account's status history.
    AccountHistoryId
);
id_type!(
    /// A payment address (an address lease) of an account.
    PaymentAddressId
);
id_type!(
    /// A transaction on an account's statement.
    TransactionId
);
id_type!(
    /// A ledger entry.
    LedgerEntryId
);
id_type!(
    /// The entries of one movement in the ledger, which sum to zero.
    PostingId
);
id_type!(
    /// A transfer between two accounts of a client.
    TransferId
);
