//! Sandbox data: a SANDBOX client with an API key and two ACTIVE customers (one individual,
//! one corporation), each with a default account. Written in one transaction.

use crate::auth::ApiKeySecret;
use crate::db::types::Timestamp;
use crate::db::{Database, write_tx};
use crate::domain::account::ProductId;
use crate::domain::client::{Actor, Environment};
use crate::domain::customer::CustomerType;
use crate::domain::ids::{AccountKey, ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Scope;
use crate::store::accounts::Account;
use crate::store::customers::{ChangeNote, Customer};
use crate::store::{self, StoreError};

/// What a new sandbox consists of; the key is shown once.
#[derive(Debug)]
pub struct Sandbox {
    pub client: store::clients::Client,
    pub key: ApiKeySecret,
    pub customers: Vec<Customer>,
}

/// Seeds a sandbox if the database has no client yet; `None` when it already had one.
pub async fn ensure_sandbox(db: &Database) -> Result<Option<Sandbox>, StoreError> {
    let mut pooled = db.conn().await?;
    if store::clients::count(&mut pooled.conn()).await? > 0 {
        return Ok(None);
    }
    drop(pooled);
    create_sandbox(db).await.map(Some)
}

/// Creates a new sandbox client, its key, and its two default customers with accounts.
pub async fn create_sandbox(db: &Database) -> Result<Sandbox, StoreError> {
    let key = ApiKeySecret::generate();
    let mut pooled = db.conn().await?;
    let (client, customers) = write_tx!(&mut pooled.conn(), tx => {
        let client = store::clients::create(tx, "Sandbox client", Environment::Sandbox, false).await?;
        store::api_keys::insert(tx, &key.to_record(Some(client.id), Some("sandbox".into()))).await?;
        let scope = Scope::for_client(client.id);
        let note = ChangeNote { reason: "sandbox seed", updated_by: "layer2", actor: Actor::System };
        let mut customers = Vec::new();
        for (customer, account) in default_customers(client.id) {
            store::customers::insert(tx, &scope, &customer, &note).await?;
            store::accounts::insert(tx, &scope, &account).await?;
            customers.push(customer);
        }
        Ok((client, customers))
    })?;
    Ok(Sandbox {
        client,
        key,
        customers,
    })
}

/// The sandbox's two customers, each with its default account.
fn default_customers(client_id: ClientId) -> [(Customer, Account); 2] {
    let now = Timestamp::now();
    let customer = |external_id: &str, customer_type| Customer {
        id: CustomerKey::new(),
        client_id,
        external_id: external_id.to_owned(),
        customer_type,
        status: CustomerStatus::Active,
        first_name: None,
        middle_name: None,
        last_name: None,
        registered_name: None,
        trading_name: None,
        email_address: None,
        telephone_number: None,
        accredited_investor: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let account = |customer: &Customer, external_id: &str, product_id| Account {
        id: AccountKey::new(),
        client_id,
        customer_id: customer.id,
        external_id: external_id.to_owned(),
        product_id,
        asset_type_id: "FIAT_TESTNET_USD".to_owned(),
        status: CustomerStatus::Active,
        current_balance: 0,
        available_balance: 0,
        is_default: true,
        version: 1,
        created_at: now,
        updated_at: now,
        closed_at: None,
    };

    let individual = Customer {
        first_name: Some("Amelia".into()),
        middle_name: Some("Rose".into()),
        last_name: Some("Hartley".into()),
        email_address: Some("amelia.hartley@example.com".into()),
        telephone_number: Some("+14155550123".into()),
        ..customer("sandbox-individual-1", CustomerType::Individual)
    };
    let corporation = Customer {
        registered_name: Some("Northwind Robotics, Inc.".into()),
        trading_name: Some("Northwind Robotics".into()),
        email_address: Some("finance@northwind-robotics.example".into()),
        telephone_number: Some("+12125550187".into()),
        accredited_investor: true,
        ..customer("sandbox-corporation-1", CustomerType::Corporation)
    };
    let individual_account = account(
        &individual,
        "sandbox-individual-1-usd",
        ProductId::DepositBasic,
    );
    let corporation_account = account(
        &corporation,
        "sandbox-corporation-1-usd",
        ProductId::PaymentBasic,
    );
    [
        (individual, individual_account),
        (corporation, corporation_account),
    ]
}
