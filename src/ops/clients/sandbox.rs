//! The sandbox seed: a SANDBOX client with an API key and its first customers (ACTIVE, each
//! with a default account), in one transaction; and synthetic customers for a client.

use crate::auth::Credential;
use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::client::Environment;
use crate::domain::ids::ClientId;
use crate::ops::clients::{create_client, keys, platform_only};
use crate::ops::uow;
use crate::ops::{Cx, OpResult};
use crate::store;
use crate::store::accounts::Account;
use crate::store::clients::Client;
use crate::store::customers::{ChangeNote, Customer};

/// The customers a new sandbox starts with, for its client, created at `now`.
pub type Customers = dyn Fn(ClientId, Timestamp) -> Vec<(Customer, Account)> + Send + Sync;

/// What a new sandbox consists of.
#[derive(Debug)]
pub struct Sandbox {
    pub client: Client,
    pub key: Credential,
    pub customers: Vec<Customer>,
}

/// When `only_if_empty`, seeds only a database with no client yet (`None` otherwise): safe
/// when several servers start on one new database at once, exactly one seeds.
pub async fn create(
    cx: &Cx<'_>,
    customers: &Customers,
    only_if_empty: bool,
) -> OpResult<Option<Sandbox>> {
    platform_only(cx)?;
    let key = Credential::generate();
    let written = uow::unit!(cx, None, tx => seed(tx, cx, customers, only_if_empty, &key).await)?;
    written.done().map(|made| {
        made.map(|(client, customers)| Sandbox {
            client,
            key,
            customers,
        })
    })
}

/// The body of [`create`].
async fn seed(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customers: &Customers,
    only_if_empty: bool,
    key: &Credential,
) -> OpResult<Option<(Client, Vec<Customer>)>> {
    if only_if_empty {
        store::clients::serialize_seeding(tx).await?;
        if store::clients::count(tx).await? > 0 {
            return Ok(None);
        }
    }
    let input = create_client::Input {
        name: "Sandbox client".into(),
        environment: Environment::Sandbox,
        regulated: false,
    };
    let client = create_client::write(tx, cx, &input).await?;
    keys::write(tx, cx, Some(client.id), Some("sandbox".into()), key).await?;
    let scope = cx.scope();
    let note = seed_note("sandbox seed");
    let mut created = Vec::new();
    for (customer, account) in customers(client.id, cx.now) {
        store::customers::insert(tx, &scope, &customer, &note).await?;
        store::accounts::insert(tx, &scope, &account).await?;
        crate::ops::events::customer_created(tx, cx, &customer).await?;
        crate::ops::events::account_opened(tx, cx, &account, &customer.external_id).await?;
        created.push(customer);
    }
    Ok(Some((client, created)))
}

/// Adds ACTIVE customers (without accounts) to a client, in one transaction: synthetic data
/// for listing tests and benchmarks.
pub async fn add_customers(cx: &Cx<'_>, customers: &[Customer]) -> OpResult<()> {
    platform_only(cx)?;
    let note = seed_note("synthetic data");
    let written = uow::unit!(cx, None, tx => {
        for customer in customers {
            let scope = cx.scope();
            store::customers::insert(tx, &scope, customer, &note).await?;
        }
        OpResult::Ok(())
    })?;
    written.done()
}

fn seed_note(reason: &'static str) -> ChangeNote<'static> {
    ChangeNote {
        reason,
        updated_by: "layer2",
        actor: crate::domain::client::Actor::System,
    }
}
