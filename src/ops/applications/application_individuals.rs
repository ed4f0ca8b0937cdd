//! `addApplicationIndividual`, `updateApplicationIndividual`, `removeApplicationIndividual`:
//! the people (officers, owners…) of a CORPORATION application, given field by field;
//! `requirements` lists what each still lacks.

use crate::domain::application::requirements::person_problems;
use crate::domain::application::{ApplicationPerson, CustomerDraft};
use crate::domain::customer::PersonDetails;
use crate::domain::ids::{ApplicationId, ApplicationIndividualId};
use crate::domain::validation::{FieldError, Problems};
use crate::ops::applications::{editable, save_edit};
use crate::ops::customers::customer_individuals::PersonEdit;
use crate::ops::{Cx, OpError, OpResult};
use crate::store::applications::Application;

/// Which application, at which version.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub application: ApplicationId,
    pub expected_version: Option<i64>,
}

/// Adds a person, with the details the edit gives.
pub async fn add(cx: &Cx<'_>, target: Target, edit: &PersonEdit) -> OpResult<Application> {
    let before = editable(cx, target.application, target.expected_version).await?;
    corporate_only(&before)?;
    let details = patched(cx, PersonDetails::default(), edit)?;
    let mut draft = before.draft.clone();
    let now = cx.now.0;
    draft.individuals.push(ApplicationPerson {
        id: ApplicationIndividualId::new(),
        details,
        created_at: now,
        updated_at: now,
    });
    let customer_id = before.customer_external_id.clone();
    save_edit(cx, before, customer_id, draft, "addApplicationIndividual").await
}

/// Changes the person `person`: only what the edit gives changes.
pub async fn update(
    cx: &Cx<'_>,
    target: Target,
    person: uuid::Uuid,
    edit: &PersonEdit,
) -> OpResult<Application> {
    let before = editable(cx, target.application, target.expected_version).await?;
    let key = person_of(&before, person)?;
    let mut draft = before.draft.clone();
    if let Some(person) = draft.individuals.iter_mut().find(|p| p.id == key) {
        let details = patched(cx, person.details.clone(), edit)?;
        if details != person.details {
            person.details = details;
            person.updated_at = cx.now.0;
        }
    }
    let customer_id = before.customer_external_id.clone();
    save_edit(
        cx,
        before,
        customer_id,
        draft,
        "updateApplicationIndividual",
    )
    .await
}

/// Removes the person `person`, with their documents' requirements and files.
pub async fn remove(cx: &Cx<'_>, target: Target, person: uuid::Uuid) -> OpResult<Application> {
    let before = editable(cx, target.application, target.expected_version).await?;
    let key = person_of(&before, person)?;
    let mut draft = before.draft.clone();
    draft.individuals.retain(|p| p.id != key);
    let customer_id = before.customer_external_id.clone();
    save_edit(
        cx,
        before,
        customer_id,
        draft,
        "removeApplicationIndividual",
    )
    .await
}

/// A person of the application, or `NOT_FOUND`.
pub fn person_of(application: &Application, id: uuid::Uuid) -> OpResult<ApplicationIndividualId> {
    let key = ApplicationIndividualId(id);
    match application.draft.person(key) {
        Some(_) => Ok(key),
        None => Err(OpError::NotFound(format!(
            "the application has no person with individualId {id}"
        ))),
    }
}

fn corporate_only(application: &Application) -> OpResult<()> {
    match application.draft.customer {
        CustomerDraft::Corporation(_) => Ok(()),
        CustomerDraft::Individual(_) => Err(OpError::Rule {
            code: "NOT_A_CORPORATE_APPLICATION",
            message: "people (officers, owners…) are attached to CORPORATION applications only"
                .into(),
        }),
    }
}

/// A person's details after `edit`, or every problem of the given values.
fn patched(cx: &Cx<'_>, mut details: PersonDetails, edit: &PersonEdit) -> OpResult<PersonDetails> {
    let mut problems = Problems::new();
    if let Err(errors) = edit(&mut details) {
        problems.extend(errors);
    }
    let details = details.normalise();
    problems.extend(
        person_problems(&details, cx.now.0.date_naive())
            .into_iter()
            .map(|e| FieldError {
                field: format!("input.{}", e.field),
                message: e.message,
            })
            .collect(),
    );
    OpError::check(problems.into_errors())?;
    Ok(details)
}
