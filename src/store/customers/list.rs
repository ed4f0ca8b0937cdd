//! Listing customers: filters, keyset pages in a stable order, and the filtered count.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, scoped};
use crate::db::raw::CountOf;
use crate::db::schema::customers;
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::customer::CustomerType;
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;

use super::{Customer, CustomerRow};

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
    /// Only ACTIVE customers whose last activity is before this instant (those dormancy
    /// will reach first).
    pub idle_since: Option<Timestamp>,
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
        if let Some(at) = filter.idle_since {
            query = query
                .filter(customers::status.eq(CustomerStatus::Active))
                .filter(customers::last_activity_at.lt(at));
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
        let mut query = filtered!(scoped!(customers::table, customers::client_id, scope, external_id = customers::external_id), filter);
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
    at_most: i64,
) -> Result<Counted, StoreError> {
    // Counts the customers of a query that stops one past the bound: the scan ends there
    // however many customers the client has.
    let seen: i64 = dispatch!(conn, c => {
        CountOf(
            filtered!(scoped!(customers::table, customers::client_id, scope, external_id = customers::external_id), filter)
                .select(customers::id)
                .limit(at_most.saturating_add(1)),
        )
        .get_result(c)
        .await?
    });
    Ok(Counted {
        count: seen.min(at_most),
        exact: seen <= at_most,
    })
}

/// A count that stops at a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The count, or the bound when there are more.
    pub count: i64,
    /// False when there are more than `count`.
    pub exact: bool,
}
