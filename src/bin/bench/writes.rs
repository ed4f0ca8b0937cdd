//! The write: a transfer created then accepted between two funded accounts, as two GraphQL
//! mutations and as the hand-written money statements (transfer, hold, entries, balances;
//! no events, idempotency or status checks), each in its transaction; and the ledger check.

use anyhow::{Context, bail, ensure};
use layer2::db::types::Timestamp;
use layer2::db::{Conn, Database};
use layer2::domain::ids::{ClientId, LedgerEntryId, PostingId, TransactionId, TransferId};
use layer2::store::accounts::Account;
use serde_json::json;

use crate::load::Api;
use crate::sql::{self, Arg};

const AMOUNT_MINOR: i64 = 100;
const CREATE: &str = "mutation($s: String!, $d: String!, $k: String!) {
    createTransfer(sourceAccountId: $s, destinationAccountId: $d, amount: \"1.00\",
        idempotencyKey: $k) { transfer { id status } } }";
const ACCEPT: &str = "mutation($id: ID!, $k: String!) {
    acceptTransfer(transferId: $id, idempotencyKey: $k) { transfer { status } } }";

/// What the writes need: the paying client and one account pair per worker.
#[derive(Clone)]
pub struct Writes {
    pub api: Api,
    pub key: String,
    pub db: Database,
    pub client: ClientId,
    pub pairs: Vec<(String, String)>,
    /// Makes the idempotency keys of this run unique.
    pub run: String,
}

impl Writes {
    /// Worker `worker`'s pair, the direction alternating with `n`.
    fn sides(&self, worker: usize, n: u64) -> anyhow::Result<(&str, &str)> {
        let (a, b) = self
            .pairs
            .get(worker)
            .context("no account pair for a worker")?;
        Ok(if n.is_multiple_of(2) { (a, b) } else { (b, a) })
    }

    /// createTransfer then acceptTransfer; the statements of both, when the server says.
    pub async fn over_http(&self, worker: usize, n: u64) -> anyhow::Result<Option<u64>> {
        let (source, destination) = self.sides(worker, n)?;
        let key = format!("{}-{n}", self.run);
        let variables = json!({ "s": source, "d": destination, "k": key });
        let (created, first) = self.api.call(&self.key, CREATE, variables).await?;
        let transfer = &created["createTransfer"]["transfer"];
        let id = transfer["id"].as_str().context("no transfer id")?;
        let (accepted, second) = self
            .api
            .call(
                &self.key,
                ACCEPT,
                json!({ "id": id, "k": format!("{key}-accept") }),
            )
            .await?;
        let status = &accepted["acceptTransfer"]["transfer"]["status"];
        ensure!(status == "EXECUTED", "transfer {id} ended {status}");
        Ok(first.zip(second).map(|(a, b)| a + b))
    }

    /// The same pair as hand-written statements, one transaction each.
    pub async fn in_sql(&self, worker: usize, n: u64) -> anyhow::Result<Option<u64>> {
        let (source, destination) = self.sides(worker, n)?;
        let ids = (TransferId::new(), TransactionId::new());
        {
            let _turn = self.db.write_turn().await;
            let mut pooled = self.db.conn().await?;
            let conn = &mut pooled.conn();
            sql::begin(conn).await?;
            let created = create(conn, self.client, (source, destination), ids).await;
            sql::finish(conn, created).await?;
        }
        let _turn = self.db.write_turn().await;
        let mut pooled = self.db.conn().await?;
        let conn = &mut pooled.conn();
        sql::begin(conn).await?;
        let accepted = accept(conn, self.client, (source, destination), ids).await;
        sql::finish(conn, accepted).await?;
        Ok(None)
    }
}

async fn account(conn: &mut Conn<'_>, client: ClientId, id: &str) -> anyhow::Result<Account> {
    let sql = "SELECT * FROM accounts WHERE client_id = $1 AND external_id = $2";
    let found: Vec<Account> =
        sql::load(conn, sql, &[Arg::Id(client.0), Arg::Text(id.into())]).await?;
    found
        .into_iter()
        .next()
        .with_context(|| format!("no account {id}"))
}

async fn entry(
    conn: &mut Conn<'_>,
    (posting, transaction): (PostingId, TransactionId),
    account: &Account,
    (bucket, amount): (&str, i64),
    now: Timestamp,
) -> anyhow::Result<()> {
    let sql = "INSERT INTO ledger_entries (id, posting_id, client_id, transaction_id, account_id, \
               asset_type_id, bucket, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let args = [
        Arg::Id(LedgerEntryId::new().0),
        Arg::Id(posting.0),
        Arg::Id(account.client_id.0),
        Arg::Id(transaction.0),
        Arg::Id(account.id.0),
        Arg::Text(account.asset_type_id.clone()),
        Arg::Text(bucket.into()),
        Arg::Int(amount),
        Arg::At(now),
    ];
    sql::execute(conn, sql, &args).await?;
    Ok(())
}

async fn one_row(conn: &mut Conn<'_>, sql: &str, args: &[Arg]) -> anyhow::Result<()> {
    let changed = sql::execute(conn, sql, args).await?;
    if changed != 1 {
        bail!("{changed} rows changed by: {sql}");
    }
    Ok(())
}

/// The transfer, its hold and the hold's entries; the source's available balance.
async fn create(
    conn: &mut Conn<'_>,
    client: ClientId,
    (source, destination): (&str, &str),
    (transfer, hold): (TransferId, TransactionId),
) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let source = account(conn, client, source).await?;
    let destination = account(conn, client, destination).await?;
    let sql = "INSERT INTO transfers (id, client_id, source_account_id, destination_account_id, \
               asset_type_id, amount, status, valid_until, version, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'REQUESTED', $7, 1, $8, $8)";
    let until = Timestamp(now.0 + chrono::Duration::seconds(300));
    let args = [
        Arg::Id(transfer.0),
        Arg::Id(client.0),
        Arg::Id(source.id.0),
        Arg::Id(destination.id.0),
        Arg::Text(source.asset_type_id.clone()),
        Arg::Int(AMOUNT_MINOR),
        Arg::At(until),
        Arg::At(now),
    ];
    sql::execute(conn, sql, &args).await?;
    let sql = "INSERT INTO account_transactions (id, client_id, account_id, transaction_type, \
               category_type, status, value, transfer_id, transaction_date, version) \
               VALUES ($1, $2, $3, 'TRANSFER_OUT', 'TRANSFER', 'AUTHORIZED', $4, $5, $6, 1)";
    let args = [
        Arg::Id(hold.0),
        Arg::Id(client.0),
        Arg::Id(source.id.0),
        Arg::Int(AMOUNT_MINOR),
        Arg::Id(transfer.0),
        Arg::At(now),
    ];
    sql::execute(conn, sql, &args).await?;
    let posting = (PostingId::new(), hold);
    entry(conn, posting, &source, ("AVAILABLE", -AMOUNT_MINOR), now).await?;
    entry(conn, posting, &source, ("HELD", AMOUNT_MINOR), now).await?;
    let sql = "UPDATE accounts SET available_balance = available_balance - $1 \
               WHERE id = $2 AND client_id = $3 AND available_balance >= $1 AND status = 'ACTIVE'";
    let args = [
        Arg::Int(AMOUNT_MINOR),
        Arg::Id(source.id.0),
        Arg::Id(client.0),
    ];
    one_row(conn, sql, &args).await
}

/// The transfer executed, its hold posted, the credit and the settling entries; both
/// balances.
async fn accept(
    conn: &mut Conn<'_>,
    client: ClientId,
    (source, destination): (&str, &str),
    (transfer, hold): (TransferId, TransactionId),
) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let sql = "UPDATE transfers SET status = 'EXECUTED', version = version + 1, updated_at = $1 \
               WHERE id = $2 AND status = 'REQUESTED'";
    one_row(conn, sql, &[Arg::At(now), Arg::Id(transfer.0)]).await?;
    let sql = "UPDATE account_transactions SET status = 'POSTED', posted_at = $1, \
               version = version + 1 WHERE id = $2 AND status = 'AUTHORIZED'";
    one_row(conn, sql, &[Arg::At(now), Arg::Id(hold.0)]).await?;
    let source = account(conn, client, source).await?;
    let destination = account(conn, client, destination).await?;
    let credit = TransactionId::new();
    let sql = "INSERT INTO account_transactions (id, client_id, account_id, transaction_type, \
               category_type, status, value, transfer_id, transaction_date, posted_at, version) \
               VALUES ($1, $2, $3, 'TRANSFER_IN', 'TRANSFER', 'POSTED', $4, $5, $6, $6, 1)";
    let args = [
        Arg::Id(credit.0),
        Arg::Id(client.0),
        Arg::Id(destination.id.0),
        Arg::Int(AMOUNT_MINOR),
        Arg::Id(transfer.0),
        Arg::At(now),
    ];
    sql::execute(conn, sql, &args).await?;
    let posting = PostingId::new();
    entry(conn, (posting, hold), &source, ("HELD", -AMOUNT_MINOR), now).await?;
    entry(
        conn,
        (posting, credit),
        &destination,
        ("AVAILABLE", AMOUNT_MINOR),
        now,
    )
    .await?;
    let sql = "UPDATE accounts SET current_balance = current_balance - $1 \
               WHERE id = $2 AND current_balance >= $1";
    one_row(conn, sql, &[Arg::Int(AMOUNT_MINOR), Arg::Id(source.id.0)]).await?;
    let sql = "UPDATE accounts SET current_balance = current_balance + $1, \
               available_balance = available_balance + $1 WHERE id = $2";
    one_row(
        conn,
        sql,
        &[Arg::Int(AMOUNT_MINOR), Arg::Id(destination.id.0)],
    )
    .await
}

/// The paying client's money in all (current balances), after checking that every account
/// agrees with its ledger, every posting balances, no hold is left open and every entry
/// sits on its transaction's account. Fails on the first discrepancy.
pub async fn reconciled_total(db: &Database, client: ClientId) -> anyhow::Result<i64> {
    use layer2::store::ledger as checks;
    let wrap = |e: layer2::store::StoreError| anyhow::anyhow!("{e:?}");
    let mut pooled = db.read().await?;
    let conn = &mut pooled.conn();
    let accounts = checks::reconcile(conn, Some(client)).await.map_err(wrap)?;
    for a in &accounts {
        ensure!(
            a.current_balance == a.ledger_current && a.available_balance == a.ledger_available,
            "account {} disagrees with its ledger: {a:?}",
            a.account_id
        );
    }
    let unbalanced = checks::unbalanced_postings(conn).await.map_err(wrap)?;
    ensure!(unbalanced == 0, "{unbalanced} postings do not balance");
    let open = checks::open_holds(conn, Some(client)).await.map_err(wrap)?;
    ensure!(open == 0, "{open} holds left open");
    let misplaced = checks::misattributed_entries(conn).await.map_err(wrap)?;
    ensure!(
        misplaced == 0,
        "{misplaced} entries on another account than their transaction's"
    );
    Ok(accounts.iter().map(|a| a.current_balance).sum())
}
