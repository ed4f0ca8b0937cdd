//! `Address` and `AddressInput`: a postal address as the API shows and takes it, converted
//! to and from the domain's `Address` (which knows nothing of GraphQL).

use async_graphql::{InputObject, SimpleObject};

use crate::domain::customer;

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject, InputObject)]
#[graphql(input_name = "AddressInput")]
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

impl From<&customer::Address> for Address {
    fn from(a: &customer::Address) -> Self {
        Self {
            unit_number: a.unit_number.clone(),
            address_line1: a.address_line1.clone(),
            address_line2: a.address_line2.clone(),
            address_line3: a.address_line3.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.country_code.clone(),
        }
    }
}

impl From<Address> for customer::Address {
    fn from(a: Address) -> Self {
        Self {
            unit_number: a.unit_number,
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            address_line3: a.address_line3,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country_code: a.country_code,
        }
    }
}
