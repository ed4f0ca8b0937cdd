//! Application reads: one by id, or a filtered list in creation order, one keyset page at a
//! time.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;

use super::application_id;
use super::inputs::ApplicationFilterInput;
use crate::domain::ids::{ApplicationId, ClientId};
use crate::domain::tenancy::Scope;
use crate::domain::time::Timestamp;
use crate::domain::validation::Problems;
use crate::graphql::customers::check_external_id;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::pagination::{PageInfo, PageRequest, encode_cursor, page_of};
use crate::graphql::request;
use crate::graphql::types::application::Application;
use crate::store;
use crate::store::applications::ApplicationFilter;

/// Application reads.
#[derive(Default)]
pub struct ApplicationQuery;

/// Application reads.
#[Object]
impl ApplicationQuery {
    /// An application by its id. Another client's is NOT_FOUND, like one that does not exist.
    async fn application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
    ) -> ApiResult<Application> {
        let rc = request(ctx)?;
        let application =
            crate::ops::applications::load(&rc.cx(), application_id(&id)?, None).await?;
        Ok(Application::new(application, rc.principal))
    }

    /// The caller's applications (the operator's: every client's, or one client's with
    /// `clientId`), oldest first, one keyset page at a time.
    async fn applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which applications to list.")] filter: Option<ApplicationFilterInput>,
        #[graphql(desc = "At most this many (1 to 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Applications after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Only this client's applications (for the operator; a client always sees only its own)."
        )]
        client_id: Option<ID>,
    ) -> ApiResult<ApplicationConnection> {
        let rc = request(ctx)?;
        let page = PageRequest::new(first, after, None, None)?;
        let position = page
            .decode_cursor::<(String, uuid::Uuid)>()?
            .map(|(at, id)| {
                chrono::DateTime::parse_from_rfc3339(&at)
                    .map(|at| (Timestamp(at.with_timezone(&Utc)), ApplicationId(id)))
                    .map_err(|_| ApiError::bad_input("after", "not a valid cursor for this list"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let mut problems = Problems::new();
        if let Some(id) = &filter.customer_id {
            check_external_id(&mut problems, "filter.customerId", id);
        }
        ApiError::check(problems.into_errors())?;
        let scope = rc.principal.scope();
        let client_filter = match &client_id {
            None => None,
            Some(id) => {
                let named = ClientId(node::decode_as(id, NodeKind::Client)?);
                if !scope.includes(named) {
                    return Ok(ApplicationConnection::empty(scope));
                }
                Some(named)
            }
        };
        let store_filter = ApplicationFilter {
            client_id: client_filter,
            status: filter.status,
            application_type: filter.application_type,
            customer_external_id: filter.customer_id,
            created_after: filter.created_after.map(Timestamp::from_datetime),
            created_before: filter.created_before.map(Timestamp::from_datetime),
        };
        let mut pooled = rc.db.read().await?;
        let rows = store::applications::list(
            &mut pooled.conn(),
            &scope,
            &store_filter,
            position,
            page.size + 1,
        )
        .await?;
        let (items, page_info) = page_of(&page, rows, |a| {
            encode_cursor(&(a.created_at.to_rfc3339(), a.id.0))
        });
        Ok(ApplicationConnection {
            edges: items
                .into_iter()
                .map(|(cursor, a)| ApplicationEdge {
                    cursor,
                    node: Application::new(a, rc.principal),
                })
                .collect(),
            page_info,
            filter: Some(store_filter),
            scope,
        })
    }
}

/// An application in a page of applications.
#[derive(SimpleObject)]
pub struct ApplicationEdge {
    /// Where this application sits, for `after`.
    pub cursor: String,
    /// The application.
    pub node: Application,
}

/// A page of applications.
pub struct ApplicationConnection {
    edges: Vec<ApplicationEdge>,
    page_info: PageInfo,
    /// `None` when the caller may see nothing (so the count is zero).
    filter: Option<ApplicationFilter>,
    scope: Scope,
}

impl ApplicationConnection {
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
        }
    }
}

/// A page of applications, with the total across all pages.
#[Object]
impl ApplicationConnection {
    /// The applications of this page.
    async fn edges(&self) -> &[ApplicationEdge] {
        &self.edges
    }
    /// The applications of this page, without cursors.
    async fn nodes(&self) -> Vec<&Application> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many applications pass the filter, across all pages (counted only when asked).
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let Some(filter) = &self.filter else {
            return Ok(0);
        };
        let rc = request(ctx)?;
        let mut pooled = rc.db.read().await?;
        Ok(store::applications::count(&mut pooled.conn(), &self.scope, filter).await?)
    }
}
