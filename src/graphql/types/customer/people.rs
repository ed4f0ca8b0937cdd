//! `CustomerIndividual`: a person of a corporate customer or of a corporate application,
//! sensitive values masked for clients.

use async_graphql::{ID, Object};
use chrono::{DateTime, NaiveDate, Utc};

use super::shown;
use crate::domain::customer::{IndividualType, PersonDetails, UsResidencyStatus};
use crate::domain::tenancy::Principal;
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::types::address::Address;
use crate::store;

/// A person attached to a corporate customer, or to a corporate application (who becomes
/// one on approval).
pub struct CustomerIndividual {
    id: ID,
    details: PersonDetails,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    principal: Principal,
}

impl CustomerIndividual {
    /// A person of a customer.
    pub fn of_customer(
        person: store::customer_individuals::Individual,
        principal: Principal,
    ) -> Self {
        Self {
            id: encode(NodeKind::CustomerIndividual, person.id.0),
            details: person.details,
            created_at: person.created_at.0,
            updated_at: person.updated_at.0,
            principal,
        }
    }

    /// A person of an application.
    pub fn of_application(
        person: &crate::domain::application::ApplicationPerson,
        principal: Principal,
    ) -> Self {
        Self {
            id: encode(NodeKind::ApplicationIndividual, person.id.0),
            details: person.details.clone(),
            created_at: person.created_at,
            updated_at: person.updated_at,
            principal,
        }
    }

    fn details(&self) -> &PersonDetails {
        &self.details
    }
}

/// A person attached to a corporate customer: an officer, beneficial owner, control person
/// or authorised person. Tax reference and passport numbers are masked for clients.
#[Object]
impl CustomerIndividual {
    /// This person's opaque global id (pass it to `updateCustomerIndividual`, or for a
    /// person of an application to `updateApplicationIndividual`).
    pub async fn id(&self) -> ID {
        self.id.clone()
    }
    /// The person's roles in the corporation (at least one).
    async fn individual_type(&self) -> &[IndividualType] {
        &self.details().individual_type
    }
    /// Job title, e.g. CEO or Partner.
    async fn title(&self) -> Option<&str> {
        self.details().title.as_deref()
    }
    /// Percentage of the corporation owned (0 to 100); only for a BENEFICIAL_OWNER.
    async fn percentage_ownership(&self) -> Option<f64> {
        self.details()
            .ownership_basis_points
            .map(|bp| f64::from(bp) / 100.0)
    }
    /// Given name.
    async fn first_name(&self) -> &str {
        &self.details().first_name
    }
    /// Middle name(s).
    async fn middle_name(&self) -> Option<&str> {
        self.details().middle_name.as_deref()
    }
    /// Family name.
    async fn last_name(&self) -> &str {
        &self.details().last_name
    }
    /// Email address.
    async fn email_address(&self) -> Option<&str> {
        self.details().email_address.as_deref()
    }
    /// Telephone number in E.164 form.
    async fn telephone_number(&self) -> Option<&str> {
        self.details().telephone_number.as_deref()
    }
    /// Postal address.
    async fn mailing_address(&self) -> Option<Address> {
        self.details().mailing_address.as_ref().map(Address::from)
    }
    /// Tax reference; masked to the last four characters for clients.
    async fn tax_reference_number(&self) -> Option<String> {
        shown(&self.details().tax_reference_number, &self.principal)
    }
    /// Passport number; masked to the last four characters for clients.
    async fn passport_number(&self) -> Option<String> {
        shown(&self.details().passport_number, &self.principal)
    }
    /// Nationality (ISO 3166-1 alpha-2).
    async fn nationality(&self) -> Option<&str> {
        self.details().nationality.as_deref()
    }
    /// Date of birth.
    async fn date_of_birth(&self) -> Option<NaiveDate> {
        self.details().date_of_birth
    }
    /// Residency status for US tax purposes.
    async fn us_residency_status(&self) -> Option<UsResidencyStatus> {
        self.details().us_residency_status
    }
    /// When the person was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// When the person's details last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}
