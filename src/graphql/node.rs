//! Relay global ids and the `Node` interface: an id is the opaque base64url form of
//! `<Type>:<uuid>`, and resolving one always goes through the caller's scope.

use async_graphql::{ID, Interface};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;
use super::types::account::Account;
use super::types::application::{Application, ApplicationDocument};
use super::types::client::Client;
use super::types::customer::{Customer, CustomerIndividual};
use super::types::money::{PaymentAddress, Transaction, Transfer};
use super::types::payor::Payor;
use super::webhooks::WebhookSubscription;

/// The kinds of object reachable through `node(id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Client,
    Customer,
    CustomerIndividual,
    Application,
    ApplicationIndividual,
    ApplicationDocument,
    Account,
    Payor,
    PaymentAddress,
    Transaction,
    Transfer,
    WebhookSubscription,
    AccessToken,
}

impl NodeKind {
    const ALL: [NodeKind; 13] = [
        NodeKind::Client,
        NodeKind::Customer,
        NodeKind::CustomerIndividual,
        NodeKind::Application,
        NodeKind::ApplicationIndividual,
        NodeKind::ApplicationDocument,
        NodeKind::Account,
        NodeKind::Payor,
        NodeKind::PaymentAddress,
        NodeKind::Transaction,
        NodeKind::Transfer,
        NodeKind::WebhookSubscription,
        NodeKind::AccessToken,
    ];

    fn tag(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Customer => "Customer",
            Self::CustomerIndividual => "CustomerIndividual",
            Self::Application => "Application",
            Self::ApplicationIndividual => "ApplicationIndividual",
            Self::ApplicationDocument => "ApplicationDocument",
            Self::Account => "Account",
            Self::Payor => "Payor",
            Self::PaymentAddress => "PaymentAddress",
            Self::Transaction => "Transaction",
            Self::Transfer => "Transfer",
            Self::WebhookSubscription => "WebhookSubscription",
            Self::AccessToken => "AccessToken",
        }
    }
}

/// The global id of an object of `kind` with internal key `key`.
pub fn encode(kind: NodeKind, key: uuid::Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.tag(), key)))
}

/// The kind and internal key inside a global id; `BAD_USER_INPUT` when it is not one of ours.
pub fn decode(id: &str) -> Result<(NodeKind, uuid::Uuid), ApiError> {
    let invalid = || ApiError::bad_input("id", "not a valid global id");
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (tag, key) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeKind::ALL
        .into_iter()
        .find(|k| k.tag() == tag)
        .ok_or_else(invalid)?;
    let key = uuid::Uuid::parse_str(key).map_err(|_| invalid())?;
    Ok((kind, key))
}

/// Decodes a global id that must name an object of `kind`.
pub fn decode_as(id: &str, kind: NodeKind) -> Result<uuid::Uuid, ApiError> {
    match decode(id)? {
        (found, key) if found == kind => Ok(key),
        _ => Err(ApiError::bad_input(
            "id",
            format!("not a {} id", kind.tag()),
        )),
    }
}

/// An object with a global id, fetchable with `node(id)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's opaque global id."))]
pub enum Node {
    Client(Client),
    Customer(Customer),
    CustomerIndividual(CustomerIndividual),
    Application(Application),
    ApplicationDocument(ApplicationDocument),
    Account(Account),
    Payor(Payor),
    PaymentAddress(PaymentAddress),
    Transaction(Transaction),
    Transfer(Transfer),
    WebhookSubscription(WebhookSubscription),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_are_opaque() {
        let key = uuid::Uuid::now_v7();
        let id = encode(NodeKind::Customer, key);
        assert!(!id.0.contains(&key.to_string()));
        assert_eq!(decode(&id).unwrap(), (NodeKind::Customer, key));
        assert_eq!(decode_as(&id, NodeKind::Customer).unwrap(), key);
        assert!(decode_as(&id, NodeKind::Client).is_err());
    }

    #[test]
    fn foreign_ids_are_bad_input() {
        for bad in [
            "",
            "!!!",
            "Q3VzdG9tZXI",
            "Q3VzdG9tZXI6bm90LWEtdXVpZA",
            &URL_SAFE_NO_PAD.encode(format!("Payroll:{}", uuid::Uuid::nil())),
        ] {
            assert_eq!(decode(bad).unwrap_err().code(), "BAD_USER_INPUT", "{bad}");
        }
    }
}
