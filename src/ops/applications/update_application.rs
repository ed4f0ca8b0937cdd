//! `updateApplication`: the client changes an editable application; only what is given
//! changes, a change to a field the reviewer asked about answers the request, and the
//! status settles from the requirements.

use crate::domain::application::requirements::customer_problems;
use crate::domain::application::{AccountToOpen, CustomerDraft, Draft};
use crate::domain::ids::ApplicationId;
use crate::domain::patch::Patch;
use crate::domain::validation::{FieldError, Problems, check_external_id};
use crate::ops::accounts::check_asset_type;
use crate::ops::applications::{editable, save_edit};
use crate::ops::{Cx, OpError, OpResult};
use crate::store::applications::Application;

/// The change of the customer's details a request asks for, applied to the draft's details
/// with the path of the input (for the errors): every problem of applying it, if any.
pub type DetailsEdit =
    dyn Fn(&mut CustomerDraft, &str) -> Result<(), Vec<FieldError>> + Send + Sync;

/// What `updateApplication` is given.
pub struct Input<'a> {
    pub id: ApplicationId,
    pub customer_id: Option<String>,
    pub customer_details: Option<&'a DetailsEdit>,
    pub account_to_open: Patch<AccountToOpen>,
    pub terms_and_conditions_accepted: Option<bool>,
    pub expected_version: Option<i64>,
}

/// Changes the application.
pub async fn run(cx: &Cx<'_>, input: Input<'_>) -> OpResult<Application> {
    let before = editable(cx, input.id, input.expected_version).await?;
    let mut draft = before.draft.clone();
    let mut customer_id = before.customer_external_id.clone();
    let mut problems = Problems::new();
    if let Some(new_id) = input.customer_id {
        check_external_id(&mut problems, "input.customerId", &new_id);
        customer_id = new_id;
    }
    if let Some(edit) = input.customer_details {
        apply_details(&mut draft, edit, "input.customerDetails", &mut problems, cx);
    }
    let account_changed = matches!(input.account_to_open, Patch::Set(_));
    if let Patch::Set(account) = &input.account_to_open {
        check_account(cx, &mut problems, account);
    }
    input.account_to_open.apply(&mut draft.account_to_open);
    if let Some(accepted) = input.terms_and_conditions_accepted {
        draft.terms_and_conditions_accepted = accepted;
    }
    OpError::check(problems.into_errors())?;
    crate::ops::clients::access_tokens::check_customer(
        cx,
        &customer_id,
        draft.account_to_open.as_ref().filter(|_| account_changed),
    )
    .await?;
    save_edit(cx, before, customer_id, draft, "updateApplication").await
}

/// Applies a change of the customer's details to `draft`, and adds the problems of the
/// details it gives, under `at` (`customerDetails` or `input.customerDetails`).
pub fn apply_details(
    draft: &mut Draft,
    edit: &DetailsEdit,
    at: &str,
    problems: &mut Problems,
    cx: &Cx<'_>,
) {
    if let Err(errors) = edit(&mut draft.customer, at) {
        problems.extend(errors);
        return;
    }
    let part = match draft.customer {
        CustomerDraft::Individual(_) => "individual",
        CustomerDraft::Corporation(_) => "corporation",
    };
    problems.extend(
        customer_problems(&draft.customer, cx.now.0.date_naive())
            .into_iter()
            .map(|e| FieldError {
                field: format!("{at}.{part}.{}", e.field),
                message: e.message,
            })
            .collect(),
    );
}

/// The account an application will open: its id and a supported asset type.
pub fn check_account(cx: &Cx<'_>, problems: &mut Problems, account: &AccountToOpen) {
    check_external_id(problems, "accountToOpen.accountId", &account.account_id);
    check_asset_type(
        cx,
        problems,
        "accountToOpen.assetTypeId",
        &account.asset_type_id,
    );
}
