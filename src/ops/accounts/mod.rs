//! Accounts: opening one and moving its status; and the asset rule they share with customer
//! creation and applications.

pub mod change_account_status;
pub mod open_account;

use crate::domain::account::ProductId;
use crate::domain::ids::AccountKey;
use crate::domain::status::AccountStatus;
use crate::domain::validation::Problems;
use crate::ops::Cx;
use crate::store::accounts::Account;
use crate::store::customers::Customer;

/// The asset rule: an asset type the platform supports (see `assetTypes`).
pub fn check_asset_type(cx: &Cx<'_>, problems: &mut Problems, field: &str, asset_type_id: &str) {
    if cx.db.asset_decimals(asset_type_id).is_none() {
        problems.add(
            field,
            format!("{asset_type_id:?} is not a supported asset type (see assetTypes)"),
        );
    }
}

/// A new, empty, ACTIVE default account of a customer, created with it.
pub fn default_account(
    customer: &Customer,
    external_id: &str,
    product_id: ProductId,
    asset_type_id: &str,
) -> Account {
    Account {
        id: AccountKey::new(),
        client_id: customer.client_id,
        customer_id: customer.id,
        external_id: external_id.to_owned(),
        product_id,
        asset_type_id: asset_type_id.to_owned(),
        status: AccountStatus::Active,
        current_balance: 0,
        available_balance: 0,
        is_default: true,
        version: 1,
        created_at: customer.created_at,
        updated_at: customer.created_at,
        closed_at: None,
        frozen_from: None,
    }
}
