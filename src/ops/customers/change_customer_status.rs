//! `changeCustomerStatus`: a customer moves along the status table, its history written and
//! its accounts moved (frozen, thawed or closed) in the same transaction.

use crate::db::Conn;
use crate::domain::account::{Cascade, CloseRefusal, check_close};
use crate::domain::dormancy::Activity;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ClientId, StatusHistoryId};
use crate::domain::status::{CustomerStatus, check_transition};
use crate::domain::validation::Problems;
use crate::ops::customers::activity;
use crate::ops::customers::{check_note, find_customer, lost_race, stale, transition_refusal};
use crate::ops::events;
use crate::ops::money::expire_transfers::settle_overdue_of_customer;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::accounts::AccountStatusChange;
use crate::store::customers::{ChangeNote, Customer, StatusHistoryEntry};

/// What `changeCustomerStatus` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub customer_id: String,
    pub to: CustomerStatus,
    pub reason: String,
    pub updated_by: String,
    pub expected_version: Option<i64>,
    pub client: Option<ClientId>,
}

/// Moves the customer; the customer in its new status.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Customer> {
    let mut problems = Problems::new();
    check_note(&mut problems, &input.reason, &input.updated_by);
    OpError::check(problems.into_errors())?;
    let customer = {
        let mut pooled = cx.db.conn().await?;
        find_customer(&mut pooled.conn(), cx, &input.customer_id, input.client).await?
    };
    if input.to == CustomerStatus::Closed {
        // Overdue transfers' holds no longer count when the accounts are weighed.
        settle_overdue_of_customer(cx, customer.id).await?;
    }
    // A stale version is a conflict first: the caller decided on a state that is gone.
    stale(input.expected_version, customer.version)?;
    let role = cx.principal.role();
    let (from, to) = (customer.status, input.to);
    check_transition(from, to, role)
        .map_err(|e| transition_refusal("customer", from, to, role, e))?;
    let note = ChangeNote {
        reason: &input.reason,
        updated_by: &input.updated_by,
        actor: cx.principal.actor(),
    };
    uow::unit!(cx, None, tx => {
        let moved = change(tx, cx, &customer, to, &note).await?;
        let changed = Activity::StatusChanged;
        let noted = activity::note(tx, cx, (moved.id, moved.client_id), changed).await?;
        OpResult::Ok(noted.unwrap_or(moved))
    })?
    .done()
}

/// The body: the compare-and-set on the status and version the rule was weighed on, the
/// history entry, then the cascade onto the accounts. Also the move of the server's own
/// (dormancy and its end), whose `cx` is the server's.
pub(crate) async fn change(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: &Customer,
    to: CustomerStatus,
    note: &ChangeNote<'_>,
) -> OpResult<Customer> {
    let entry = StatusHistoryEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        from_status: Some(customer.status),
        to_status: to,
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: cx.now,
    };
    let Some(moved) = store::customers::move_status(tx, &cx.scope(), customer, to, &entry).await?
    else {
        return Err(lost_race(tx, cx, customer).await);
    };
    let happened = Happened::new(
        EventType::CustomerStatusChanged,
        SubjectKind::Customer,
        customer.id.0,
    )
    .customer(&customer.external_id)
    .status(Some(customer.status.as_str()), to.as_str())
    .reason(note.reason);
    events::emit(tx, cx, customer.client_id, happened).await?;
    cascade(tx, cx, customer, to, note).await?;
    Ok(moved)
}

/// Freezing, thawing and closing reach the accounts in the customer's transaction (which
/// holds the customer's row, so no account is opened meanwhile), one by one in key order.
/// This is also what keeps the ledger's transact check sound: a customer reaches a status
/// that cannot transact only through this cascade (FROZEN, CLOSED) or from one (PENDING and
/// the `_L2F` forms), so the balance UPDATE's check of the account's own row suffices.
async fn cascade(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: &Customer,
    to: CustomerStatus,
    note: &ChangeNote<'_>,
) -> OpResult<()> {
    let cascade = Cascade::of(customer.status, to);
    if cascade == Cascade::None {
        return Ok(());
    }
    let scope = cx.scope();
    let keys =
        store::accounts::open_keys_of_customer(tx, &scope, customer.id, customer.client_id).await?;
    for key in keys {
        let Some(account) = store::accounts::lock(tx, &scope, key).await? else {
            continue;
        };
        let Some((status, frozen_from)) = cascade.move_of(account.status, account.frozen_from)
        else {
            continue;
        };
        if cascade == Cascade::Close
            && check_close(account.current_balance, account.available_balance, false).is_err()
        {
            return Err(OpError::Rule {
                code: CloseRefusal::HasFunds.code(),
                message: format!(
                    "account {:?} still holds funds or a hold; empty the customer's accounts \
                     before closing the customer",
                    account.external_id
                ),
            });
        }
        let entry =
            AccountStatusChange::new(key, account.client_id, account.status, status, note, cx.now);
        store::accounts::set_cascaded(tx, &scope, &account, status, frozen_from, &entry).await?;
        let subject = (&account, customer.external_id.as_str());
        events::account_status_changed(tx, cx, subject, status.as_str(), note.reason, None).await?;
    }
    Ok(())
}
