//! The type-specific details of a customer: an individual's (tax reference and passport
//! numbers masked for clients) and a corporation's.

use async_graphql::Object;
use chrono::NaiveDate;

use super::shown;
use crate::domain::customer::{CorporateEntityType, EmploymentStatus, UsResidencyStatus};
use crate::domain::tenancy::Principal;
use crate::graphql::types::address::Address;

/// The details of an individual customer.
pub struct IndividualDetails {
    pub(crate) details: crate::domain::customer::IndividualDetails,
    pub(crate) principal: Principal,
}

/// The details of an individual customer. Tax reference and passport numbers are masked to
/// their last four characters for clients.
#[Object]
impl IndividualDetails {
    /// Given name.
    async fn first_name(&self) -> &str {
        &self.details.first_name
    }
    /// Middle name(s).
    async fn middle_name(&self) -> Option<&str> {
        self.details.middle_name.as_deref()
    }
    /// Family name.
    async fn last_name(&self) -> &str {
        &self.details.last_name
    }
    /// Email address.
    async fn email_address(&self) -> Option<&str> {
        self.details.email_address.as_deref()
    }
    /// Telephone number in E.164 form, e.g. +14155550123.
    async fn telephone_number(&self) -> Option<&str> {
        self.details.telephone_number.as_deref()
    }
    /// Postal address.
    async fn mailing_address(&self) -> Option<Address> {
        self.details.mailing_address.as_ref().map(Address::from)
    }
    /// Tax reference (e.g. SSN); masked to the last four characters for clients.
    async fn tax_reference_number(&self) -> Option<String> {
        shown(&self.details.tax_reference_number, &self.principal)
    }
    /// Passport number; masked to the last four characters for clients.
    async fn passport_number(&self) -> Option<String> {
        shown(&self.details.passport_number, &self.principal)
    }
    /// Nationality, as an ISO 3166-1 alpha-2 country code.
    async fn nationality(&self) -> Option<&str> {
        self.details.nationality.as_deref()
    }
    /// Date of birth.
    async fn date_of_birth(&self) -> Option<NaiveDate> {
        self.details.date_of_birth
    }
    /// Residency status for US tax purposes.
    async fn us_residency_status(&self) -> Option<UsResidencyStatus> {
        self.details.us_residency_status
    }
    /// Employment status.
    async fn employment_status(&self) -> Option<EmploymentStatus> {
        self.details.employment_status
    }
    /// What the person does, when employmentStatus is OTHER (or for more detail).
    async fn employment_description(&self) -> Option<&str> {
        self.details.employment_description.as_deref()
    }
    /// Employer's name.
    async fn employer_name(&self) -> Option<&str> {
        self.details.employer_name.as_deref()
    }
    /// Occupation.
    async fn occupation(&self) -> Option<&str> {
        self.details.occupation.as_deref()
    }
}

/// The details of a corporate customer.
pub struct CorporationDetails(pub(crate) crate::domain::customer::CorporationDetails);

/// The details of a corporate customer.
#[Object]
impl CorporationDetails {
    /// The legal name, as registered.
    async fn registered_name(&self) -> &str {
        &self.0.registered_name
    }
    /// The name it trades under.
    async fn trading_name(&self) -> Option<&str> {
        self.0.trading_name.as_deref()
    }
    /// Registration (company) number.
    async fn registered_number(&self) -> Option<&str> {
        self.0.registered_number.as_deref()
    }
    /// Registered office address.
    async fn registered_address(&self) -> Option<Address> {
        self.0.registered_address.as_ref().map(Address::from)
    }
    /// Where it operates from.
    async fn physical_address(&self) -> Option<Address> {
        self.0.physical_address.as_ref().map(Address::from)
    }
    /// Telephone number in E.164 form.
    async fn telephone_number(&self) -> Option<&str> {
        self.0.telephone_number.as_deref()
    }
    /// Email address.
    async fn email_address(&self) -> Option<&str> {
        self.0.email_address.as_deref()
    }
    /// Website URL.
    async fn website_address(&self) -> Option<&str> {
        self.0.website_address.as_deref()
    }
    /// Subdivision of incorporation (ISO 3166-2 subdivision part, e.g. DE).
    async fn state_of_incorporation(&self) -> Option<&str> {
        self.0.state_of_incorporation.as_deref()
    }
    /// Country of incorporation (ISO 3166-1 alpha-2).
    async fn country_of_incorporation(&self) -> Option<&str> {
        self.0.country_of_incorporation.as_deref()
    }
    /// Legal form.
    async fn corporate_entity_type(&self) -> Option<CorporateEntityType> {
        self.0.corporate_entity_type
    }
    /// The legal form in words, required when corporateEntityType is OTHER.
    async fn corporate_entity_type_description(&self) -> Option<&str> {
        self.0.corporate_entity_type_description.as_deref()
    }
    /// Date of establishment.
    async fn established_on(&self) -> Option<NaiveDate> {
        self.0.established_on
    }
    /// NAICS industry code.
    async fn naics(&self) -> Option<&str> {
        self.0.naics.as_deref()
    }
    /// NAICS industry description.
    async fn naics_description(&self) -> Option<&str> {
        self.0.naics_description.as_deref()
    }
}
