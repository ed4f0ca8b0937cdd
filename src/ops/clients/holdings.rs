//! Synthetic holdings: customers added with their accounts and payors, one transaction per
//! batch, for benchmarks. The platform's act only; no events (nothing happened to anyone).

use crate::ops::clients::platform_only;
use crate::ops::uow;
use crate::ops::{Cx, OpResult};
use crate::store;
use crate::store::accounts::Account;
use crate::store::customers::{ChangeNote, Customer};
use crate::store::payors::Payor;

/// A customer with what it holds.
#[derive(Debug, Clone)]
pub struct Holding {
    pub customer: Customer,
    pub accounts: Vec<Account>,
    pub payors: Vec<Payor>,
}

/// Adds the customers, their accounts and their payors in one transaction.
pub async fn add(cx: &Cx<'_>, holdings: &[Holding]) -> OpResult<()> {
    platform_only(cx)?;
    let note = ChangeNote {
        reason: "synthetic data",
        updated_by: "layer2",
        actor: crate::domain::client::Actor::System,
    };
    let written = uow::unit!(cx, None, tx => {
        let scope = cx.scope();
        for holding in holdings {
            store::customers::insert(tx, &scope, &holding.customer, &note).await?;
            for account in &holding.accounts {
                store::accounts::insert(tx, &scope, account).await?;
            }
            for payor in &holding.payors {
                store::payors::insert(tx, &scope, payor).await?;
            }
        }
        OpResult::Ok(())
    })?;
    written.done()
}
