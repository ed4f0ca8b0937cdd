//! `Customer` and what hangs off it: type-specific details (sensitive values masked for
//! clients), the people of a corporation, permissions for the caller, and status history.

mod details;
mod history;
mod people;

pub use details::{CorporationDetails, IndividualDetails};
pub use history::{StatusChange, StatusHistoryConnection, StatusHistoryEdge};
pub use people::CustomerIndividual;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::customer::{CustomerType, Sensitive};
use crate::domain::ids::{AccountKey, PayorKey};
use crate::domain::status::{CustomerStatus, blocked_reason};
use crate::domain::tenancy::Principal;
use crate::domain::time::Timestamp;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::loaders::{
    self, AccountsOf, AccountsPage, ApplicationOf, IndividualsOf, PayorsOf, PayorsPage,
};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::pagination::{Connection, PageRequest, encode_cursor, page_of};
use crate::graphql::request;
use crate::graphql::types::account::Account;
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

    /// When the customer last did something of its own (to the minute): a transfer
    /// requested or accepted from its accounts, a change by its client to its details or
    /// status, a new account, payor or payment address; its creation until then. Money
    /// received does not count unless the server is configured so.
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at.0
    }

    /// When this ACTIVE customer becomes DORMANT if it does nothing of its own until then
    /// (its last activity plus the dormancy period, 365 days by default); null in any
    /// other status. On a SANDBOX client's own clock, like every time of its objects.
    async fn dormant_after(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        let rule = request(ctx)?.settings.dormancy;
        Ok(rule.dormant_after(self.0.status, self.0.last_activity_at.0))
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
