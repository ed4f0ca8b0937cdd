//! `Customer` and what hangs off it: type-specific details (sensitive values masked for
//! clients), the people of a corporation, permissions for the caller, and status history.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::client::Actor;
use crate::domain::customer::{
    CorporateEntityType, CustomerType, EmploymentStatus, IndividualType, PersonDetails, Sensitive,
    UsResidencyStatus,
};
use crate::domain::ids::{AccountKey, PayorKey};
use crate::domain::status::{CustomerStatus, blocked_reason};
use crate::domain::tenancy::Principal;
use crate::domain::time::Timestamp;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::loaders::{
    self, AccountsOf, AccountsPage, ApplicationOf, IndividualsOf, PayorsOf, PayorsPage,
};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::pagination::{Connection, PageInfo, PageRequest, encode_cursor, page_of};
use crate::graphql::request;
use crate::graphql::types::account::Account;
use crate::graphql::types::address::Address;
use crate::graphql::types::payor::Payor;
use crate::store;
use crate::store::customers::Details;

/// A client's customer: an individual (KYC) or a corporation (KYB), onboarded through an
/// application or created directly by a regulated client.
pub struct Customer(pub store::customers::Customer);

/// Shows a sensitive value whole to the operator and masked (last four) to clients.
fn shown(value: &Option<Sensitive>, principal: &Principal) -> Option<String> {
    value.as_ref().map(|v| {
        if principal.is_operator() {
            v.reveal().to_owned()
        } else {
            v.masked()
        }
    })
}

/// A client's customer: an individual (KYC) or a corporation (KYB), onboarded through an
/// application or created directly by a regulated client.
#[Object]
impl Customer {
    /// The customer's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Customer, self.0.id.0)
    }

    /// The client's own reference for this customer, unique within the client.
    async fn customer_id(&self) -> &str {
        &self.0.external_id
    }

    /// INDIVIDUAL or CORPORATION.
    async fn customer_type(&self) -> CustomerType {
        self.0.customer_type()
    }

    /// The customer's lifecycle status; it decides whether the customer may be updated or
    /// transact (see `permissions`).
    async fn status(&self) -> CustomerStatus {
        self.0.status
    }

    /// A person's full name, or a corporation's registered name.
    async fn display_name(&self) -> String {
        self.0.display_name()
    }

    /// Whether the customer is an accredited investor.
    async fn accredited_investor(&self) -> bool {
        self.0.accredited_investor
    }

    /// The details of an individual customer; null for a corporation.
    async fn individual(&self, ctx: &Context<'_>) -> ApiResult<Option<IndividualDetails>> {
        let principal = request(ctx)?.principal;
        Ok(match &self.0.details {
            Details::Individual(details) => Some(IndividualDetails {
                details: details.clone(),
                principal,
            }),
            Details::Corporation(_) => None,
        })
    }

    /// The details of a corporate customer; null for an individual.
    async fn corporation(&self) -> Option<CorporationDetails> {
        match &self.0.details {
            Details::Corporation(details) => Some(CorporationDetails(details.clone())),
            Details::Individual(_) => None,
        }
    }

    /// The people of a corporate customer (officers, beneficial owners, control persons,
    /// authorised persons), oldest first; empty for an individual.
    async fn individuals(&self, ctx: &Context<'_>) -> ApiResult<Vec<CustomerIndividual>> {
        if self.0.customer_type() != CustomerType::Corporation {
            return Ok(Vec::new());
        }
        let principal = request(ctx)?.principal;
        let people = loaders::reader(ctx)?
            .load_one(IndividualsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(people
            .into_iter()
            .map(|person| CustomerIndividual::of_customer(person, principal))
            .collect())
    }

    /// The application that onboarded this customer; null for a customer created directly.
    async fn application(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<super::application::Application>> {
        let principal = request(ctx)?.principal;
        Ok(loaders::reader(ctx)?
            .load_one(ApplicationOf(self.0.id))
            .await?
            .map(|a| super::application::Application::new(a, principal)))
    }

    /// The customer's accounts, oldest (the default account) first, one keyset page at a
    /// time; only those in `status` when given.
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only accounts in this status.")] status: Option<CustomerStatus>,
        #[graphql(desc = "How many to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return those after this cursor.")] after: Option<String>,
    ) -> ApiResult<Connection<Account>> {
        let rc = request(ctx)?;
        let request = PageRequest::new(first, after, None, None)?;
        let after = request
            .decode_cursor::<(DateTime<Utc>, uuid::Uuid)>()?
            .map(|(at, id)| (Timestamp(at), AccountKey(id)));
        let page = AccountsPage {
            status,
            after,
            limit: request.size + 1,
        };
        let rows = loaders::reader(ctx)?
            .load_one(AccountsOf(self.0.id, page))
            .await?
            .unwrap_or_default();
        let accounts = rows
            .into_iter()
            .map(|row| Account::new(row, &rc.db))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Connection::of(
            &request,
            accounts,
            |a| encode_cursor(&(a.row.created_at.0, a.row.id.0)),
            |a| a,
        ))
    }

    /// The customer's payors, oldest first, one keyset page at a time.
    async fn payors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (1 to 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return those after this cursor.")] after: Option<String>,
    ) -> ApiResult<Connection<Payor>> {
        let request = PageRequest::new(first, after, None, None)?;
        let after = request
            .decode_cursor::<(DateTime<Utc>, uuid::Uuid)>()?
            .map(|(at, id)| (Timestamp(at), PayorKey(id)));
        let page = PayorsPage {
            after,
            limit: request.size + 1,
        };
        let rows = loaders::reader(ctx)?
            .load_one(PayorsOf(self.0.id, page))
            .await?
            .unwrap_or_default();
        Ok(Connection::of(
            &request,
            rows,
            |p| encode_cursor(&(p.created_at.0, p.id.0)),
            Payor,
        ))
    }

    /// What the calling principal may do with this customer now.
    async fn permissions(&self, ctx: &Context<'_>) -> ApiResult<CustomerPermissions> {
        let principal = request(ctx)?.principal;
        let status = self.0.status;
        let role = principal.role();
        Ok(CustomerPermissions {
            can_read: status.can_read(),
            can_update: status.can_update(role),
            can_transact: status.can_transact(),
            allowed_next_statuses: status.allowed_next(role),
            reason: blocked_reason(status, role),
        })
    }

    /// The customer's status changes, oldest first.
    async fn status_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many entries (1 to 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Entries after this cursor.")] after: Option<String>,
    ) -> ApiResult<StatusHistoryConnection> {
        let rc = request(ctx)?;
        let page = PageRequest::new(first, after, None, None)?;
        // The cursor is the entry's (time, id): the order of the history.
        let after_id = page
            .decode_cursor::<(String, uuid::Uuid)>()?
            .map(|(at, id)| {
                chrono::DateTime::parse_from_rfc3339(&at)
                    .map(|at| {
                        (
                            Timestamp(at.with_timezone(&Utc)),
                            crate::domain::ids::StatusHistoryId(id),
                        )
                    })
                    .map_err(|_| ApiError::bad_input("after", "not a valid cursor for this list"))
            })
            .transpose()?;
        let scope = rc.principal.scope();
        let mut pooled = rc.db.read().await?;
        let rows = store::customers::status_history(
            &mut pooled.conn(),
            &scope,
            self.0.id,
            after_id,
            page.size + 1,
        )
        .await?;
        let (items, page_info) = page_of(&page, rows, |entry| {
            encode_cursor(&(entry.created_at.to_rfc3339(), entry.id.0))
        });
        Ok(StatusHistoryConnection {
            edges: items
                .into_iter()
                .map(|(cursor, entry)| StatusHistoryEdge {
                    cursor,
                    node: entry.into(),
                })
                .collect(),
            page_info,
            customer: self.0.id,
        })
    }

    /// Increases with every change; pass it back as `expectedVersion` to change safely.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the customer was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.0
    }

    /// When the customer last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.0
    }
}

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

/// What the calling principal may do with a customer, from the status rules.
#[derive(SimpleObject)]
pub struct CustomerPermissions {
    /// Whether the customer may be read.
    pub can_read: bool,
    /// Whether the caller may update the customer's details.
    pub can_update: bool,
    /// Whether money may move in or out of the customer's accounts.
    pub can_transact: bool,
    /// The statuses the caller may move the customer to.
    pub allowed_next_statuses: Vec<CustomerStatus>,
    /// Why the caller cannot act, when it cannot (e.g. awaiting the platform).
    pub reason: Option<String>,
}

/// One status change of a customer.
#[derive(SimpleObject)]
pub struct StatusChange {
    /// The status before; null for the customer's creation.
    pub from: Option<CustomerStatus>,
    /// The status after.
    pub to: CustomerStatus,
    /// Why the status changed.
    pub reason: String,
    /// Who asked for the change, as given with it (a person or system of the client's).
    pub updated_by: String,
    /// Which kind of principal made the change.
    pub actor: Actor,
    /// When the change happened.
    pub at: DateTime<Utc>,
}

impl From<store::customers::StatusHistoryEntry> for StatusChange {
    fn from(entry: store::customers::StatusHistoryEntry) -> Self {
        Self {
            from: entry.from_status,
            to: entry.to_status,
            reason: entry.reason,
            updated_by: entry.updated_by,
            actor: entry.actor,
            at: entry.created_at.0,
        }
    }
}

/// An entry in a status history page.
#[derive(SimpleObject)]
pub struct StatusHistoryEdge {
    /// Where this entry sits, for `after`.
    pub cursor: String,
    /// The status change.
    pub node: StatusChange,
}

/// A page of a customer's status history.
pub struct StatusHistoryConnection {
    edges: Vec<StatusHistoryEdge>,
    page_info: PageInfo,
    customer: crate::domain::ids::CustomerKey,
}

/// A page of a customer's status history, oldest first.
#[Object]
impl StatusHistoryConnection {
    /// The entries of this page.
    async fn edges(&self) -> &[StatusHistoryEdge] {
        &self.edges
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many entries the whole history has.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let rc = request(ctx)?;
        let mut pooled = rc.db.read().await?;
        Ok(store::customers::status_history_count(
            &mut pooled.conn(),
            &rc.principal.scope(),
            self.customer,
        )
        .await?)
    }
}
