//! The stored form of an application: columns for what is filtered or constrained, JSON
//! text for the draft's details, people and change requests.

use diesel::prelude::*;

use super::Application;
use crate::db::schema::applications;
use crate::db::types::Timestamp;
use crate::domain::account::ProductId;
use crate::domain::application::{
    AccountToOpen, ApplicationPerson, ApplicationStatus, ApplicationType, ChangeRequest,
    CustomerDraft, Draft,
};
use crate::domain::ids::{ApplicationId, ClientId, CustomerKey};
use crate::store::StoreError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = applications, treat_none_as_null = true)]
pub(super) struct ApplicationRow {
    id: ApplicationId,
    client_id: ClientId,
    customer_external_id: String,
    application_type: ApplicationType,
    status: ApplicationStatus,
    customer_details: String,
    individuals: String,
    account_id: Option<String>,
    product_id: Option<ProductId>,
    asset_type_id: Option<String>,
    terms_and_conditions_accepted: bool,
    change_requests: String,
    customer_id: Option<CustomerKey>,
    decision_reason: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
    submitted_at: Option<Timestamp>,
    decided_at: Option<Timestamp>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl ApplicationRow {
    pub(super) fn from_application(a: &Application) -> Result<Self, StoreError> {
        let d = &a.draft;
        let account = d.account_to_open.as_ref();
        Ok(Self {
            id: a.id,
            client_id: a.client_id,
            customer_external_id: a.customer_external_id.clone(),
            application_type: a.application_type(),
            status: a.status,
            customer_details: to_json(&d.customer)?,
            individuals: to_json(&d.individuals)?,
            account_id: account.map(|x| x.account_id.clone()),
            product_id: account.map(|x| x.product_id),
            asset_type_id: account.map(|x| x.asset_type_id.clone()),
            terms_and_conditions_accepted: d.terms_and_conditions_accepted,
            change_requests: to_json(&d.change_requests)?,
            customer_id: a.customer_id,
            decision_reason: a.decision_reason.clone(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            submitted_at: a.submitted_at,
            decided_at: a.decided_at,
        })
    }

    pub(super) fn into_application(self) -> Result<Application, StoreError> {
        let customer: CustomerDraft = from_json(&self.customer_details, "customer_details")?;
        if customer.application_type() != self.application_type {
            return Err(StoreError::Corrupt(format!(
                "application {} has {} details but type {}",
                self.id,
                customer.application_type(),
                self.application_type
            )));
        }
        let individuals: Vec<ApplicationPerson> = from_json(&self.individuals, "individuals")?;
        let change_requests: Vec<ChangeRequest> =
            from_json(&self.change_requests, "change_requests")?;
        let account_to_open = match (self.account_id, self.product_id, self.asset_type_id) {
            (Some(account_id), Some(product_id), Some(asset_type_id)) => Some(AccountToOpen {
                account_id,
                product_id,
                asset_type_id,
            }),
            _ => None,
        };
        Ok(Application {
            id: self.id,
            client_id: self.client_id,
            customer_external_id: self.customer_external_id,
            status: self.status,
            draft: Draft {
                customer,
                individuals,
                account_to_open,
                terms_and_conditions_accepted: self.terms_and_conditions_accepted,
                change_requests,
            },
            customer_id: self.customer_id,
            decision_reason: self.decision_reason,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            submitted_at: self.submitted_at,
            decided_at: self.decided_at,
        })
    }
}
