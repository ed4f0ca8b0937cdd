//! The stored form of a customer: one row with the columns of both kinds, and its mapping to
//! and from the model (addresses are JSON text).

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::customers;
use crate::db::types::{Date, Timestamp};
use crate::domain::customer::{
    CorporateEntityType, CorporationDetails, CustomerType, EmploymentStatus, IndividualDetails,
    Sensitive, UsResidencyStatus,
};
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::store::{address_from_text, address_to_text};

use super::{Customer, Details};

/// A customer row, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = customers, treat_none_as_null = true)]
pub struct CustomerRow {
    pub id: CustomerKey,
    pub client_id: ClientId,
    pub external_id: String,
    pub customer_type: CustomerType,
    pub status: CustomerStatus,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<Date>,
    pub nationality: Option<String>,
    pub tax_reference_number: Option<Sensitive>,
    pub passport_number: Option<Sensitive>,
    pub us_residency_status: Option<UsResidencyStatus>,
    pub employment_status: Option<EmploymentStatus>,
    pub employment_description: Option<String>,
    pub employer_name: Option<String>,
    pub occupation: Option<String>,
    pub mailing_address: Option<String>,
    pub registered_name: Option<String>,
    pub trading_name: Option<String>,
    pub registered_number: Option<String>,
    pub registered_address: Option<String>,
    pub physical_address: Option<String>,
    pub website_address: Option<String>,
    pub state_of_incorporation: Option<String>,
    pub country_of_incorporation: Option<String>,
    pub corporate_entity_type: Option<CorporateEntityType>,
    pub corporate_entity_type_description: Option<String>,
    pub established_on: Option<Date>,
    pub naics: Option<String>,
    pub naics_description: Option<String>,
    pub email_address: Option<String>,
    pub telephone_number: Option<String>,
    pub accredited_investor: bool,
    pub search_text: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_activity_at: Timestamp,
}

impl CustomerRow {
    pub(super) fn from_customer(customer: &Customer) -> Result<Self, StoreError> {
        let mut row = CustomerRow {
            id: customer.id,
            client_id: customer.client_id,
            external_id: customer.external_id.clone(),
            customer_type: customer.customer_type(),
            status: customer.status,
            first_name: None,
            middle_name: None,
            last_name: None,
            date_of_birth: None,
            nationality: None,
            tax_reference_number: None,
            passport_number: None,
            us_residency_status: None,
            employment_status: None,
            employment_description: None,
            employer_name: None,
            occupation: None,
            mailing_address: None,
            registered_name: None,
            trading_name: None,
            registered_number: None,
            registered_address: None,
            physical_address: None,
            website_address: None,
            state_of_incorporation: None,
            country_of_incorporation: None,
            corporate_entity_type: None,
            corporate_entity_type_description: None,
            established_on: None,
            naics: None,
            naics_description: None,
            email_address: None,
            telephone_number: None,
            accredited_investor: customer.accredited_investor,
            search_text: customer.search_text(),
            version: customer.version,
            created_at: customer.created_at,
            updated_at: customer.updated_at,
            last_activity_at: customer.last_activity_at,
        };
        match &customer.details {
            Details::Individual(p) => {
                row.first_name = Some(p.first_name.clone());
                row.middle_name = p.middle_name.clone();
                row.last_name = Some(p.last_name.clone());
                row.date_of_birth = p.date_of_birth.map(Date);
                row.nationality = p.nationality.clone();
                row.tax_reference_number = p.tax_reference_number.clone();
                row.passport_number = p.passport_number.clone();
                row.us_residency_status = p.us_residency_status;
                row.employment_status = p.employment_status;
                row.employment_description = p.employment_description.clone();
                row.employer_name = p.employer_name.clone();
                row.occupation = p.occupation.clone();
                row.mailing_address = address_to_text(&p.mailing_address)?;
                row.email_address = p.email_address.clone();
                row.telephone_number = p.telephone_number.clone();
            }
            Details::Corporation(c) => {
                row.registered_name = Some(c.registered_name.clone());
                row.trading_name = c.trading_name.clone();
                row.registered_number = c.registered_number.clone();
                row.registered_address = address_to_text(&c.registered_address)?;
                row.physical_address = address_to_text(&c.physical_address)?;
                row.website_address = c.website_address.clone();
                row.state_of_incorporation = c.state_of_incorporation.clone();
                row.country_of_incorporation = c.country_of_incorporation.clone();
                row.corporate_entity_type = c.corporate_entity_type;
                row.corporate_entity_type_description = c.corporate_entity_type_description.clone();
                row.established_on = c.established_on.map(Date);
                row.naics = c.naics.clone();
                row.naics_description = c.naics_description.clone();
                row.email_address = c.email_address.clone();
                row.telephone_number = c.telephone_number.clone();
            }
        }
        Ok(row)
    }

    pub(super) fn into_customer(self) -> Result<Customer, StoreError> {
        let details = match self.customer_type {
            CustomerType::Individual => Details::Individual(IndividualDetails {
                first_name: self.first_name.unwrap_or_default(),
                middle_name: self.middle_name,
                last_name: self.last_name.unwrap_or_default(),
                email_address: self.email_address,
                telephone_number: self.telephone_number,
                mailing_address: address_from_text(self.mailing_address)?,
                tax_reference_number: self.tax_reference_number,
                passport_number: self.passport_number,
                nationality: self.nationality,
                date_of_birth: self.date_of_birth.map(|d| d.0),
                us_residency_status: self.us_residency_status,
                employment_status: self.employment_status,
                employment_description: self.employment_description,
                employer_name: self.employer_name,
                occupation: self.occupation,
            }),
            CustomerType::Corporation => Details::Corporation(CorporationDetails {
                registered_name: self.registered_name.unwrap_or_default(),
                trading_name: self.trading_name,
                registered_number: self.registered_number,
                registered_address: address_from_text(self.registered_address)?,
                physical_address: address_from_text(self.physical_address)?,
                telephone_number: self.telephone_number,
                email_address: self.email_address,
                website_address: self.website_address,
                state_of_incorporation: self.state_of_incorporation,
                country_of_incorporation: self.country_of_incorporation,
                corporate_entity_type: self.corporate_entity_type,
                corporate_entity_type_description: self.corporate_entity_type_description,
                established_on: self.established_on.map(|d| d.0),
                naics: self.naics,
                naics_description: self.naics_description,
            }),
        };
        Ok(Customer {
            id: self.id,
            client_id: self.client_id,
            external_id: self.external_id,
            status: self.status,
            details,
            accredited_investor: self.accredited_investor,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_activity_at: self.last_activity_at,
        })
    }
}
