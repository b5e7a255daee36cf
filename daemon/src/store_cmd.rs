//! `driftd store migrate --from A --to B`: one store copied into another, empty one.

use crate::cli::StoreMigrateArgs;
use crate::secret::{Secret, SecretRef};
use crate::store::{migrate, Location, Store};
use driftd_core::Error;

/// A store named on the command line: a postgres:// URL (a secret) or a SQLite file.
fn location(given: &str, origin: &str) -> Location {
    if given.starts_with("postgres://") || given.starts_with("postgresql://") {
        Location::Postgres(Secret::given(given, origin))
    } else {
        Location::Sqlite(given.into())
    }
}

pub fn migrate(args: StoreMigrateArgs) -> Result<u8, Error> {
    let from = location(&args.from, "--from");
    if let Location::Sqlite(path) = &from {
        // Opening would create an empty file: a mistyped name must not look like an empty store.
        if !path.is_file() {
            return Err(Error::input("--from", format!("{} does not exist", path.display())));
        }
    }
    let to = match (&args.to, &args.to_env) {
        (Some(to), _) => location(to, "--to"),
        (None, Some(var)) => {
            let r = SecretRef { env: Some(var.clone()), ..Default::default() };
            let secret = r.resolve("--to").map_err(|e| Error::input("--to-env", e))?;
            let secret = secret.ok_or_else(|| Error::input("--to-env", "no destination given"))?;
            location(secret.expose(), &format!("env {var}"))
        }
        (None, None) => return Err(Error::input("--to", "give --to or --to-env")),
    };
    let source = Store::open(&from)?;
    let mut dest = Store::open(&to)?;
    let copied = migrate::copy(&source, &mut dest).map_err(|e| dest.error(e))?;
    let list: Vec<String> = copied.iter().map(|(table, n)| format!("{n} {table}")).collect();
    eprintln!("driftd: store: copied {} to {}: {}", source.location, dest.location, list.join(", "));
    Ok(0)
}
