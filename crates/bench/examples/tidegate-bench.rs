//! `tidegate bench` on its own, shaped exactly like the subcommand of the `tidegate` binary:
//!
//! ```sh
//! cargo build --release -p tidegate -p tidegate-bench --examples
//! target/release/examples/tidegate-bench bench --spawn target/release/tidegate --rate 1000 --duration 60
//! ```

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The part of the `tidegate` command line that the benchmark owns.
#[derive(Parser)]
#[command(name = "tidegate-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure a gateway under load: payments/s, latency, and that nothing is lost.
    Bench(tidegate_bench::BenchArgs),
}

fn main() -> ExitCode {
    let Cli {
        command: Command::Bench(args),
    } = Cli::parse();
    // The same runtime `tidegate` runs its subcommands on; the load generator makes its own.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime
        .block_on(tidegate_bench::run(args))
        .unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        })
}
