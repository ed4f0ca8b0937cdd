//! The `layer2` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;

/// mimalloc returns freed memory to the system soon after a heavy request, where glibc's
/// allocator keeps it; it is also faster under many threads.
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
