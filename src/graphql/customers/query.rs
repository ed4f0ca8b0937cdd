//! Customer reads: one by customerId, or a filtered keyset-paged list.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{is_external_id, load_customer, target_client};
use crate::domain::dormancy::Dormancy;
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::tenancy::Scope;
use crate::domain::time::Timestamp;
use crate::domain::validation::Problems;
use crate::graphql::customer_inputs::{
    CustomerFilterInput, CustomerOrderField, CustomerOrderInput, OrderDirection,
};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::pagination::{Direction, PageInfo, PageRequest, encode_cursor, page_of};
use crate::graphql::request;
use crate::graphql::types::customer::Customer;
use crate::store;
use crate::store::customers::{
    Counted, CustomerCursor, CustomerFilter, CustomerOrder, CustomerPage,
};

/// Customer reads.
#[derive(Default)]
pub struct CustomerQuery;

/// Position of a customer in a listing (opaque to clients).
#[derive(Serialize, Deserialize)]
struct CursorData {
    /// `c`: by creation time, `i`: by customerId.
    o: char,
    v: String,
    k: uuid::Uuid,
}

impl CursorData {
    fn of(order: CustomerOrder, customer: &store::customers::Customer) -> Self {
        match order {
            CustomerOrder::CreatedAt => Self {
                o: 'c',
                v: customer.created_at.to_rfc3339(),
                k: customer.id.0,
            },
            CustomerOrder::CustomerId => Self {
                o: 'i',
                v: customer.external_id.clone(),
                k: customer.id.0,
            },
        }
    }

    fn into_cursor(self, order: CustomerOrder) -> Option<CustomerCursor> {
        match (order, self.o) {
            (CustomerOrder::CreatedAt, 'c') => {
                let at = chrono::DateTime::parse_from_rfc3339(&self.v)
                    .ok()?
                    .with_timezone(&Utc);
                Some(CustomerCursor::CreatedAt(
                    Timestamp(at),
                    CustomerKey(self.k),
                ))
            }
            (CustomerOrder::CustomerId, 'i') if is_external_id(&self.v) => {
                Some(CustomerCursor::CustomerId(self.v, CustomerKey(self.k)))
            }
            _ => None,
        }
    }
}

/// Customer reads.
#[Object]
impl CustomerQuery {
    /// A customer by the client's own customerId. The operator names the client with
    /// `clientId`. Another client's customer is NOT_FOUND, like one that does not exist.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(
            desc = "The client's global id; required for the operator, optional for a client."
        )]
        client_id: Option<ID>,
    ) -> ApiResult<Customer> {
        let rc = request(ctx)?;
        Ok(Customer(
            load_customer(rc, &customer_id, client_id.as_ref()).await?,
        ))
    }

    /// The caller's customers (the operator's: every client's, or one client's with
    /// `clientId`), filtered, in a stable order, one keyset page at a time.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which customers to list.")] filter: Option<CustomerFilterInput>,
        #[graphql(desc = "The order (default: creation time, oldest first).")] order_by: Option<
            CustomerOrderInput,
        >,
        #[graphql(
            desc = "At most this many customers from the start or after `after` (1 to 100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Customers after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "At most this many customers before `before` or from the end (1 to 100)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Customers before this cursor.")] before: Option<String>,
        #[graphql(
            desc = "Only this client's customers (for the operator; a client always sees only its own)."
        )]
        client_id: Option<ID>,
    ) -> ApiResult<CustomerConnection> {
        let rc = request(ctx)?;
        let page = PageRequest::new(first, after, last, before)?;
        let order_by = order_by.unwrap_or_default();
        let order = match order_by.field {
            CustomerOrderField::CreatedAt => CustomerOrder::CreatedAt,
            CustomerOrderField::CustomerId => CustomerOrder::CustomerId,
        };
        let descending = order_by.direction == OrderDirection::Desc;
        let position = position(&page, order)?;

        let filter = filter.unwrap_or_default();
        let mut problems = Problems::new();
        problems.optional_text("filter.search", filter.search.as_deref(), 100);
        ApiError::check(problems.into_errors())?;
        // Naming another client is allowed only to the operator; a client naming another
        // sees an empty list (its scope would hide every row anyway).
        let client_filter = match &client_id {
            None => None,
            Some(id) => match target_client(&rc.principal, Some(id))? {
                Some(client) => Some(client),
                None => return Ok(CustomerConnection::empty(rc.principal.scope())),
            },
        };
        let store_filter = store_filter(filter, client_filter, &rc.settings.dormancy);
        let store_page = CustomerPage {
            order,
            // Reading backwards is reading the reverse order forwards, then flipping.
            descending: descending != (page.direction == Direction::Backward),
            after: position,
            limit: page.size + 1,
        };
        let scope = rc.principal.scope();
        let mut pooled = rc.db.read().await?;
        let rows =
            store::customers::list(&mut pooled.conn(), &scope, &store_filter, &store_page).await?;
        let (items, page_info) = page_of(&page, rows, |c| encode_cursor(&CursorData::of(order, c)));
        Ok(CustomerConnection {
            edges: items
                .into_iter()
                .map(|(cursor, c)| CustomerEdge {
                    cursor,
                    node: Customer(c),
                })
                .collect(),
            page_info,
            filter: Some(store_filter),
            scope,
            counted: tokio::sync::OnceCell::new(),
        })
    }
}

/// Where a page of customers starts: the request's cursor, refused when it belongs to another
/// ordering than `order`.
fn position(page: &PageRequest, order: CustomerOrder) -> ApiResult<Option<CustomerCursor>> {
    let cursor_field = if page.direction == Direction::Forward {
        "after"
    } else {
        "before"
    };
    page.decode_cursor::<CursorData>()?
        .map(|data| {
            data.into_cursor(order).ok_or_else(|| {
                ApiError::bad_input(cursor_field, "this cursor belongs to another ordering")
            })
        })
        .transpose()
}

/// The store's filter for a checked `filter` and the client to list (a blank search is
/// none; a search is trimmed).
fn store_filter(
    filter: CustomerFilterInput,
    client_id: Option<ClientId>,
    dormancy: &Dormancy,
) -> CustomerFilter {
    CustomerFilter {
        client_id,
        customer_type: filter.customer_type,
        statuses: filter.status,
        accredited_investor: filter.accredited_investor,
        created_at_or_after: filter.created_after.map(Timestamp::from_datetime),
        created_before: filter.created_before.map(Timestamp::from_datetime),
        search: filter
            .search
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned()),
        idle_since: filter
            .dormant_before
            .map(|before| Timestamp::from_datetime(dormancy.idle_before(before))),
    }
}

/// A customer in a page of customers.
#[derive(SimpleObject)]
pub struct CustomerEdge {
    /// Where this customer sits, for `after`/`before`.
    pub cursor: String,
    /// The customer.
    pub node: Customer,
}

/// A page of customers.
pub struct CustomerConnection {
    edges: Vec<CustomerEdge>,
    page_info: PageInfo,
    /// `None` when the caller may see nothing (so the count is zero).
    filter: Option<CustomerFilter>,
    scope: Scope,
    /// The count, once asked for (`totalCount` and `totalCountIsExact` share it).
    counted: tokio::sync::OnceCell<Counted>,
}

impl CustomerConnection {
    fn empty(scope: Scope) -> Self {
        Self {
            edges: Vec::new(),
            page_info: PageInfo {
                has_next_page: false,
                has_previous_page: false,
                start_cursor: None,
                end_cursor: None,
            },
            filter: None,
            scope,
            counted: tokio::sync::OnceCell::new(),
        }
    }
}

/// A page of customers, with the total across all pages.
#[Object]
impl CustomerConnection {
    /// The customers of this page.
    async fn edges(&self) -> &[CustomerEdge] {
        &self.edges
    }
    /// The customers of this page, without cursors.
    async fn nodes(&self) -> Vec<&Customer> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many customers pass the filter, across all pages, counted up to 10,000 (the
    /// server's `--max-total-count`) so that a count costs the same for any size of list: a
    /// longer list shows that number and `totalCountIsExact` false. Counted only when asked
    /// for.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counted(ctx).await?.count)
    }

    /// False when more customers pass the filter than `totalCount` shows (it stops at the
    /// server's `--max-total-count`).
    async fn total_count_is_exact(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.counted(ctx).await?.exact)
    }
}

impl CustomerConnection {
    /// The bounded count, counted once however many fields ask for it.
    async fn counted(&self, ctx: &Context<'_>) -> ApiResult<Counted> {
        let Some(filter) = &self.filter else {
            return Ok(Counted {
                count: 0,
                exact: true,
            });
        };
        let rc = request(ctx)?;
        let at_most = rc.settings.max_total_count;
        let counted = self
            .counted
            .get_or_try_init(|| async {
                let mut pooled = rc.db.read().await?;
                let counted = store::customers::count_filtered(
                    &mut pooled.conn(),
                    &self.scope,
                    filter,
                    at_most,
                )
                .await?;
                ApiResult::Ok(counted)
            })
            .await?;
        Ok(*counted)
    }
}
