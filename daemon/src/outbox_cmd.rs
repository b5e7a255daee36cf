//! `driftd outbox list|retry`: what is waiting, what was given up, and sending it again.

use crate::alerts::Alerts;
use crate::cli::{OutboxListArgs, OutboxRetryArgs};
use crate::config::Config;
use crate::store::Store;
use driftd_core::Error;

pub fn list(args: OutboxListArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let location = args.config.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "driftd.toml".into());
    let store = Store::open(&config.store.location().map_err(|e| Error::input(location, e))?)?;
    let statuses: &[&str] = match args.status.as_str() {
        "all" => &[],
        "undelivered" => &["pending", "dead"],
        one => &[one][..],
    };
    let mut out = std::io::stdout().lock();
    crate::notify::outbox::list(&store, statuses, &args.status, &mut out)
        .map_err(|e| Error::input(&store.location, e))?;
    Ok(0)
}

pub fn retry(args: OutboxRetryArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let location = args.config.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "driftd.toml".into());
    let alerts = Alerts::open(&config, &location)?;
    let requeued = {
        let store = alerts.store.lock().unwrap_or_else(|p| p.into_inner());
        store.requeue_dead(&args.ids, crate::notify::outbox::now_ms()).map_err(|e| store.error(e))?
    };
    eprintln!("driftd: outbox: {requeued} dead letters re-queued");
    let (done, pending) = alerts.deliver_now()?;
    eprintln!("driftd: outbox: {} sent, {} dead-lettered again, {pending} still queued", done.sent, done.dead);
    Ok(if done.dead > 0 || pending > 0 { 1 } else { 0 })
}
