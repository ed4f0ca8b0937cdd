//! The benchmark (`bench`) as a smoke test: a tiny run on each database finishes, prints a
//! row for every operation, and reports the statements each request ran. Speed is printed,
//! never asserted.

use std::process::Command;

use crate::harness::{Backend, TestDb};

/// The statements the server reported per request, by operation (the table's `stmts`).
fn statements_by_operation(table: &str) -> Vec<(String, String)> {
    table
        .lines()
        .skip_while(|line| !line.starts_with("== "))
        .filter_map(|line| {
            let (operation, rest) = line.split_at_checked(36)?;
            let columns: Vec<&str> = rest.split_whitespace().collect();
            // customers, rps, p50, p99, stmts, SQL rps, SQL p50, ratio, RSS
            (columns.len() == 9).then(|| (operation.trim().to_owned(), columns[4].to_owned()))
        })
        .collect()
}

async fn a_short_run_measures_every_operation(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_bench"));
    command.args([
        "--database-url",
        &db.url,
        "--customers",
        "150",
        "--seconds",
        "0.3",
        "--concurrency",
        "3",
        "--pool-size",
        "4",
    ]);
    if let Some(ca) = db.ca_file() {
        command.env("DATABASE_CA_FILE", ca);
    }
    let output = command.output().expect("the bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = statements_by_operation(&stdout);
    let expected = [
        ("customer(customerId)", "1.0"),
        ("customers(first: 20)", "1.0"),
        ("customers(first: 20, after: 90%)", "1.0"),
        ("customers(first: 50) nested", "3.0"),
        ("customers(first: 20) totalCount", "2.0"),
    ];
    for (operation, statements) in expected {
        assert!(
            rows.iter().any(|(o, s)| o == operation && s == statements),
            "no row for {operation} with {statements} statements a request in:\n{stdout}"
        );
    }
    assert!(
        rows.iter()
            .any(|(o, _)| o == "createTransfer + acceptTransfer"),
        "no transfer row in:\n{stdout}"
    );
    assert!(stdout.contains("server peak RSS"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_run_measures_every_operation_sqlite() {
    a_short_run_measures_every_operation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_run_measures_every_operation_postgres() {
    a_short_run_measures_every_operation(Backend::Postgres).await;
}
