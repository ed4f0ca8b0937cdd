//! Events: what happened to a client's objects, one per change, written in the same
//! transaction as the change. Each names its type, its subject and what changed (field
//! names, and for statuses the values moved from and to; detail values are never carried,
//! so nothing sensitive leaves through an event).

use crate::domain::client::Actor;
use crate::domain::ids::id_type;
use crate::domain::value_enum::value_enum;

id_type!(
    /// An event.
    EventId
);

value_enum! {
    /// What happened. The platform's own types, and ours in the same style.
    EventType {
        /// An application was created (INCOMPLETE or already READY_FOR_SUBMISSION).
        ApplicationCreated = "APPLICATION_CREATED",
        /// An application lost a requirement it had met, and is INCOMPLETE again.
        ApplicationIncomplete = "APPLICATION_INCOMPLETE",
        /// Every requirement of an application is met: the client may submit it.
        ApplicationReadyForSubmission = "APPLICATION_READY_FOR_SUBMISSION",
        /// The client submitted an application.
        ApplicationSubmitted = "APPLICATION_SUBMITTED",
        /// The platform began reviewing an application.
        ApplicationProcessing = "APPLICATION_PROCESSING",
        /// The platform asked for changes to an application.
        ApplicationChangeRequested = "APPLICATION_CHANGE_REQUESTED",
        /// The platform rejected an application for good.
        ApplicationRejected = "APPLICATION_REJECTED",
        /// The platform approved an application: its customer and account exist.
        ApplicationApproved = "APPLICATION_APPROVED",
        /// A document was uploaded to an application.
        DocumentUploaded = "DOCUMENT_UPLOADED",
        /// The platform verified or rejected an application's document.
        DocumentReviewed = "DOCUMENT_REVIEWED",
        /// A customer was created (directly, or by an approval).
        CustomerCreated = "CUSTOMER_CREATED",
        /// A customer's details, flag or people changed.
        CustomerUpdated = "CUSTOMER_UPDATED",
        /// A customer's status changed.
        CustomerStatusChanged = "CUSTOMER_STATUS_CHANGED",
        /// An account was opened.
        AccountOpened = "ACCOUNT_OPENED",
        /// An account's status changed (by the client, or by its customer's cascade).
        AccountStatusChanged = "ACCOUNT_STATUS_CHANGED",
        /// A payor was created.
        PayorCreated = "PAYOR_CREATED",
        /// A payor's details changed.
        PayorUpdated = "PAYOR_UPDATED",
        /// A payment address was issued.
        PaymentAddressCreated = "PAYMENT_ADDRESS_CREATED",
        /// Money arrived on an account (posted).
        PaymentConfirmed = "PAYMENT_CONFIRMED",
        /// A transfer was requested; its amount is held on the source.
        TransferRequested = "TRANSFER_REQUESTED",
        /// A transfer was accepted and executed.
        TransferExecuted = "TRANSFER_EXECUTED",
        /// A transfer was accepted but could not execute, and was rejected.
        TransferRejected = "TRANSFER_REJECTED",
        /// A transfer was cancelled before it executed.
        TransferCancelled = "TRANSFER_CANCELLED",
        /// A transfer passed its validity unaccepted; its hold was released.
        TransferExpired = "TRANSFER_EXPIRED",
        /// A webhook subscription was disabled because its deliveries failed for the whole
        /// retry window.
        WebhookSubscriptionDisabled = "WEBHOOK_SUBSCRIPTION_DISABLED",
        /// A test event, sent by `pingWebhookSubscription` to that subscription only.
        Ping = "PING",
    }
}

value_enum! {
    /// The kind of object an event is about.
    SubjectKind {
        /// A customer.
        Customer = "CUSTOMER",
        /// An application.
        Application = "APPLICATION",
        /// An application's document.
        ApplicationDocument = "APPLICATION_DOCUMENT",
        /// An account.
        Account = "ACCOUNT",
        /// A payor.
        Payor = "PAYOR",
        /// A payment address.
        PaymentAddress = "PAYMENT_ADDRESS",
        /// A transaction on an account.
        Transaction = "TRANSACTION",
        /// A transfer.
        Transfer = "TRANSFER",
        /// A webhook subscription.
        WebhookSubscription = "WEBHOOK_SUBSCRIPTION",
    }
}

/// One changed field: for statuses the values it moved between; for details only the
/// field's name (its values stay on the object, behind its masking).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Change {
    /// A value moved from `from` (none when it is new) to `to`.
    pub fn moved(field: &str, from: Option<&str>, to: &str) -> Self {
        Self {
            field: field.to_owned(),
            from: from.map(str::to_owned),
            to: Some(to.to_owned()),
        }
    }

    /// The field changed; its values are not carried.
    pub fn named(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            from: None,
            to: None,
        }
    }
}

/// An event to record: its type and subject, and what the change was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Happened {
    pub event_type: EventType,
    pub subject_kind: SubjectKind,
    pub subject_id: uuid::Uuid,
    /// The client's own id of the customer it concerns, if any.
    pub customer_ref: Option<String>,
    /// The client's own id of the account it concerns, if any.
    pub account_ref: Option<String>,
    pub changes: Vec<Change>,
    pub reason: Option<String>,
    /// Who made the change, when not the operation's caller (a cascade, an expiry).
    pub actor: Option<Actor>,
}

impl Happened {
    /// An event of `event_type` about `subject_id` (a `subject_kind`).
    pub fn new(event_type: EventType, subject_kind: SubjectKind, subject_id: uuid::Uuid) -> Self {
        Self {
            event_type,
            subject_kind,
            subject_id,
            customer_ref: None,
            account_ref: None,
            changes: Vec::new(),
            reason: None,
            actor: None,
        }
    }

    /// About the customer the client calls `customer_id`.
    pub fn customer(mut self, customer_id: &str) -> Self {
        self.customer_ref = Some(customer_id.to_owned());
        self
    }

    /// About the account the client calls `account_id`.
    pub fn account(mut self, account_id: &str) -> Self {
        self.account_ref = Some(account_id.to_owned());
        self
    }

    /// With these changes.
    pub fn changes(mut self, changes: Vec<Change>) -> Self {
        self.changes = changes;
        self
    }

    /// A status moved from `from` to `to`.
    pub fn status(self, from: Option<&str>, to: &str) -> Self {
        self.changes(vec![Change::moved("status", from, to)])
    }

    /// With the change's reason.
    pub fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }

    /// Made by `actor` rather than the caller.
    pub fn by(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }
}
