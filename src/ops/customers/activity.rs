//! A customer's own activity, noted by the writes that are that activity, in their own
//! transaction; and what it brings about: a DORMANT customer is ACTIVE again at once (so a
//! dormant customer's transfer needs no separate call). The rule is `domain::dormancy`'s.

use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::client::Actor;
use crate::domain::dormancy::{ACTIVITY_RESOLUTION, Activity, reactivates, reactivation_reason};
use crate::domain::ids::{AccountKey, ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Principal;
use crate::ops::customers::change_customer_status;
use crate::ops::{Cx, OpResult};
use crate::store;
use crate::store::customers::{ChangeNote, Customer};

/// Notes `activity` of the customer (its key and client) at the operation's time. Only the
/// client's own acts count (the platform's and the server's do not), and money received only
/// when configured so. A DORMANT customer returns to ACTIVE as the server (actor SYSTEM),
/// with its history entry and event, unless the act was a status change of the client's own.
/// The customer as it is now when its row was written; `None` when nothing changed (it
/// acted within the last minute, or the act does not count).
pub async fn note(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: (CustomerKey, ClientId),
    activity: Activity,
) -> OpResult<Option<Customer>> {
    if cx.principal.client_id().is_none() || !cx.settings.dormancy.counts(activity) {
        return Ok(None);
    }
    let since = Timestamp(cx.now.0 - ACTIVITY_RESOLUTION);
    let Some(customer) =
        store::customers::note_activity(tx, &cx.scope(), customer, cx.now, since).await?
    else {
        return Ok(None);
    };
    if !reactivates(customer.status) || activity == Activity::StatusChanged {
        return Ok(Some(customer));
    }
    let system = Principal::system();
    let server = Cx {
        principal: &system,
        ..*cx
    };
    let reason = reactivation_reason(activity);
    let note = ChangeNote {
        reason: &reason,
        updated_by: "layer2",
        actor: Actor::System,
    };
    let to = CustomerStatus::Active;
    let active = change_customer_status::change(tx, &server, &customer, to, &note).await?;
    Ok(Some(active))
}

/// [`note`] for the customer that holds an account (its key and client).
pub async fn note_of_account(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    (account, client): (AccountKey, ClientId),
    activity: Activity,
) -> OpResult<()> {
    if cx.principal.client_id().is_none() || !cx.settings.dormancy.counts(activity) {
        return Ok(());
    }
    let Some(account) = store::accounts::find_many(tx, &cx.scope(), &[account])
        .await?
        .pop()
    else {
        return Ok(());
    };
    note(tx, cx, (account.customer_id, client), activity).await?;
    Ok(())
}
