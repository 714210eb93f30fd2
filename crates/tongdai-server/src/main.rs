use clap::Parser;
use tongdai_server::cli::{Cli, run};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tongdai: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
