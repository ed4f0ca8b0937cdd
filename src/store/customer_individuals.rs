//! The people of a corporate customer (officers, owners…). Adding or changing one is a change
//! of the customer: it bumps the customer's version by compare-and-set and is logged.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use super::{address_from_text, address_to_text};
use crate::db::schema::customer_individuals;
use crate::db::types::{Date, Timestamp};
use crate::db::{Conn, dispatch};
use crate::domain::customer::{IndividualType, PersonDetails, Sensitive, UsResidencyStatus};
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::tenancy::Scope;

crate::db::types::uuid_id!(
    /// A person attached to a corporate customer.
    IndividualId
);

/// A stored person of a corporate customer.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = customer_individuals, treat_none_as_null = true)]
struct IndividualRow {
    id: IndividualId,
    customer_id: CustomerKey,
    client_id: ClientId,
    individual_type: String,
    title: Option<String>,
    ownership_bp: Option<i32>,
    first_name: String,
    middle_name: Option<String>,
    last_name: String,
    email_address: Option<String>,
    telephone_number: Option<String>,
    mailing_address: Option<String>,
    tax_reference_number: Option<Sensitive>,
    passport_number: Option<Sensitive>,
    nationality: Option<String>,
    date_of_birth: Option<Date>,
    us_residency_status: Option<UsResidencyStatus>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// A person of a corporate customer, as the rest of the code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Individual {
    pub id: IndividualId,
    pub customer_id: CustomerKey,
    pub client_id: ClientId,
    pub details: PersonDetails,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl IndividualRow {
    fn from_individual(person: &Individual) -> Result<Self, StoreError> {
        let d = &person.details;
        Ok(Self {
            id: person.id,
            customer_id: person.customer_id,
            client_id: person.client_id,
            individual_type: d
                .individual_type
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
            title: d.title.clone(),
            ownership_bp: d.ownership_basis_points.map(|bp| bp.min(10_000) as i32),
            first_name: d.first_name.clone(),
            middle_name: d.middle_name.clone(),
            last_name: d.last_name.clone(),
            email_address: d.email_address.clone(),
            telephone_number: d.telephone_number.clone(),
            mailing_address: address_to_text(&d.mailing_address)?,
            tax_reference_number: d.tax_reference_number.clone(),
            passport_number: d.passport_number.clone(),
            nationality: d.nationality.clone(),
            date_of_birth: d.date_of_birth.map(Date),
            us_residency_status: d.us_residency_status,
            created_at: person.created_at,
            updated_at: person.updated_at,
        })
    }

    fn into_individual(self) -> Result<Individual, StoreError> {
        let individual_type = self
            .individual_type
            .split(',')
            .map(|t| t.parse::<IndividualType>().map_err(StoreError::Corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Individual {
            id: self.id,
            customer_id: self.customer_id,
            client_id: self.client_id,
            details: PersonDetails {
                individual_type,
                title: self.title,
                ownership_basis_points: self.ownership_bp.map(|bp| bp.max(0) as u32),
                first_name: self.first_name,
                middle_name: self.middle_name,
                last_name: self.last_name,
                email_address: self.email_address,
                telephone_number: self.telephone_number,
                mailing_address: address_from_text(self.mailing_address)?,
                tax_reference_number: self.tax_reference_number,
                passport_number: self.passport_number,
                nationality: self.nationality,
                date_of_birth: self.date_of_birth.map(|d| d.0),
                us_residency_status: self.us_residency_status,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The person with this id, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: IndividualId,
) -> Result<Option<Individual>, StoreError> {
    let row = dispatch!(conn, c => {
        scoped!(
            customer_individuals::table.filter(customer_individuals::id.eq(id)),
            customer_individuals::client_id,
            scope,
            customer = customer_individuals::customer_id
        )
            .select(IndividualRow::as_select())
            .first(c)
            .await
            .optional()?
    });
    row.map(IndividualRow::into_individual).transpose()
}

/// The people of these customers that the scope reaches, oldest first per customer.
pub async fn list_for_customers(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customers: &[CustomerKey],
) -> Result<Vec<Individual>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(
            customer_individuals::table.filter(customer_individuals::customer_id.eq_any(customers)),
            customer_individuals::client_id,
            scope,
            customer = customer_individuals::customer_id
        )
        .order((customer_individuals::created_at.asc(), customer_individuals::id.asc()))
        .select(IndividualRow::as_select())
        .load(c)
        .await?
    });
    rows.into_iter()
        .map(IndividualRow::into_individual)
        .collect()
}

/// Inserts the people of a customer being created. Call inside the transaction that
/// inserts the customer.
pub async fn insert_all(
    conn: &mut Conn<'_>,
    scope: &Scope,
    people: &[Individual],
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(people.len());
    for person in people {
        ensure_in_scope(scope, person.client_id)?;
        rows.push(IndividualRow::from_individual(person)?);
    }
    // One statement per person: SQLite cannot batch rows whose optional columns differ.
    for row in &rows {
        dispatch!(conn, c => {
            diesel::insert_into(customer_individuals::table).values(row).execute(c).await?;
        });
    }
    Ok(())
}

/// Adds a person to a customer (or, with `replaces`, writes over that person), inside the
/// caller's transaction; `false` when the person to replace is not the customer's.
pub async fn save(
    tx: &mut Conn<'_>,
    scope: &Scope,
    person: &Individual,
    replaces: bool,
) -> Result<bool, StoreError> {
    ensure_in_scope(scope, person.client_id)?;
    let row = IndividualRow::from_individual(person)?;
    let key = person.customer_id;
    let written = dispatch!(tx, c => {
        if replaces {
            diesel::update(
                customer_individuals::table
                    .filter(customer_individuals::id.eq(row.id))
                    .filter(customer_individuals::customer_id.eq(key)),
            )
            .set(&row)
            .execute(c)
            .await?
        } else {
            diesel::insert_into(customer_individuals::table).values(&row).execute(c).await?
        }
    });
    Ok(written > 0)
}
