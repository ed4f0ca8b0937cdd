//! The fields of an application: those missing before review, the rules broken by given
//! values, and each field's requirement with the reviewer's change requests.

use chrono::NaiveDate;

use super::super::{ChangeRequest, CustomerDraft};
use super::{FieldRequirement, FieldStatus};
use crate::domain::customer::PersonDetails;
use crate::domain::validation::FieldError;

/// Fields the platform needs before it can review (ours, where it does not publish them).
pub(super) fn missing_fields(customer: &CustomerDraft) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, field: &'static str| {
        if !present {
            missing.push(field);
        }
    };
    match customer {
        CustomerDraft::Individual(d) => {
            need(!d.first_name.trim().is_empty(), "firstName");
            need(!d.last_name.trim().is_empty(), "lastName");
            need(d.email_address.is_some(), "emailAddress");
            need(d.telephone_number.is_some(), "telephoneNumber");
            need(d.mailing_address.is_some(), "mailingAddress");
            need(d.tax_reference_number.is_some(), "taxReferenceNumber");
            need(d.nationality.is_some(), "nationality");
            need(d.date_of_birth.is_some(), "dateOfBirth");
        }
        CustomerDraft::Corporation(d) => {
            need(!d.registered_name.trim().is_empty(), "registeredName");
            need(d.registered_number.is_some(), "registeredNumber");
            need(d.registered_address.is_some(), "registeredAddress");
            need(
                d.country_of_incorporation.is_some(),
                "countryOfIncorporation",
            );
            need(d.corporate_entity_type.is_some(), "corporateEntityType");
            need(d.established_on.is_some(), "establishedOn");
        }
    }
    missing
}

/// The fields every attached person needs.
pub(super) fn missing_person_fields(person: &PersonDetails) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for (present, field) in [
        (!person.individual_type.is_empty(), "individualType"),
        (!person.first_name.trim().is_empty(), "firstName"),
        (!person.last_name.trim().is_empty(), "lastName"),
        (person.date_of_birth.is_some(), "dateOfBirth"),
        (person.nationality.is_some(), "nationality"),
        (person.mailing_address.is_some(), "mailingAddress"),
    ] {
        if !present {
            missing.push(field);
        }
    }
    missing
}

/// The rules broken by values that are given (a blank required name counts as missing, not
/// as broken): what an edit is refused for.
pub fn customer_problems(customer: &CustomerDraft, today: NaiveDate) -> Vec<FieldError> {
    let missing = missing_fields(customer);
    let errors = match customer {
        CustomerDraft::Individual(d) => d.check("", today),
        CustomerDraft::Corporation(d) => d.check("", today),
    };
    errors
        .into_iter()
        .filter(|e| !missing.contains(&e.field.as_str()))
        .collect()
}

/// The rules broken by a person's given values (see [`customer_problems`]).
pub fn person_problems(person: &PersonDetails, today: NaiveDate) -> Vec<FieldError> {
    let missing = missing_person_fields(person);
    person
        .check("", today)
        .into_iter()
        .filter(|e| !missing.contains(&e.field.as_str()))
        .collect()
}

pub(super) fn incomplete(
    field_name: impl Into<String>,
    description: impl Into<String>,
) -> FieldRequirement {
    FieldRequirement {
        field_name: field_name.into(),
        field_status: FieldStatus::Incomplete,
        description: description.into(),
    }
}

pub(super) fn field_requirements(
    missing: Vec<&'static str>,
    problems: Vec<FieldError>,
    requests: impl Iterator<Item = ChangeRequest>,
) -> Vec<FieldRequirement> {
    let mut out: Vec<FieldRequirement> = missing
        .into_iter()
        .map(|field| incomplete(field, "is required"))
        .collect();
    out.extend(problems.into_iter().map(|e| incomplete(e.field, e.message)));
    out.extend(requests.map(|r| FieldRequirement {
        field_name: r.field_name,
        field_status: FieldStatus::ChangesRequested,
        description: r.description,
    }));
    out
}
