//! `simulateApplicationDecision` (SANDBOX only): decides the caller's own SUBMITTED or
//! PROCESSING application as the platform would, recorded like a real review with the client
//! as actor. A SUBMITTED application goes through PROCESSING in the same transaction as the
//! decision, so a refused decision leaves it as it was.

use crate::domain::application::ApplicationStatus;
use crate::domain::client::Environment;
use crate::domain::ids::ApplicationId;
use crate::ops::applications::approve_application::approve;
use crate::ops::applications::review_application::{
    DocumentChange, FieldChange, check_reason, checked_changes, review_move,
};
use crate::ops::applications::{check_review, client_only, load};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::Application;
use crate::store::customers::Customer;

/// The decision to simulate.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges {
        fields: Vec<FieldChange>,
        documents: Vec<DocumentChange>,
    },
}

impl Decision {
    fn status(&self) -> ApplicationStatus {
        match self {
            Self::Approve => ApplicationStatus::Approved,
            Self::Reject => ApplicationStatus::Rejected,
            Self::RequestChanges { .. } => ApplicationStatus::ChangesRequested,
        }
    }
}

/// Decides; the application, and the customer when approved.
pub async fn run(
    cx: &Cx<'_>,
    id: ApplicationId,
    decision: Decision,
    reason: &str,
    expected: Option<i64>,
) -> OpResult<(Application, Option<Customer>)> {
    let client = client_only(cx.principal)
        .map_err(|_| OpError::Forbidden("the operator decides with the review mutations".into()))?;
    let found = {
        let mut pooled = cx.db.conn().await?;
        store::clients::find(&mut pooled.conn(), &cx.scope(), client).await?
    };
    let client = found.ok_or_else(|| OpError::internal(&"the caller's client row is missing"))?;
    if client.environment != Environment::Sandbox {
        return Err(OpError::Forbidden(
            "simulateApplicationDecision is for SANDBOX clients; in PRODUCTION the platform \
             reviews applications"
                .into(),
        ));
    }
    check_reason(reason)?;
    let current = load(cx, id, expected).await?;
    let start_review = current.status == ApplicationStatus::Submitted;
    let reason = format!("sandbox simulation: {reason}");
    match decision {
        Decision::Approve => {
            let (application, customer) = approve(cx, &current, &reason, start_review).await?;
            Ok((application, Some(customer)))
        }
        decision => {
            let to = decision.status();
            check_review(current.status, to, start_review)?;
            let changes = match decision {
                Decision::RequestChanges { fields, documents } => {
                    Some(checked_changes(cx, &current, fields, documents).await?)
                }
                _ => None,
            };
            let moved = review_move(cx, &current, to, &reason, changes, start_review).await?;
            Ok((moved, None))
        }
    }
}
