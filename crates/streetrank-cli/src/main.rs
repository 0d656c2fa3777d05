//! `streetrank`: rank street segments for repair from centerlines, ratings and 311 complaints.
//!
//! Exit codes: 0 success (also when stdout is a closed pipe), 1 when `validate`
//! found problems, 2 on error (the error chain is printed to stderr, naming the
//! file, record and field).

// Argument docs are the `--help` text, where `[score]` names a TOML table, not a Rust item.
#![allow(rustdoc::broken_intra_doc_links)]
#![forbid(unsafe_code)]

mod args;
mod demo;
mod generate;
mod outputs;
mod pipeline;
mod plan;
mod progress;
mod summary;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(threads) = cli.global.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| anyhow::anyhow!("--threads {threads}: {e}"))?;
    }
    match cli.command {
        Command::Score(a) => pipeline::score_command(&a, &cli.global),
        Command::Snap(a) => pipeline::snap_command(&a, &cli.global),
        Command::Validate(a) => pipeline::validate_command(&a, &cli.global),
        Command::Demo(a) => demo::run(&a, &cli.global),
        Command::Generate(a) => generate::run(&a, &cli.global),
        Command::Plan(a) => plan::run(&a, &cli.global),
    }
}

/// A closed stdout (`streetrank score … | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
