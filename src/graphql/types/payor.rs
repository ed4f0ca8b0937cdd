//! `Payor`: someone who pays a customer (no KYC is done on payors).

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::loaders::{self, CustomerByKey};
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::types::customer::Customer;
use crate::store;

/// Someone (a person or a company) who pays a customer.
#[derive(Clone)]
pub struct Payor(pub store::payors::Payor);

/// Someone (a person or a company) who pays a customer. No KYC is done on payors.
#[Object]
impl Payor {
    /// The payor's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Payor, self.0.id.0)
    }
    /// The client's own id for the payor, unique per customer.
    async fn payor_id(&self) -> &str {
        &self.0.external_id
    }
    /// Given name (a person).
    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }
    /// Middle name(s) (a person).
    async fn middle_name(&self) -> Option<&str> {
        self.0.middle_name.as_deref()
    }
    /// Family name (a person).
    async fn last_name(&self) -> Option<&str> {
        self.0.last_name.as_deref()
    }
    /// The company's name (a company).
    async fn company_name(&self) -> Option<&str> {
        self.0.company_name.as_deref()
    }
    /// Email address.
    async fn email_address(&self) -> Option<&str> {
        self.0.email_address.as_deref()
    }
    /// Telephone number in E.164 form.
    async fn phone_number(&self) -> Option<&str> {
        self.0.phone_number.as_deref()
    }
    /// Subdivision (ISO 3166-2 subdivision part, e.g. NY) of `countryCode`.
    async fn state(&self) -> Option<&str> {
        self.0.state.as_deref()
    }
    /// Country (ISO 3166-1 alpha-2).
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    /// Increases with every change; pass it as `expectedVersion` to `updatePayor`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// When the payor was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.0
    }
    /// When the payor's details last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.0
    }
    /// The customer this payor pays.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Customer> {
        loaders::reader(ctx)?
            .load_one(CustomerByKey(self.0.customer_id))
            .await?
            .map(Customer)
            .ok_or_else(|| ApiError::internal(&"a payor's customer is missing"))
    }
}
