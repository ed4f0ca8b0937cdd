//! Payors of a customer: creating and changing one, under the customer's update rule.

pub mod create_payor;
pub mod update_payor;

use crate::ops::OpError;

/// The refusal of a payor the customer does not have.
pub fn not_found(payor_id: &str) -> OpError {
    OpError::NotFound(format!(
        "the customer has no payor with payorId {payor_id:?}"
    ))
}
