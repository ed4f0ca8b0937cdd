//! The `layer2` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;

/// mimalloc: fast under many threads. It gives freed memory back to the system lazily, so
/// the server has a worker collect once it has sent a large answer (`server/memory.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = layer2::config::Cli::parse();
    if let Err(error) = layer2::cli::init_logging(&cli) {
        eprintln!("error: {error:#}");
        return std::process::ExitCode::from(2);
    }
    match layer2::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
