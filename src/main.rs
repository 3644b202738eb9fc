//! The `veza` command: `veza` or `veza serve` starts the server.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: veza [serve] [--config PATH]

  serve            start the server (the default)
  --config PATH    read PATH instead of ./veza.toml (also: VEZA_CONFIG)
  --help           show this help
  --version        show the version

Every configuration key can be overridden by VEZA_<KEY>, nested keys joined
with __ (e.g. VEZA_RATE_LIMIT__REQUESTS_PER_HOUR=50). See veza.toml.";

fn main() -> ExitCode {
    let mut config_path: Option<PathBuf> = std::env::var_os("VEZA_CONFIG").map(PathBuf::from);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "serve" => {}
            "--config" => match args.next() {
                Some(path) => config_path = Some(PathBuf::from(path)),
                None => return fail("--config needs a path"),
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--version" | "-V" => {
                println!("veza {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => return fail(&format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    let required = config_path.is_some();
    let path = config_path.unwrap_or_else(|| PathBuf::from("veza.toml"));
    let config = match veza::Config::load(&path, required) {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    veza::logger::init(config.log_level);
    match rocket::execute(veza::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("veza: {message}");
    ExitCode::FAILURE
}
