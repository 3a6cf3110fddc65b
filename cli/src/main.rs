//! `logpipe`: the pipeline on a laptop. `main` only parses arguments and dispatches.

mod args;
mod inputs;
mod invoke;
mod opensearch;
mod parse;
mod ship;
mod targets;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    logpipe::lambda::init_cli_tracing();
    let result = match cli.command {
        args::Command::Parse(a) => parse::run(&a),
        args::Command::Ship(a) => ship::run(&a),
        args::Command::Invoke(a) => invoke::run(&a),
        args::Command::Opensearch(c) => opensearch::run(&c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("logpipe: {e:#}");
            ExitCode::FAILURE
        }
    }
}
