//! `clients create`: a new client (tenant) of the platform.

use crate::db::Conn;
use crate::domain::client::Environment;
use crate::domain::ids::ClientId;
use crate::domain::validation::Problems;
use crate::ops::clients::platform_only;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::clients::Client;

/// What a new client is.
#[derive(Debug, Clone)]
pub struct Input {
    /// 1 to 200 characters.
    pub name: String,
    pub environment: Environment,
    /// Whether it is a regulated institution (may create customers directly in PRODUCTION).
    pub regulated: bool,
}

/// Creates the client.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Client> {
    platform_only(cx)?;
    let mut problems = Problems::new();
    problems.required_text("name", input.name.trim(), 200);
    OpError::check(problems.into_errors())?;
    uow::unit!(cx, None, tx => write(tx, cx, &input).await)?.done()
}

/// The body, for operations that create a client with more in one transaction (the seed).
pub async fn write(tx: &mut Conn<'_>, cx: &Cx<'_>, input: &Input) -> OpResult<Client> {
    let client = Client {
        id: ClientId::new(),
        name: input.name.trim().to_owned(),
        environment: input.environment,
        regulated: input.regulated,
        created_at: cx.now,
    };
    store::clients::insert(tx, &client).await?;
    Ok(client)
}
