//! The `veza` command: `veza` or `veza serve` starts the server; `veza backup` and
//! `veza restore` copy its data.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: veza [serve] [--new-database] [--config PATH]
       veza backup PATH [--files DIR] [--config PATH]
       veza backup --files DIR [--config PATH]
       veza restore PATH [--files DIR] [--config PATH]
       veza import slack|mattermost PATH [--url URL --token TOKEN] [--config PATH]
       veza migrate --to postgres://USER:PASSWORD@HOST/DATABASE [--config PATH]

  serve            start the server (the default)
  --new-database   start even though veza.db is missing or empty in a data
                   directory used before (it holds uploads or a JWT secret);
                   without it such a start is refused, since it usually means
                   a lost database: restore a backup instead
  backup PATH      write a consistent copy of the database to PATH (a new file),
                   while the server runs; --files DIR also copies the files it
                   lists into DIR (only those not there already); with
                   --files DIR alone, only the files
  restore PATH     put the backup PATH in place in the data directory, which no
                   server may be using; the database it replaces is kept beside
                   it; --files DIR also copies the files back from DIR
  import SOURCE PATH
                   import a Slack export (its zip or folder) or a Mattermost
                   bulk export (its .jsonl, or a folder or zip holding it and
                   its data/): into this data directory, the server stopped;
                   or, with --url and an administrator's access token
                   (--token vz_...), through a running server. Running it
                   again adds nothing twice.
  migrate --to URL copy this data directory's database (the server stopped)
                   into an empty PostgreSQL database, and say what to set next
  --config PATH    read PATH instead of ./veza.toml (also: VEZA_CONFIG)
  --help           show this help
  --version        show the version

Every configuration key can be overridden by VEZA_<KEY>, nested keys joined
with __ (e.g. VEZA_RATE_LIMIT__REQUESTS_PER_HOUR=50). See veza.toml.";

enum Command {
    Serve,
    Backup {
        to: PathBuf,
        files: Option<PathBuf>,
    },
    BackupFiles {
        files: PathBuf,
    },
    Restore {
        from: PathBuf,
        files: Option<PathBuf>,
    },
    Migrate {
        to: String,
    },
    Import {
        kind: String,
        path: PathBuf,
        url: Option<String>,
        token: Option<String>,
    },
}

fn main() -> ExitCode {
    let mut config_path: Option<PathBuf> = std::env::var_os("VEZA_CONFIG").map(PathBuf::from);
    let mut command = None;
    let mut path: Option<PathBuf> = None;
    let mut files: Option<PathBuf> = None;
    let mut new_database = false;
    let mut import_kind: Option<String> = None;
    let mut url: Option<String> = None;
    let mut token: Option<String> = None;
    let mut migrate_to: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "serve" | "backup" | "restore" | "import" | "migrate" if command.is_none() => {
                command = Some(arg)
            }
            "--to" if command.as_deref() == Some("migrate") => match args.next() {
                Some(value) => migrate_to = Some(value),
                None => return fail("--to needs a PostgreSQL URL"),
            },
            "--url" => match args.next() {
                Some(value) => url = Some(value),
                None => return fail("--url needs the server's address"),
            },
            "--token" => match args.next() {
                Some(value) => token = Some(value),
                None => return fail("--token needs an access token"),
            },
            other
                if command.as_deref() == Some("import")
                    && import_kind.is_none()
                    && !other.starts_with('-') =>
            {
                import_kind = Some(other.to_owned());
            }
            "--config" => match args.next() {
                Some(value) => config_path = Some(PathBuf::from(value)),
                None => return fail("--config needs a path"),
            },
            "--new-database" => new_database = true,
            "--files" => match args.next() {
                Some(value) => files = Some(PathBuf::from(value)),
                None => return fail("--files needs a directory"),
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--version" | "-V" => {
                println!("veza {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other if !other.starts_with('-') && path.is_none() && command.is_some() => {
                path = Some(PathBuf::from(other));
            }
            other => return fail(&format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    if new_database && !matches!(command.as_deref(), None | Some("serve")) {
        return fail("--new-database goes with serve only");
    }
    let command = match (command.as_deref(), path, files) {
        (None | Some("serve"), None, None) => Command::Serve,
        (Some("migrate"), None, None) => match migrate_to {
            Some(to) => Command::Migrate { to },
            None => return fail(&format!("migrate needs --to URL\n\n{USAGE}")),
        },
        (Some("backup"), Some(to), files) => Command::Backup { to, files },
        (Some("backup"), None, Some(files)) => Command::BackupFiles { files },
        (Some("restore"), Some(from), files) => Command::Restore { from, files },
        (Some("import"), Some(path), None) => match import_kind {
            Some(kind) => Command::Import {
                kind,
                path,
                url,
                token,
            },
            None => {
                return fail(&format!(
                    "import needs a SOURCE (slack, mattermost)\n\n{USAGE}"
                ))
            }
        },
        (Some("import"), None, _) => {
            return fail(&format!("import needs a SOURCE and a PATH\n\n{USAGE}"))
        }
        (Some(name @ ("backup" | "restore")), None, _) => {
            return fail(&format!("{name} needs a PATH\n\n{USAGE}"))
        }
        _ => return fail(&format!("unexpected arguments\n\n{USAGE}")),
    };
    let required = config_path.is_some();
    let path = config_path.unwrap_or_else(|| PathBuf::from("veza.toml"));
    let mut config = match veza::Config::load(&path, required) {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    config.new_database = new_database;
    if config.database.url.is_some()
        && matches!(
            command,
            Command::Backup { .. } | Command::BackupFiles { .. } | Command::Restore { .. }
        )
    {
        return fail(
            "this server's database is PostgreSQL: back it up with pg_dump \
             (pg_dump --format=custom --file=veza.dump URL) and restore it with pg_restore, \
             and copy data_dir/files beside it (rsync -a); see docs/postgresql.md",
        );
    }
    match command {
        Command::Serve => {
            veza::logger::init(config.log_level);
            match rocket::execute(veza::serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string()),
            }
        }
        Command::Migrate { to } => migrate(&config, &to),
        Command::Import {
            kind,
            path,
            url,
            token,
        } => {
            let to = match (url, token) {
                (None, None) => veza::importer::Destination::Local,
                (Some(url), Some(token)) => veza::importer::Destination::Remote { url, token },
                _ => return fail("--url and --token go together"),
            };
            match veza::importer::run(&config, &kind, &path, to) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("import failed: {e}")),
            }
        }
        Command::Backup { to, files } => {
            match veza::ops::backup::run(
                &config.data_dir,
                &config.files_path(),
                &to,
                files.as_deref(),
            ) {
                Ok(report) => {
                    let c = &report.contents;
                    println!(
                        "backup written to {} ({} bytes, schema {}): {} users, {} messages, {} files",
                        to.display(),
                        report.bytes,
                        c.schema_version,
                        c.users,
                        c.messages,
                        c.files
                    );
                    if let (Some(copied), Some(dir)) = (report.files, files) {
                        println!(
                            "files in {}: {} copied, {} already there, {} deleted meanwhile",
                            dir.display(),
                            copied.copied,
                            copied.unchanged,
                            copied.missing
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("backup failed: {e}")),
            }
        }
        Command::BackupFiles { files } => {
            match veza::ops::backup::files_only(&config.data_dir, &config.files_path(), &files) {
                Ok(copied) => {
                    println!(
                        "files in {}: {} copied, {} already there, {} deleted meanwhile",
                        files.display(),
                        copied.copied,
                        copied.unchanged,
                        copied.missing
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("backup failed: {e}")),
            }
        }
        Command::Restore { from, files } => {
            match veza::ops::restore::run(
                &config.data_dir,
                &config.files_path(),
                &from,
                files.as_deref(),
            ) {
                Ok(report) => {
                    let c = &report.contents;
                    println!(
                        "restored {} into {}: {} users, {} messages, {} files",
                        from.display(),
                        config.data_dir.display(),
                        c.users,
                        c.messages,
                        c.files
                    );
                    if let Some(kept) = report.kept {
                        println!("the database it replaced is kept as {}", kept.display());
                    }
                    if let Some(copied) = report.files {
                        println!(
                            "files: {} copied, {} already there, {} missing from the backup",
                            copied.copied, copied.unchanged, copied.missing
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("restore refused: {e}")),
            }
        }
    }
}

fn migrate(config: &veza::Config, to: &str) -> ExitCode {
    // Holding the data directory's lock: no server may be writing meanwhile.
    let data_dir = match veza::datadir::DataDir::open(&config.data_dir) {
        Ok(dir) => dir,
        Err(e) => return fail(&format!("migrate refused: {e}")),
    };
    match veza::ops::migrate::run(&data_dir.db_path(), to) {
        Ok(report) => {
            for (table, rows) in &report.counts {
                println!("{table:<28} {rows:>10} rows");
            }
            let shown = veza::sql::Location::Postgres(to.to_owned());
            println!(
                "\ncopied into {shown}; counts checked.\n\
                 Next: set `[database] url = \"{shown}\"` (with its password) in veza.toml, \
                 or VEZA_DATABASE__URL, and start veza. Keep data_dir: uploaded files \
                 stay in {}/files and the JWT secret in {}.",
                config.data_dir.display(),
                config.data_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("migrate failed: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("veza: {message}");
    ExitCode::FAILURE
}
