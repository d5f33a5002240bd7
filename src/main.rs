//! `dossierflow`: one binary for every process of the pipeline.
//!
//! Each subcommand is a deployable (`intake`, `verify`, `enrich`, `route`, `notify`),
//! the whole pipeline in one process (`run`), or a tool (`migrate`, `csdlqg-sim`,
//! `submit`, `status`). Run `dossierflow <command> --help` for its options; every option
//! also reads an environment variable `DOSSIER__SECTION__KEY`.
//!
//! Exit codes: 0 after a clean shutdown, 1 on a start-up or runtime error, 2 on bad
//! command-line usage.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
