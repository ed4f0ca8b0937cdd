//! Customers: rows, their details, listing with keyset pages, and the compare-and-set writes
//! (details, status) with their history. Every read and write is limited to the caller's scope.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{customer_change_log, customer_status_history, customers};
use crate::db::types::{Date, Timestamp};
use crate::db::{Conn, dispatch, write_tx};
use crate::domain::client::Actor;
use crate::domain::customer::{
    Address, CorporateEntityType, CorporationDetails, CustomerType, EmploymentStatus,
    IndividualDetails, Sensitive, UsResidencyStatus,
};
use crate::domain::ids::{ClientId, CustomerKey, StatusHistoryId};
use crate::domain::status::{CustomerStatus, Role, TransitionError, check_transition};
use crate::domain::tenancy::Scope;

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
}

/// A customer's type-specific details.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    Individual(IndividualDetails),
    Corporation(CorporationDetails),
}

impl Details {
    pub fn customer_type(&self) -> CustomerType {
        match self {
            Self::Individual(_) => CustomerType::Individual,
            Self::Corporation(_) => CustomerType::Corporation,
        }
    }
}

/// A customer as the rest of the code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerKey,
    pub client_id: ClientId,
    /// The client's own reference (`customerId` on the API).
    pub external_id: String,
    pub status: CustomerStatus,
    pub details: Details,
    pub accredited_investor: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Customer {
    pub fn customer_type(&self) -> CustomerType {
        self.details.customer_type()
    }

    /// What `search` matches: the names and customerId, lower-cased, one per line.
    pub fn search_text(&self) -> String {
        let names: Vec<&str> = match &self.details {
            Details::Individual(p) => [
                Some(p.first_name.as_str()),
                p.middle_name.as_deref(),
                Some(p.last_name.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Details::Corporation(c) => {
                [Some(c.registered_name.as_str()), c.trading_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect()
            }
        };
        let mut text = names.join("\n");
        text.push('\n');
        text.push_str(&self.external_id);
        text.to_lowercase()
    }

    pub fn display_name(&self) -> String {
        match &self.details {
            Details::Individual(person) => person.display_name(),
            Details::Corporation(company) => company.registered_name.clone(),
        }
    }
}

pub(crate) fn address_to_text(address: &Option<Address>) -> Result<Option<String>, StoreError> {
    address
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("address encoding: {e}")))
}

pub(crate) fn address_from_text(text: Option<String>) -> Result<Option<Address>, StoreError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("stored address: {e}")))
}

impl CustomerRow {
    fn from_customer(customer: &Customer) -> Result<Self, StoreError> {
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

    fn into_customer(self) -> Result<Customer, StoreError> {
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
        })
    }
}

/// One entry of a customer's append-only status history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_status_history)]
pub struct StatusHistoryEntry {
    pub id: StatusHistoryId,
    pub customer_id: CustomerKey,
    pub client_id: ClientId,
    pub from_status: Option<CustomerStatus>,
    pub to_status: CustomerStatus,
    pub reason: String,
    pub updated_by: String,
    pub actor: Actor,
    pub created_at: Timestamp,
}

/// Why and by whom a customer was created or changed.
#[derive(Debug, Clone)]
pub struct ChangeNote<'a> {
    pub reason: &'a str,
    pub updated_by: &'a str,
    pub actor: Actor,
}

/// Inserts a customer and the first entry of its status history. Call inside a transaction.
pub async fn insert(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    note: &ChangeNote<'_>,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, customer.client_id)?;
    let row = CustomerRow::from_customer(customer)?;
    let entry = StatusHistoryEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        from_status: None,
        to_status: customer.status,
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: customer.created_at,
    };
    dispatch!(conn, c => {
        diesel::insert_into(customers::table).values(&row).execute(c).await?;
        diesel::insert_into(customer_status_history::table).values(&entry).execute(c).await?;
    });
    Ok(())
}

/// The customer with this key, if the scope reaches it.
pub async fn find(
    conn: &mut Conn<'_>,
    scope: &Scope,
    key: CustomerKey,
) -> Result<Option<Customer>, StoreError> {
    let row = dispatch!(conn, c => {
        scoped!(customers::table.filter(customers::id.eq(key)), customers::client_id, scope)
            .select(CustomerRow::as_select())
            .first(c)
            .await
            .optional()?
    });
    row.map(CustomerRow::into_customer).transpose()
}

/// The customer a client knows as `external_id`, if the scope reaches that client.
pub async fn find_by_external_id(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client_id: ClientId,
    external_id: &str,
) -> Result<Option<Customer>, StoreError> {
    if !scope.includes(client_id) {
        return Ok(None);
    }
    let row = dispatch!(conn, c => {
        scoped!(
            customers::table
                .filter(customers::client_id.eq(client_id))
                .filter(customers::external_id.eq(external_id)),
            customers::client_id,
            scope
        )
        .select(CustomerRow::as_select())
        .first(c)
        .await
        .optional()?
    });
    row.map(CustomerRow::into_customer).transpose()
}

/// The customers with these keys that the scope reaches, in no particular order.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[CustomerKey],
) -> Result<Vec<Customer>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(customers::table.filter(customers::id.eq_any(keys)), customers::client_id, scope)
            .select(CustomerRow::as_select())
            .load(c)
            .await?
    });
    rows.into_iter().map(CustomerRow::into_customer).collect()
}

/// How many customers the scope reaches.
pub async fn count(conn: &mut Conn<'_>, scope: &Scope) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        scoped!(customers::table, customers::client_id, scope).count().get_result(c).await?
    });
    Ok(n)
}

/// Filters of the customer listing; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Limit to one client (the operator's choice; a client's scope limits it anyway).
    pub client_id: Option<ClientId>,
    pub customer_type: Option<CustomerType>,
    pub statuses: Option<Vec<CustomerStatus>>,
    pub accredited_investor: Option<bool>,
    pub created_at_or_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// Case-insensitive substring of the names or the customerId.
    pub search: Option<String>,
}

/// What the listing is ordered by; the internal key breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerOrder {
    CreatedAt,
    CustomerId,
}

/// Where a keyset page starts: the order value and key of the last row seen.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerCursor {
    CreatedAt(Timestamp, CustomerKey),
    CustomerId(String, CustomerKey),
}

/// One keyset page request.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub order: CustomerOrder,
    pub descending: bool,
    /// Rows strictly after this position in the (possibly descending) order.
    pub after: Option<CustomerCursor>,
    pub limit: i64,
}

fn escape_like(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len() + 2);
    escaped.push('%');
    for ch in term.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    escaped
}

/// Applies the filter to a boxed customers query (a macro so it serves both backends).
macro_rules! filtered {
    ($query:expr, $filter:expr) => {{
        let filter: &CustomerFilter = $filter;
        let mut query = $query;
        if let Some(client_id) = filter.client_id {
            query = query.filter(customers::client_id.eq(client_id));
        }
        if let Some(customer_type) = filter.customer_type {
            query = query.filter(customers::customer_type.eq(customer_type));
        }
        if let Some(statuses) = &filter.statuses {
            query = query.filter(customers::status.eq_any(statuses.clone()));
        }
        if let Some(flag) = filter.accredited_investor {
            query = query.filter(customers::accredited_investor.eq(flag));
        }
        if let Some(at) = filter.created_at_or_after {
            query = query.filter(customers::created_at.ge(at));
        }
        if let Some(at) = filter.created_before {
            query = query.filter(customers::created_at.lt(at));
        }
        if let Some(term) = &filter.search {
            query = query.filter(customers::search_text.like(escape_like(term)).escape('\\'));
        }
        query
    }};
}

/// One page of customers in the scope, after the filter, in keyset order.
pub async fn list(
    conn: &mut Conn<'_>,
    scope: &Scope,
    filter: &CustomerFilter,
    page: &CustomerPage,
) -> Result<Vec<Customer>, StoreError> {
    use CustomerCursor as K;
    use CustomerOrder as O;
    let rows = dispatch!(conn, c => {
        let mut query = filtered!(scoped!(customers::table, customers::client_id, scope), filter);
        query = match (&page.after, page.descending) {
            (None, _) => query,
            // Each keyset condition leads with a plain range on the order column, so that
            // both databases seek the index to the cursor instead of scanning up to it.
            (Some(K::CreatedAt(at, key)), false) => query
                .filter(customers::created_at.ge(*at))
                .filter(customers::created_at.gt(*at).or(customers::id.gt(*key))),
            (Some(K::CreatedAt(at, key)), true) => query
                .filter(customers::created_at.le(*at))
                .filter(customers::created_at.lt(*at).or(customers::id.lt(*key))),
            (Some(K::CustomerId(ext, key)), false) => query
                .filter(customers::external_id.ge(ext.clone()))
                .filter(customers::external_id.gt(ext.clone()).or(customers::id.gt(*key))),
            (Some(K::CustomerId(ext, key)), true) => query
                .filter(customers::external_id.le(ext.clone()))
                .filter(customers::external_id.lt(ext.clone()).or(customers::id.lt(*key))),
        };
        query = match (page.order, page.descending) {
            (O::CreatedAt, false) => query.order((customers::created_at.asc(), customers::id.asc())),
            (O::CreatedAt, true) => query.order((customers::created_at.desc(), customers::id.desc())),
            (O::CustomerId, false) => query.order((customers::external_id.asc(), customers::id.asc())),
            (O::CustomerId, true) => query.order((customers::external_id.desc(), customers::id.desc())),
        };
        query.limit(page.limit).select(CustomerRow::as_select()).load(c).await?
    });
    rows.into_iter().map(CustomerRow::into_customer).collect()
}

/// How many customers in the scope pass the filter.
pub async fn count_filtered(
    conn: &mut Conn<'_>,
    scope: &Scope,
    filter: &CustomerFilter,
) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        filtered!(scoped!(customers::table, customers::client_id, scope), filter)
            .count()
            .get_result(c)
            .await?
    });
    Ok(n)
}

/// Writes new details (and flag) over a customer, if its version is still `observed_version`:
/// a compare-and-set, so a concurrent change makes this fail with `Conflict` instead of
/// being overwritten. The change log entry is written in the same transaction.
pub async fn update_details(
    conn: &mut Conn<'_>,
    scope: &Scope,
    updated: &Customer,
    observed_version: i64,
    changed_fields: &[String],
    role: Role,
    note: &ChangeNote<'_>,
) -> Result<Customer, StoreError> {
    ensure_in_scope(scope, updated.client_id)?;
    ensure_updatable(updated.status, role)?;
    let now = Timestamp::now();
    let mut row = CustomerRow::from_customer(updated)?;
    row.version = observed_version + 1;
    row.updated_at = now;
    let log = ChangeLogEntry {
        id: StatusHistoryId::new(),
        customer_id: updated.id,
        client_id: updated.client_id,
        version: observed_version + 1,
        changed_fields: changed_fields.join(","),
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: now,
    };
    let written = write_tx!(conn, tx => {
        let changed = dispatch!(tx, c => {
            diesel::update(
                customers::table
                    .filter(customers::id.eq(updated.id))
                    .filter(customers::client_id.eq(updated.client_id))
                    .filter(customers::version.eq(observed_version))
                    .filter(customers::status.eq(updated.status)),
            )
            .set(&row)
            .execute(c)
            .await?
        });
        if changed == 0 {
            return Err(StoreError::Conflict);
        }
        dispatch!(tx, c => {
            diesel::insert_into(customer_change_log::table).values(&log).execute(c).await?;
        });
        Ok(())
    });
    match written {
        Ok(()) => row.into_customer(),
        Err(StoreError::Conflict) => Err(missing_or_conflict(conn, scope, updated.id).await),
        Err(other) => Err(other),
    }
}

/// The update rule, as the store applies it to every write of a customer's details: the
/// status must allow updates by this role. (The status in the compare-and-set is the one
/// checked here, so a concurrent status change cannot slip past it.)
pub(crate) fn ensure_updatable(status: CustomerStatus, role: Role) -> Result<(), StoreError> {
    if status.can_update(role) {
        Ok(())
    } else {
        let why = crate::domain::status::blocked_reason(status, role)
            .unwrap_or_else(|| format!("{status} does not allow updates"));
        Err(StoreError::NotAllowed(format!(
            "customer cannot be updated: {why}"
        )))
    }
}

/// An entry of the customer's change log (who changed which fields, when, why).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_change_log)]
pub struct ChangeLogEntry {
    pub id: StatusHistoryId,
    pub customer_id: CustomerKey,
    pub client_id: ClientId,
    pub version: i64,
    pub changed_fields: String,
    pub reason: String,
    pub updated_by: String,
    pub actor: Actor,
    pub created_at: Timestamp,
}

/// After a compare-and-set matched nothing: `NotFound` if the customer is gone from the
/// scope, otherwise `Conflict` (someone else changed it first).
async fn missing_or_conflict(conn: &mut Conn<'_>, scope: &Scope, key: CustomerKey) -> StoreError {
    match find(conn, scope, key).await {
        Ok(Some(_)) => StoreError::Conflict,
        Ok(None) => StoreError::NotFound,
        Err(error) => error,
    }
}

/// Refusal of a status change by the store's own check of the rule.
#[derive(Debug)]
pub enum StatusChangeError {
    Rule(TransitionError),
    Store(StoreError),
}

impl From<StoreError> for StatusChangeError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Moves a customer from `from` to `to` and appends the history entry, in one transaction.
/// The rule is checked here as well as in the API's guard, and the write is a
/// compare-and-set on the current status (and on `expected_version` when given), so two
/// concurrent changes cannot both win and no path around the guard can break the table.
pub async fn change_status(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    to: CustomerStatus,
    role: Role,
    expected_version: Option<i64>,
    note: &ChangeNote<'_>,
) -> Result<Customer, StatusChangeError> {
    ensure_in_scope(scope, customer.client_id)?;
    let from = customer.status;
    check_transition(from, to, role).map_err(StatusChangeError::Rule)?;
    let now = Timestamp::now();
    let entry = StatusHistoryEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        from_status: Some(from),
        to_status: to,
        reason: note.reason.to_owned(),
        updated_by: note.updated_by.to_owned(),
        actor: note.actor,
        created_at: now,
    };
    if expected_version.is_some_and(|expected| expected != customer.version) {
        return Err(StoreError::Conflict.into());
    }
    let key = customer.id;
    let client_id = customer.client_id;
    let observed_version = customer.version;
    let written = write_tx!(conn, tx => {
        // The compare-and-set: the row must still have the status and version the rule was
        // checked against; anything else means someone changed it first.
        let row = dispatch!(tx, c => {
            diesel::update(
                customers::table
                    .filter(customers::id.eq(key))
                    .filter(customers::client_id.eq(client_id))
                    .filter(customers::status.eq(from))
                    .filter(customers::version.eq(observed_version)),
            )
            .set((
                customers::status.eq(to),
                customers::version.eq(customers::version + 1),
                customers::updated_at.eq(now),
            ))
            .returning(CustomerRow::as_returning())
            .get_result(c)
            .await
            .optional()?
        });
        let Some(row) = row else {
            return Err(StoreError::Conflict);
        };
        dispatch!(tx, c => {
            diesel::insert_into(customer_status_history::table).values(&entry).execute(c).await?;
        });
        Ok(row)
    });
    match written {
        Ok(row) => Ok(row.into_customer()?),
        Err(StoreError::Conflict) => Err(missing_or_conflict(conn, scope, key).await.into()),
        Err(other) => Err(other.into()),
    }
}

/// A page of a customer's status history, oldest first, after `after` (an entry's time and id).
pub async fn status_history(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
    after: Option<(Timestamp, StatusHistoryId)>,
    limit: i64,
) -> Result<Vec<StatusHistoryEntry>, StoreError> {
    let entries = dispatch!(conn, c => {
        let mut query = scoped!(
            customer_status_history::table.filter(customer_status_history::customer_id.eq(customer)),
            customer_status_history::client_id,
            scope
        );
        if let Some(after) = after {
            query = query
                .filter(customer_status_history::created_at.ge(after.0))
                .filter(
                    customer_status_history::created_at
                        .gt(after.0)
                        .or(customer_status_history::id.gt(after.1)),
                );
        }
        query
            .order((customer_status_history::created_at.asc(), customer_status_history::id.asc()))
            .limit(limit)
            .select(StatusHistoryEntry::as_select())
            .load(c)
            .await?
    });
    Ok(entries)
}

/// How many status history entries a customer has.
pub async fn status_history_count(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
) -> Result<i64, StoreError> {
    let n = dispatch!(conn, c => {
        scoped!(
            customer_status_history::table.filter(customer_status_history::customer_id.eq(customer)),
            customer_status_history::client_id,
            scope
        )
        .count()
        .get_result(c)
        .await?
    });
    Ok(n)
}

/// Creates a customer with its default account, and the first history entry, in one
/// transaction: both exist afterwards, or neither does.
pub async fn create_with_account(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: &Customer,
    account: &super::accounts::Account,
    note: &ChangeNote<'_>,
) -> Result<(), StoreError> {
    write_tx!(conn, tx => {
        insert(tx, scope, customer, note).await?;
        super::accounts::insert(tx, scope, account).await
    })
}
