//! The root reads every API has: `viewer` and `node`.

use async_graphql::{Context, ID, Object};

use super::error::{ApiError, ApiResult};
use super::node::{self, Node, NodeKind};
use super::request;
use super::types::account::Account;
use super::types::application::{Application, ApplicationDocument};
use super::types::client::Client;
use super::types::customer::{Customer, CustomerIndividual};
use super::types::money::{PaymentAddress, Transaction, Transfer};
use super::types::payor::Payor;
use crate::domain::access::AccessScope;
use crate::domain::ids::{
    AccountKey, ApplicationId, ApplicationIndividualId, ClientId, CustomerKey, DocumentId,
    PaymentAddressId, PayorKey, TransactionId, TransferId,
};
use crate::store;
use crate::store::customer_individuals::IndividualId;

/// The entry points for reading: the caller (`viewer`) and any object by its global id
/// (`node`).
#[derive(Default)]
pub struct NodeQuery;

/// The entry points for reading: the caller (`viewer`) and any object by its global id
/// (`node`).
#[Object]
impl NodeQuery {
    /// The client whose API key made this request; null for the platform operator, which
    /// acts across clients and belongs to none.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<Client>> {
        let rc = request(ctx)?;
        let Some(client_id) = rc.principal.client_id() else {
            return Ok(None);
        };
        let mut pooled = rc.db.read().await?;
        let client = store::clients::find(&mut pooled.conn(), &rc.principal.scope(), client_id)
            .await?
            .ok_or_else(|| ApiError::internal(&"the caller's client row is missing"))?;
        Ok(Some(Client(client)))
    }

    /// Any object by its global id, if the caller may see it; null otherwise (an object of
    /// another client is indistinguishable from one that does not exist). A document
    /// requirement is a node whether or not a file is uploaded for it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in an object's `id` field.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (kind, key) = node::decode(&id)?;
        find_node(request(ctx)?, kind, key).await
    }
}

/// The object of `kind` with internal key `key`, if the caller may see it.
pub async fn find_node(
    rc: &super::RequestContext,
    kind: NodeKind,
    key: uuid::Uuid,
) -> ApiResult<Option<Node>> {
    {
        let scope = rc.principal.scope();
        let mut pooled = rc.db.read().await?;
        let conn = &mut pooled.conn();
        Ok(match kind {
            NodeKind::Client => store::clients::find(conn, &scope, ClientId(key))
                .await?
                .map(|c| Node::Client(Client(c))),
            NodeKind::Customer => store::customers::find(conn, &scope, CustomerKey(key))
                .await?
                .map(|c| Node::Customer(Customer(c))),
            // The type is shared by a customer's people and an application's, so its fields
            // are readable with either scope (limits::access); each kind of id needs its own.
            NodeKind::CustomerIndividual => {
                ApiError::require(&rc.principal, AccessScope::CustomersRead)?;
                store::customer_individuals::find(conn, &scope, IndividualId(key))
                    .await?
                    .map(|person| {
                        Node::CustomerIndividual(CustomerIndividual::of_customer(
                            person,
                            rc.principal,
                        ))
                    })
            }
            NodeKind::Application => store::applications::find(conn, &scope, ApplicationId(key))
                .await?
                .map(|a| Node::Application(Application::new(a, rc.principal))),
            NodeKind::ApplicationIndividual => {
                ApiError::require(&rc.principal, AccessScope::ApplicationsRead)?;
                let person = ApplicationIndividualId(key);
                store::applications::find_by_person(conn, &scope, person)
                    .await?
                    .and_then(|a| {
                        a.draft.person(person).map(|p| {
                            Node::CustomerIndividual(CustomerIndividual::of_application(
                                p,
                                rc.principal,
                            ))
                        })
                    })
            }
            NodeKind::ApplicationDocument => {
                // Its file once uploaded, else the requirement (MISSING) that asks for it.
                let id = DocumentId(key);
                let document = match store::applications::find_document(conn, &scope, id).await? {
                    Some(file) => Some(ApplicationDocument::uploaded(file, rc.principal)),
                    None => store::applications::find_requirement(conn, &scope, id)
                        .await?
                        .map(|slot| ApplicationDocument::missing(&slot, rc.principal)),
                };
                document.map(Node::ApplicationDocument)
            }
            NodeKind::Account => {
                match store::accounts::find_many(conn, &scope, &[AccountKey(key)])
                    .await?
                    .pop()
                {
                    Some(row) => Some(Node::Account(Account::new(row, &rc.db)?)),
                    None => None,
                }
            }
            NodeKind::Payor => store::payors::find_many(conn, &scope, &[PayorKey(key)])
                .await?
                .pop()
                .map(|p| Node::Payor(Payor(p))),
            NodeKind::PaymentAddress => {
                match store::payment_addresses::find_many(conn, &scope, &[PaymentAddressId(key)])
                    .await?
                    .pop()
                {
                    Some(row) => Some(Node::PaymentAddress(PaymentAddress::new(row, &rc.db)?)),
                    None => None,
                }
            }
            NodeKind::Transaction => {
                match store::ledger::find_many(conn, &scope, &[TransactionId(key)])
                    .await?
                    .pop()
                {
                    Some(row) => {
                        let account = store::accounts::find_many(conn, &scope, &[row.account_id])
                            .await?
                            .pop()
                            .ok_or_else(|| {
                                ApiError::internal(&"a transaction's account is missing")
                            })?;
                        let account = Account::new(account, &rc.db)?;
                        Some(Node::Transaction(Transaction::new(row, account.decimals)))
                    }
                    None => None,
                }
            }
            NodeKind::Transfer => {
                match store::transfers::find_many(conn, &scope, &[TransferId(key)])
                    .await?
                    .pop()
                {
                    Some(row) => Some(Node::Transfer(Transfer::new(row, &rc.db)?)),
                    None => None,
                }
            }
            NodeKind::WebhookSubscription => store::webhooks::find(
                conn,
                &scope,
                crate::domain::webhook::WebhookSubscriptionId(key),
            )
            .await?
            .map(|row| Node::WebhookSubscription(super::webhooks::WebhookSubscription(row))),
            // Access tokens are listed by `accessTokens`, never fetched as nodes.
            NodeKind::AccessToken => None,
        })
    }
}
