//! The customer model (DOMAIN.md, Customers): kinds, details of individuals and corporations,
//! the people attached to a corporation, and the rules their values must follow.

mod details;

pub use details::{
    CorporationDetails, IndividualDetails, MIN_AGE, PersonDetails, check_address,
    check_total_ownership, percentage_to_basis_points,
};

use serde::{Deserialize, Serialize};

use crate::domain::value_enum::value_enum;

value_enum! {
    /// Whether a customer is a person or a company.
    CustomerType {
        /// A natural person (KYC).
        Individual = "INDIVIDUAL",
        /// A company or other legal entity (KYB).
        Corporation = "CORPORATION",
    }
}

value_enum! {
    /// A person's residency status for US tax purposes.
    UsResidencyStatus {
        /// A citizen of the United States.
        UsCitizen = "US_CITIZEN",
        /// A resident alien of the United States.
        ResidentAlien = "RESIDENT_ALIEN",
        /// Neither citizen nor resident of the United States.
        NonResidentAlien = "NON_RESIDENT_ALIEN",
    }
}

value_enum! {
    /// A person's employment status.
    EmploymentStatus {
        /// Employed by someone else.
        Employee = "EMPLOYEE",
        /// Works for themselves.
        SelfEmployed = "SELF_EMPLOYED",
        /// Retired.
        Retired = "RETIRED",
        /// Not employed.
        Unemployed = "UNEMPLOYED",
        /// Something else; describe it in `employmentDescription`.
        Other = "OTHER",
    }
}

value_enum! {
    /// The legal form of a corporate customer.
    CorporateEntityType {
        /// Privately held C corporation.
        CCorpPrivate = "C_CORP_PRIVATE",
        /// Publicly traded C corporation.
        CCorpPublic = "C_CORP_PUBLIC",
        /// High-net-worth individual's vehicle.
        Hnwi = "HNWI",
        /// Limited liability company.
        Llc = "LLC",
        /// Limited liability partnership.
        Llp = "LLP",
        /// Limited partnership.
        Lp = "LP",
        /// S corporation.
        SCorp = "S_CORP",
        /// Sole proprietorship.
        SoleProp = "SOLE_PROP",
        /// A trust.
        Trust = "TRUST",
        /// A non-profit organisation.
        NonProfit = "NON_PROFIT",
        /// Another form; describe it in `corporateEntityTypeDescription`.
        Other = "OTHER",
    }
}

value_enum! {
    /// A role a person holds in a corporate customer.
    #[derive(PartialOrd, Ord)]
    IndividualType {
        /// A person connected to the corporation.
        Individual = "INDIVIDUAL",
        /// An officer (director, CEO, …).
        Officer = "OFFICER",
        /// Owns part of the corporation; has a `percentageOwnership`.
        BeneficialOwner = "BENEFICIAL_OWNER",
        /// Controls the corporation.
        ControlPerson = "CONTROL_PERSON",
        /// Authorised to act for the corporation.
        AuthorizedPerson = "AUTHORIZED_PERSON",
    }
}

/// A value that must never be shown whole to a client nor logged: tax reference and passport
/// numbers. `Debug` prints only that it is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl Sensitive {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The whole value: for the operator, and for storage.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What a client sees: the last four characters behind a fixed mask, so that neither
    /// the rest nor the length shows.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        if chars.len() <= 4 {
            "****".to_owned()
        } else {
            format!("****{tail}")
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Flat, suite or unit number.
    pub unit_number: Option<String>,
    /// First line of the street address.
    pub address_line1: String,
    /// Second line of the street address.
    pub address_line2: Option<String>,
    /// Third line of the street address.
    pub address_line3: Option<String>,
    /// City or town.
    pub city: String,
    /// The subdivision part of the ISO 3166-2 code, e.g. `NY` for New York (`US-NY`).
    pub state: Option<String>,
    /// Postal or ZIP code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. `US`.
    pub country_code: String,
}
