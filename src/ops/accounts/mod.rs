//! Accounts: opening one and moving its status; and the asset rule they share with customer
//! creation and applications.

pub mod change_account_status;
pub mod open_account;

use crate::domain::validation::Problems;
use crate::ops::Cx;

/// The asset rule: an asset type the platform supports (see `assetTypes`).
pub fn check_asset_type(cx: &Cx<'_>, problems: &mut Problems, field: &str, asset_type_id: &str) {
    if cx.db.asset_decimals(asset_type_id).is_none() {
        problems.add(
            field,
            format!("{asset_type_id:?} is not a supported asset type (see assetTypes)"),
        );
    }
}
