//! `submitApplication`: the client submits a READY_FOR_SUBMISSION application for review;
//! the requirements are weighed again inside the transaction.

use crate::domain::application::{ApplicationStatus, Mover};
use crate::domain::ids::ApplicationId;
use crate::ops::applications::{
    changed_meanwhile, check_lifecycle, client_only, load, record, requirements_now, write_edit,
};
use crate::ops::uow::{self, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::Application;

/// Submits the application.
pub async fn run(
    cx: &Cx<'_>,
    id: ApplicationId,
    expected_version: Option<i64>,
) -> OpResult<Application> {
    client_only(cx.principal)?;
    let before = load(cx, id, expected_version).await?;
    let to = ApplicationStatus::Submitted;
    check_lifecycle(before.status, to, Mover::Client)?;
    let after = Application {
        status: to,
        version: before.version + 1,
        updated_at: cx.now,
        submitted_at: Some(cx.now),
        ..before.clone()
    };
    let submitted = uow::unit!(cx, None, tx => {
        if !requirements_now(tx, &before, &before.draft, cx.now.0.date_naive()).await?.met() {
            return Err(not_met());
        }
        if !store::applications::compare_and_set(tx, &cx.scope(), &before, &after).await? {
            return Err(changed_meanwhile());
        }
        record(tx, cx, &after, Some(before.status), "submitted by the client").await?;
        OpResult::Ok(after.clone())
    });
    match submitted {
        Ok(Written::Done(after)) => Ok(after),
        Ok(Written::Replayed(_)) => Err(OpError::internal(&"submitApplication has no key")),
        Err(
            refusal @ OpError::Rule {
                code: "APPLICATION_REQUIREMENTS_NOT_MET",
                ..
            },
        ) => {
            // No longer ready (e.g. its accountId was taken since): settle the status to what
            // the requirements say, then refuse.
            let settled = uow::unit!(cx, None, tx => {
                write_edit(tx, cx, &before, &before.customer_external_id, before.draft.clone(), "submitApplication").await
            });
            if let Err(error) = settled {
                tracing::warn!(?error, "a refused submission could not settle the status");
            }
            Err(refusal)
        }
        Err(other) => Err(other),
    }
}

fn not_met() -> OpError {
    OpError::Rule {
        code: "APPLICATION_REQUIREMENTS_NOT_MET",
        message: "the application no longer meets its requirements; see requirements".into(),
    }
}
