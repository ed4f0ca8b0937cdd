//! Input types for customers: full details (create) and patches (update), where an absent
//! field stays as it is, `null` clears an optional field, and required fields cannot be cleared.

mod patch;

pub use patch::{
    CorporationDetailsPatch, CustomerIndividualPatch, IndividualDetailsPatch, UpdateCustomerInput,
};

use async_graphql::{Enum, InputObject};
use chrono::NaiveDate;

use crate::domain::account::ProductId;
use crate::domain::customer::{
    CorporateEntityType, CorporationDetails, EmploymentStatus, IndividualDetails, IndividualType,
    PersonDetails, Sensitive, UsResidencyStatus, percentage_to_basis_points,
};
use crate::domain::validation::FieldError;
use crate::graphql::types::address::Address;

/// The details of an individual customer.
#[derive(InputObject, Clone)]
pub struct IndividualDetailsInput {
    /// Given name.
    pub first_name: String,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email_address: Option<String>,
    /// Telephone number in E.164 form, e.g. +14155550123.
    pub telephone_number: Option<String>,
    /// Postal address.
    pub mailing_address: Option<Address>,
    /// Tax reference (e.g. SSN).
    pub tax_reference_number: Option<String>,
    /// Passport number.
    pub passport_number: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// Date of birth (the person must be at least 18).
    pub date_of_birth: Option<NaiveDate>,
    /// Residency status for US tax purposes.
    pub us_residency_status: Option<UsResidencyStatus>,
    /// Employment status.
    pub employment_status: Option<EmploymentStatus>,
    /// What the person does; required when employmentStatus is OTHER.
    pub employment_description: Option<String>,
    /// Employer's name.
    pub employer_name: Option<String>,
    /// Occupation.
    pub occupation: Option<String>,
}

impl From<IndividualDetailsInput> for IndividualDetails {
    fn from(i: IndividualDetailsInput) -> Self {
        Self {
            first_name: i.first_name,
            middle_name: i.middle_name,
            last_name: i.last_name,
            email_address: i.email_address,
            telephone_number: i.telephone_number,
            mailing_address: i.mailing_address.map(Into::into),
            tax_reference_number: i.tax_reference_number.map(Sensitive::new),
            passport_number: i.passport_number.map(Sensitive::new),
            nationality: i.nationality,
            date_of_birth: i.date_of_birth,
            us_residency_status: i.us_residency_status,
            employment_status: i.employment_status,
            employment_description: i.employment_description,
            employer_name: i.employer_name,
            occupation: i.occupation,
        }
    }
}

/// The details of a corporate customer.
#[derive(InputObject, Clone)]
pub struct CorporationDetailsInput {
    /// The legal name, as registered.
    pub registered_name: String,
    /// The name it trades under.
    pub trading_name: Option<String>,
    /// Registration (company) number.
    pub registered_number: Option<String>,
    /// Registered office address.
    pub registered_address: Option<Address>,
    /// Where it operates from.
    pub physical_address: Option<Address>,
    /// Telephone number in E.164 form.
    pub telephone_number: Option<String>,
    /// Email address.
    pub email_address: Option<String>,
    /// Website URL (http or https).
    pub website_address: Option<String>,
    /// Subdivision of incorporation (ISO 3166-2 subdivision part, e.g. DE).
    pub state_of_incorporation: Option<String>,
    /// Country of incorporation (ISO 3166-1 alpha-2).
    pub country_of_incorporation: Option<String>,
    /// Legal form.
    pub corporate_entity_type: Option<CorporateEntityType>,
    /// The legal form in words; required when corporateEntityType is OTHER.
    pub corporate_entity_type_description: Option<String>,
    /// Date of establishment.
    pub established_on: Option<NaiveDate>,
    /// NAICS industry code (2 to 6 digits).
    pub naics: Option<String>,
    /// NAICS industry description.
    pub naics_description: Option<String>,
}

impl From<CorporationDetailsInput> for CorporationDetails {
    fn from(c: CorporationDetailsInput) -> Self {
        Self {
            registered_name: c.registered_name,
            trading_name: c.trading_name,
            registered_number: c.registered_number,
            registered_address: c.registered_address.map(Into::into),
            physical_address: c.physical_address.map(Into::into),
            telephone_number: c.telephone_number,
            email_address: c.email_address,
            website_address: c.website_address,
            state_of_incorporation: c.state_of_incorporation,
            country_of_incorporation: c.country_of_incorporation,
            corporate_entity_type: c.corporate_entity_type,
            corporate_entity_type_description: c.corporate_entity_type_description,
            established_on: c.established_on,
            naics: c.naics,
            naics_description: c.naics_description,
        }
    }
}

/// The account to open with a new customer: its default account.
#[derive(InputObject, Clone)]
pub struct AccountToOpenInput {
    /// The client's own id for the account, unique within the client.
    pub account_id: String,
    /// The kind of account.
    pub product_id: ProductId,
    /// The asset the account holds, e.g. FIAT_MAINNET_USD.
    pub asset_type_id: String,
}

/// A new customer, created directly (regulated clients in PRODUCTION only).
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// The client's own id for the customer, unique within the client.
    pub customer_id: String,
    /// The details of an individual; give this or `corporation`.
    pub individual: Option<IndividualDetailsInput>,
    /// The details of a corporation; give this or `individual`.
    pub corporation: Option<CorporationDetailsInput>,
    /// Whether the customer is an accredited investor (default false).
    pub accredited_investor: Option<bool>,
    /// The customer's default account, opened with it.
    pub account_to_open: AccountToOpenInput,
}

/// A person to attach to a corporate customer.
#[derive(InputObject, Clone)]
pub struct CustomerIndividualInput {
    /// The person's roles (at least one).
    pub individual_type: Vec<IndividualType>,
    /// Job title, e.g. CEO.
    pub title: Option<String>,
    /// Percentage owned, 0 to 100 with at most two decimals; only for a BENEFICIAL_OWNER.
    pub percentage_ownership: Option<f64>,
    /// Given name.
    pub first_name: String,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email_address: Option<String>,
    /// Telephone number in E.164 form.
    pub telephone_number: Option<String>,
    /// Postal address.
    pub mailing_address: Option<Address>,
    /// Tax reference.
    pub tax_reference_number: Option<String>,
    /// Passport number.
    pub passport_number: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// Date of birth (at least 18 years ago).
    pub date_of_birth: Option<NaiveDate>,
    /// Residency status for US tax purposes.
    pub us_residency_status: Option<UsResidencyStatus>,
}

/// Converts a percentage input to basis points, or the error for `field`.
pub fn basis_points(percentage: Option<f64>, field: &str) -> Result<Option<u32>, FieldError> {
    percentage
        .map(|p| {
            percentage_to_basis_points(p).ok_or_else(|| FieldError {
                field: field.to_owned(),
                message: "must be between 0 and 100 with at most two decimals".to_owned(),
            })
        })
        .transpose()
}

impl CustomerIndividualInput {
    /// The person's details, and the error of a percentage that cannot be represented (the
    /// person's other rules are checked with the rest).
    pub fn into_details(self) -> (PersonDetails, Vec<FieldError>) {
        let (ownership, errors) =
            match basis_points(self.percentage_ownership, "input.percentageOwnership") {
                Ok(bp) => (bp, Vec::new()),
                Err(error) => (None, vec![error]),
            };
        let details = PersonDetails {
            individual_type: self.individual_type,
            title: self.title,
            ownership_basis_points: ownership,
            first_name: self.first_name,
            middle_name: self.middle_name,
            last_name: self.last_name,
            email_address: self.email_address,
            telephone_number: self.telephone_number,
            mailing_address: self.mailing_address.map(Into::into),
            tax_reference_number: self.tax_reference_number.map(Sensitive::new),
            passport_number: self.passport_number.map(Sensitive::new),
            nationality: self.nationality,
            date_of_birth: self.date_of_birth,
            us_residency_status: self.us_residency_status,
        }
        .normalise();
        (details, errors)
    }
}

/// Which customers to list; every field is optional and they combine with AND.
#[derive(InputObject, Default)]
pub struct CustomerFilterInput {
    /// Only customers of this type.
    pub customer_type: Option<crate::domain::customer::CustomerType>,
    /// Only customers in one of these statuses.
    pub status: Option<Vec<crate::domain::status::CustomerStatus>>,
    /// Only accredited investors (true) or only others (false).
    pub accredited_investor: Option<bool>,
    /// Only customers created at or after this time.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only customers created before this time.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Only customers whose names or customerId contain this text (case-insensitive).
    pub search: Option<String>,
    /// Only ACTIVE customers that become DORMANT before this time if they do nothing of
    /// their own (`dormantAfter` before it): those to contact first.
    pub dormant_before: Option<chrono::DateTime<chrono::Utc>>,
}

/// What to order customers by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerOrderField {
    /// Creation time (the default).
    #[default]
    CreatedAt,
    /// The client's customerId.
    CustomerId,
}

/// Which way to order.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest or oldest first (the default).
    #[default]
    Asc,
    /// Largest or newest first.
    Desc,
}

/// How to order a customer list.
#[derive(InputObject, Clone, Copy, Default)]
pub struct CustomerOrderInput {
    /// The field to order by.
    #[graphql(default)]
    pub field: CustomerOrderField,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}
