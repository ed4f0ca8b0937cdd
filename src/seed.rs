//! Sandbox data: a SANDBOX client with an API key and two ACTIVE customers (one individual,
//! one corporation), each with a default account, written in one transaction by
//! `ops::clients::sandbox`; and synthetic customers (bare, or with accounts and payors) for
//! tests and benchmarks.

use chrono::NaiveDate;

use crate::db::Database;
use crate::db::types::Timestamp;
use crate::domain::account::ProductId;

use crate::domain::customer::{
    Address, CorporateEntityType, CorporationDetails, EmploymentStatus, IndividualDetails,
    Sensitive, UsResidencyStatus,
};
use crate::domain::ids::{ClientId, CustomerKey, PayorKey};
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Principal;
use crate::ops::clients::holdings::Holding;
use crate::ops::{self, OpError, OpResult};
use crate::store::accounts::Account;
use crate::store::customers::{Customer, Details};
use crate::store::payors::Payor;

pub use crate::ops::clients::sandbox::Sandbox;

/// The context the seed acts in: the system, on real time, with default settings.
fn system(db: &Database) -> ops::App {
    ops::App {
        db: db.clone(),
        clock: crate::clock::system(),
        settings: std::sync::Arc::new(ops::Settings::default()),
    }
}

/// Seeds a sandbox if the database has no client yet; `None` when it already had one.
/// Safe when several servers start on one new database at once: exactly one seeds.
pub async fn ensure_sandbox(db: &Database) -> OpResult<Option<Sandbox>> {
    let app = system(db);
    let principal = Principal::system();
    ops::clients::sandbox::create(&app.cx(&principal), &default_customers, true).await
}

/// Creates a new sandbox client, its key, and its two default customers with accounts.
pub async fn create_sandbox(db: &Database) -> OpResult<Sandbox> {
    let app = system(db);
    let principal = Principal::system();
    ops::clients::sandbox::create(&app.cx(&principal), &default_customers, false)
        .await?
        .ok_or_else(|| OpError::internal(&"a sandbox created nothing"))
}

/// The sandbox's two customers, each with its default account.
fn default_customers(client_id: ClientId, now: Timestamp) -> Vec<(Customer, Account)> {
    let customer = |external_id: &str, details| Customer {
        id: CustomerKey::new(),
        client_id,
        external_id: external_id.to_owned(),
        status: CustomerStatus::Active,
        details,
        accredited_investor: false,
        version: 1,
        created_at: now,
        updated_at: now,
        last_activity_at: now,
    };
    let account = |customer: &Customer, external_id: &str, product_id| {
        crate::ops::accounts::default_account(customer, external_id, product_id, "FIAT_TESTNET_USD")
    };
    let address = |line1: &str, city: &str, state: &str, postal_code: &str| Address {
        unit_number: None,
        address_line1: line1.to_owned(),
        address_line2: None,
        address_line3: None,
        city: city.to_owned(),
        state: Some(state.to_owned()),
        postal_code: Some(postal_code.to_owned()),
        country_code: "US".to_owned(),
    };

    let individual = customer(
        "sandbox-individual-1",
        Details::Individual(IndividualDetails {
            first_name: "Amelia".into(),
            middle_name: Some("Rose".into()),
            last_name: "Hartley".into(),
            email_address: Some("amelia.hartley@example.com".into()),
            telephone_number: Some("+14155550123".into()),
            mailing_address: Some(address(
                "742 Valencia Street",
                "San Francisco",
                "CA",
                "94110",
            )),
            tax_reference_number: Some(Sensitive::new("900-70-1234")),
            passport_number: Some(Sensitive::new("X12345678")),
            nationality: Some("US".into()),
            date_of_birth: NaiveDate::from_ymd_opt(1988, 4, 17),
            us_residency_status: Some(UsResidencyStatus::UsCitizen),
            employment_status: Some(EmploymentStatus::Employee),
            employment_description: None,
            employer_name: Some("Bayview Health Partners".into()),
            occupation: Some("Product designer".into()),
        }),
    );
    let corporation = Customer {
        accredited_investor: true,
        ..customer(
            "sandbox-corporation-1",
            Details::Corporation(CorporationDetails {
                registered_name: "Northwind Robotics, Inc.".into(),
                trading_name: Some("Northwind Robotics".into()),
                registered_number: Some("7341862".into()),
                registered_address: Some(address(
                    "251 Little Falls Drive",
                    "Wilmington",
                    "DE",
                    "19808",
                )),
                physical_address: Some(address(
                    "88 Pine Street, Floor 14",
                    "New York",
                    "NY",
                    "10005",
                )),
                telephone_number: Some("+12125550187".into()),
                email_address: Some("finance@northwind-robotics.example".into()),
                website_address: Some("https://northwind-robotics.example".into()),
                state_of_incorporation: Some("DE".into()),
                country_of_incorporation: Some("US".into()),
                corporate_entity_type: Some(CorporateEntityType::CCorpPrivate),
                corporate_entity_type_description: None,
                established_on: NaiveDate::from_ymd_opt(2016, 9, 1),
                naics: Some("333248".into()),
                naics_description: Some("All Other Industrial Machinery Manufacturing".into()),
            }),
        )
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
    vec![
        (individual, individual_account),
        (corporation, corporation_account),
    ]
}

/// Creates `count` ACTIVE synthetic customers for a client (alternately individuals and
/// corporations, with varied names and flags), in transactions of 500: data for listing
/// tests and benchmarks. Returns how many were created.
pub async fn synthetic_customers(
    db: &Database,
    client_id: ClientId,
    count: usize,
) -> OpResult<usize> {
    synthetic_customers_from(db, client_id, 0, count).await
}

/// [`synthetic_customers`] numbered from `start` (`synthetic-{start}` on), so that a
/// benchmark can grow a client's list in steps.
pub async fn synthetic_customers_from(
    db: &Database,
    client_id: ClientId,
    start: usize,
    count: usize,
) -> OpResult<usize> {
    const BATCH: usize = 500;
    let app = system(db);
    let principal = Principal::system();
    let end = start + count;
    let mut next = start;
    while next < end {
        let cx = app.cx(&principal);
        let batch: Vec<Customer> = (next..end.min(next + BATCH))
            .map(|n| synthetic(client_id, n, cx.now))
            .collect();
        ops::clients::sandbox::add_customers(&cx, &batch).await?;
        next += batch.len();
    }
    Ok(end - start)
}

/// Synthetic customers numbered from `start`, each with `accounts` ACTIVE accounts (the
/// first its default) and `payors` payors, in transactions of 500 rows or so.
pub async fn synthetic_holdings(
    db: &Database,
    client_id: ClientId,
    start: usize,
    count: usize,
    (accounts, payors): (usize, usize),
) -> OpResult<usize> {
    let batch = (500 / (1 + accounts + payors)).max(1);
    let app = system(db);
    let principal = Principal::system();
    let end = start + count;
    let mut next = start;
    while next < end {
        let cx = app.cx(&principal);
        let holdings: Vec<Holding> = (next..end.min(next + batch))
            .map(|n| synthetic_holding(client_id, n, cx.now, (accounts, payors)))
            .collect();
        ops::clients::holdings::add(&cx, &holdings).await?;
        next += holdings.len();
    }
    Ok(end - start)
}

fn synthetic_holding(
    client_id: ClientId,
    n: usize,
    now: Timestamp,
    (accounts, payors): (usize, usize),
) -> Holding {
    let customer = synthetic(client_id, n, now);
    let product = match customer.details {
        Details::Individual(_) => ProductId::DepositBasic,
        Details::Corporation(_) => ProductId::PaymentBasic,
    };
    let accounts = (0..accounts)
        .map(|i| {
            let external_id = format!("{}-acct-{i}", customer.external_id);
            let account = crate::ops::accounts::default_account(
                &customer,
                &external_id,
                product,
                "FIAT_TESTNET_USD",
            );
            Account {
                is_default: i == 0,
                ..account
            }
        })
        .collect();
    let payors = (0..payors)
        .map(|i| Payor {
            id: PayorKey::new(),
            client_id,
            customer_id: customer.id,
            external_id: format!("{}-payor-{i}", customer.external_id),
            first_name: Some(format!("Payor{i}")),
            middle_name: None,
            last_name: Some(format!("Of {}", customer.external_id)),
            company_name: None,
            email_address: None,
            phone_number: None,
            state: None,
            country_code: "US".to_owned(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect();
    Holding {
        customer,
        accounts,
        payors,
    }
}

fn synthetic(client_id: ClientId, n: usize, now: Timestamp) -> Customer {
    const GIVEN: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const FAMILY: [&str; 8] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
    ];
    let details = if n.is_multiple_of(2) {
        Details::Individual(IndividualDetails {
            first_name: GIVEN[n % GIVEN.len()].to_owned(),
            last_name: format!("{}-{n}", FAMILY[(n / 8) % FAMILY.len()]),
            ..Default::default()
        })
    } else {
        Details::Corporation(CorporationDetails {
            registered_name: format!("{} Labs {n} LLC", FAMILY[n % FAMILY.len()]),
            ..Default::default()
        })
    };
    Customer {
        id: CustomerKey::new(),
        client_id,
        external_id: format!("synthetic-{n:06}"),
        status: CustomerStatus::Active,
        details,
        accredited_investor: n.is_multiple_of(5),
        version: 1,
        created_at: now,
        updated_at: now,
        last_activity_at: now,
    }
}
