//! Recording events: an operation calls [`emit`] inside its unit of work for every change
//! it makes, so the event commits, or rolls back, with the change; the unit of work seals
//! (numbers) them last. Reading them back is [`page`].

use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::application::ApplicationStatus;
use crate::domain::client::Actor;
use crate::domain::event::{Change, EventId, EventType, Happened, SubjectKind};
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::tenancy::Principal;
use crate::domain::transfer::TransferStatus;
use crate::ops::{App, Cx, OpError, OpResult, target_client, uow};
use crate::store;
use crate::store::accounts::Account;
use crate::store::applications::Application;
use crate::store::customers::Customer;
use crate::store::events::{Event, Filter, SubjectId};
use crate::store::transfers::Transfer;

/// Records `happened` to `client`'s data, by the caller (or by the actor it names), at the
/// operation's instant, for the operation's request.
pub async fn emit(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    client: ClientId,
    happened: Happened,
) -> OpResult<()> {
    record(tx, cx, client, happened).await.map(|_| ())
}

/// [`emit`], answering the new event's id.
pub async fn record(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    client: ClientId,
    happened: Happened,
) -> OpResult<EventId> {
    let changes = serde_json::to_string(&happened.changes)
        .map_err(|e| OpError::internal(&format!("an event's changes: {e}")))?;
    let event = Event {
        id: EventId::new(),
        client_id: client,
        sequence: None,
        event_type: happened.event_type,
        occurred_at: cx.now,
        subject_kind: happened.subject_kind,
        subject_id: SubjectId(happened.subject_id),
        customer_ref: happened.customer_ref,
        account_ref: happened.account_ref,
        changes,
        actor: happened.actor.unwrap_or_else(|| cx.principal.actor()),
        reason: happened.reason,
        request_id: cx.request_id.map(str::to_owned),
    };
    store::events::insert(tx, &cx.scope(), &event).await?;
    Ok(event.id)
}

/// The most events one page holds.
pub const MAX_PAGE: i64 = 100;

/// Up to `first` events of the caller's client (the operator names `client`) after the
/// sequence `after`, in sequence order, that `filter` selects; and whether more follow.
pub async fn page(
    cx: &Cx<'_>,
    client: Option<ClientId>,
    after: i64,
    first: i64,
    filter: &Filter,
) -> OpResult<(Vec<Event>, bool)> {
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(OpError::bad_input(
            "first",
            format!("must be between 0 and {MAX_PAGE}"),
        ));
    }
    let Some(client) = target_client(cx.principal, client)? else {
        return Ok((Vec::new(), false));
    };
    let mut pooled = cx.db.read().await?;
    let mut events = store::events::page(
        &mut pooled.conn(),
        &cx.scope(),
        client,
        after,
        first + 1,
        filter,
    )
    .await?;
    let more = events.len() > usize::try_from(first).unwrap_or(usize::MAX);
    events.truncate(usize::try_from(first).unwrap_or(0));
    Ok((events, more))
}

/// Deletes up to `limit` events older than the retention (`Settings::event_retention`);
/// how many went.
pub async fn sweep(app: &App, limit: i64) -> OpResult<usize> {
    let system = Principal::system();
    let cx = app.cx(&system);
    let retention = chrono::Duration::from_std(cx.settings.event_retention)
        .map_err(|e| OpError::internal(&e.to_string()))?;
    let before = Timestamp(cx.now.0 - retention);
    uow::unit!(&cx, None, tx => {
        Ok::<_, OpError>(store::events::sweep(tx, before, limit).await?)
    })?
    .done()
}

/// `CUSTOMER_CREATED` for `customer`.
pub async fn customer_created(tx: &mut Conn<'_>, cx: &Cx<'_>, customer: &Customer) -> OpResult<()> {
    let happened = Happened::new(
        EventType::CustomerCreated,
        SubjectKind::Customer,
        customer.id.0,
    )
    .customer(&customer.external_id)
    .status(None, customer.status.as_str());
    emit(tx, cx, customer.client_id, happened).await
}

/// `ACCOUNT_OPENED` for `account`, of the customer the client calls `customer_ref`.
pub async fn account_opened(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    account: &Account,
    customer_ref: &str,
) -> OpResult<()> {
    let happened = Happened::new(EventType::AccountOpened, SubjectKind::Account, account.id.0)
        .customer(customer_ref)
        .account(&account.external_id)
        .status(None, account.status.as_str());
    emit(tx, cx, account.client_id, happened).await
}

/// `ACCOUNT_STATUS_CHANGED` for `account` (as it was), moved to `to` for `reason`; `actor`
/// names who moved it when not the caller (a cascade).
pub async fn account_status_changed(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    (account, customer_ref): (&Account, &str),
    to: &str,
    reason: &str,
    actor: Option<Actor>,
) -> OpResult<()> {
    let mut happened = Happened::new(
        EventType::AccountStatusChanged,
        SubjectKind::Account,
        account.id.0,
    )
    .customer(customer_ref)
    .account(&account.external_id)
    .status(Some(account.status.as_str()), to)
    .reason(reason);
    happened.actor = actor;
    emit(tx, cx, account.client_id, happened).await
}

/// `CUSTOMER_UPDATED` for `customer`, naming the fields that changed (never their values).
pub async fn customer_updated(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: &Customer,
    fields: &[String],
    reason: &str,
) -> OpResult<()> {
    let happened = Happened::new(
        EventType::CustomerUpdated,
        SubjectKind::Customer,
        customer.id.0,
    )
    .customer(&customer.external_id)
    .changes(fields.iter().map(|f| Change::named(f)).collect())
    .reason(reason);
    emit(tx, cx, customer.client_id, happened).await
}

/// The client's own id of the customer `key` (what events name it by).
pub async fn customer_ref(tx: &mut Conn<'_>, cx: &Cx<'_>, key: CustomerKey) -> OpResult<String> {
    store::customers::find(tx, &cx.scope(), key)
        .await?
        .map(|customer| customer.external_id)
        .ok_or_else(|| OpError::internal(&"an event's customer is missing"))
}

/// The event of `transfer` having moved (from REQUESTED, or new when `from` is `None`) to
/// its status now: named by its source account and that account's customer.
pub async fn transfer_moved(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    transfer: &Transfer,
    from: Option<TransferStatus>,
    reason: Option<&str>,
) -> OpResult<()> {
    let event_type = match transfer.status {
        TransferStatus::Requested => EventType::TransferRequested,
        TransferStatus::Accepted | TransferStatus::Executed => EventType::TransferExecuted,
        TransferStatus::Rejected => EventType::TransferRejected,
        TransferStatus::Cancelled => EventType::TransferCancelled,
        TransferStatus::Expired => EventType::TransferExpired,
    };
    let source = store::accounts::find_many(tx, &cx.scope(), &[transfer.source_account_id])
        .await?
        .pop()
        .ok_or_else(|| OpError::internal(&"a transfer's source account is missing"))?;
    let customer = customer_ref(tx, cx, source.customer_id).await?;
    let mut happened = Happened::new(event_type, SubjectKind::Transfer, transfer.id.0)
        .customer(&customer)
        .account(&source.external_id)
        .status(from.map(TransferStatus::as_str), transfer.status.as_str());
    happened.reason = reason.map(str::to_owned);
    if transfer.status == TransferStatus::Expired {
        happened.actor = Some(Actor::System);
    }
    emit(tx, cx, transfer.client_id, happened).await
}

/// The event of `application` having reached its status (from `from`; created when `None`).
pub async fn application_moved(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    application: &Application,
    from: Option<ApplicationStatus>,
    reason: &str,
) -> OpResult<()> {
    let event_type = match (from, application.status) {
        (None, _) => EventType::ApplicationCreated,
        (Some(_), ApplicationStatus::Incomplete) => EventType::ApplicationIncomplete,
        (Some(_), ApplicationStatus::ReadyForSubmission) => {
            EventType::ApplicationReadyForSubmission
        }
        (Some(_), ApplicationStatus::Submitted) => EventType::ApplicationSubmitted,
        (Some(_), ApplicationStatus::Processing) => EventType::ApplicationProcessing,
        (Some(_), ApplicationStatus::ChangesRequested) => EventType::ApplicationChangeRequested,
        (Some(_), ApplicationStatus::Rejected) => EventType::ApplicationRejected,
        (Some(_), ApplicationStatus::Approved) => EventType::ApplicationApproved,
    };
    let happened = Happened::new(event_type, SubjectKind::Application, application.id.0)
        .customer(&application.customer_external_id)
        .status(
            from.map(ApplicationStatus::as_str),
            application.status.as_str(),
        )
        .reason(reason)
        .by(crate::ops::applications::actor(cx));
    emit(tx, cx, application.client_id, happened).await
}
