//! Internal keys: UUID v7, time-ordered. Customers, accounts and payors also carry an id that
//! the client chooses (`customerId`, `accountId`, `payorId`), so their internal keys are `*Key`.

use crate::db::types::uuid_id;

uuid_id!(
    /// A client (tenant) of the platform.
    ClientId
);
uuid_id!(
    /// An API key.
    ApiKeyId
);
uuid_id!(
    /// A customer's internal key (its `customerId` is the client's own reference).
    CustomerKey
);
uuid_id!(
    /// An entry in a customer's status history.
    StatusHistoryId
);
uuid_id!(
    /// An application.
    ApplicationId
);
uuid_id!(
    /// An account's internal key (its `accountId` is the client's own reference).
    AccountKey
);
uuid_id!(
    /// A payor's internal key (its `payorId` is the client's own reference).
    PayorKey
);
uuid_id!(
    /// A person attached to a corporate application (becomes a customer individual).
    ApplicationIndividualId
);
uuid_id!(
    /// A document requirement of an application; derived from what it requires (see
    /// `domain::application::documents::requirement_id`), so it exists before any upload.
    DocumentId
);
uuid_id!(
    /// An entry in an account's status history.
    AccountHistoryId
);
uuid_id!(
    /// A payment address (an address lease) of an account.
    PaymentAddressId
);
uuid_id!(
    /// A transaction on an account's statement.
    TransactionId
);
uuid_id!(
    /// A ledger entry.
    LedgerEntryId
);
uuid_id!(
    /// The entries of one movement in the ledger, which sum to zero.
    PostingId
);
uuid_id!(
    /// A transfer between two accounts of a client.
    TransferId
);
