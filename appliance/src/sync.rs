//! Cloud sync's tasks in the daemon: the uploader that drains the job
//! store's outbox into the tenant, the feeds that offer it Device Scout's
//! changes and an hourly health record, and, with job copies on, roaming
//! release: the notices of jobs other sites took, acted on.

use anyhow::{Context, Result};
use cloud_sync::outbox::Record;
use cloud_sync::roam::Roam;
use cloud_sync::tenant::{Tenant, TenantConfig};
use cloud_sync::upload::Uploader;
use local_connector::roaming::Roaming;
use local_connector::scout::inventory::Inventory;
use local_connector::store::JobStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the scout's change log is read into the outbox.
const SCOUT_FEED_EVERY: Duration = Duration::from_secs(60);
/// How often a health record is offered.
const HEALTH_EVERY: Duration = Duration::from_secs(3600);
/// How often the notices of jobs other sites took are read: the sync
/// interval, within these bounds.
const ROAMING_NOTICES_MIN: Duration = Duration::from_millis(200);
/// See [`ROAMING_NOTICES_MIN`].
const ROAMING_NOTICES_MAX: Duration = Duration::from_secs(60);
/// Changes of the scout taken in one go.
const SCOUT_FEED_BATCH: usize = 1000;

/// Start the uploader and the feeds; they stop when `stop` turns true.
/// With job copies on, jobs roam between the tenant's sites: the roaming
/// the panel and the control socket claim and fetch jobs through.
pub fn start(
    (config, site): &(TenantConfig, String),
    store: &JobStore,
    inventory: &Arc<Inventory>,
    every: Duration,
    stop: &watch::Receiver<bool>,
) -> Result<Option<Arc<Roaming>>> {
    let tenant = Tenant::open(config).context("opening the cloud tenant")?;
    log::info!(
        "cloud sync to {} as site {site}; {} entries waiting; job copies {}",
        tenant.describe,
        store.outbox().len(),
        if store.outbox().copies_on() { "on" } else { "off" }
    );
    // Roaming answers people at panels, with a client of its own, so that
    // a long drain never holds up a person at a printer.
    let roaming = match store.outbox().copies_on() {
        true => {
            let own = Tenant::open(config).context("opening the cloud tenant")?;
            Some(Arc::new(Roaming::new(Roam::new(own, site), store.clone(), tokio::runtime::Handle::current())))
        }
        false => None,
    };
    if let Some(r) = &roaming {
        let (r, mut stop) = (r.clone(), stop.clone());
        let every = every.clamp(ROAMING_NOTICES_MIN, ROAMING_NOTICES_MAX);
        tokio::spawn(async move {
            loop {
                if let Err(e) = r.settle_notices().await {
                    log::warn!("roaming: reading the notices of other sites failed: {e}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.changed() => return,
                }
            }
        });
    }
    let uploader = Uploader::new(store.outbox().clone(), tenant, site, Arc::new(store.clone()));
    tokio::spawn(uploader.run(Arc::new(tokio::sync::Notify::new()), every, stop.clone()));
    {
        let (outbox, inventory, mut stop) = (store.outbox().clone(), inventory.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let (o, i) = (outbox.clone(), inventory.clone());
                match tokio::task::spawn_blocking(move || feed_scout(&o, &i)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => log::error!("cloud sync: reading Device Scout's changes: {e:#}"),
                    Err(e) => log::error!("cloud sync: the scout feed panicked: {e}"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(SCOUT_FEED_EVERY) => {}
                    _ = stop.changed() => return,
                }
            }
        });
    }
    {
        let (store, mut stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let s = store.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || offer_health(&s)).await {
                    log::error!("cloud sync: recording health: {e:#}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(HEALTH_EVERY) => {}
                    _ = stop.changed() => return,
                }
            }
        });
    }
    Ok(roaming)
}

/// Offer the scout's changes since the last one offered; each moves the
/// cursor in the same commit, so that none is offered twice or skipped.
fn feed_scout(outbox: &cloud_sync::outbox::Outbox, inventory: &Inventory) -> Result<usize> {
    let mut n = 0;
    loop {
        let cursor = outbox.cursor("scout")?;
        let changes = inventory.changes_since((cursor > 0).then_some(cursor), SCOUT_FEED_BATCH)?;
        if changes.is_empty() {
            return Ok(n);
        }
        for c in changes {
            let kind = if c.kind == "meter.read" { "meter.read".to_owned() } else { format!("scout.{}", c.kind) };
            let rec = Record::new(&kind, format!("scout:{}", c.id), c.at_ms)
                .with("printer", c.printer)
                .with("address", c.address.to_string())
                .with("data", c.data);
            outbox.offer_with_cursor(rec, Some(("scout", c.seq)))?;
            n += 1;
        }
    }
}

/// An hourly `health` record: parked jobs, free disk, the outbox itself.
/// One an hour at most, restarts or not: its event id names the hour.
fn offer_health(store: &JobStore) -> Result<()> {
    let now = local_connector::clock::now_ms();
    let hour = now / u64::try_from(HEALTH_EVERY.as_millis()).unwrap_or(u64::MAX);
    if store.outbox().cursor("health")? >= hour {
        return Ok(());
    }
    let status = store.outbox().status();
    let rec = Record::new("health", format!("health:{hour}"), now)
        .with("version", env!("CARGO_PKG_VERSION"))
        .with("parked_jobs", store.len() as u64)
        .with("data_free_bytes", local_connector::durable::free_bytes(&store.options().dir).unwrap_or(0))
        .with("outbox_backlog", status.backlog as u64)
        .with("outbox_paused", status.paused);
    store.outbox().offer_with_cursor(rec, Some(("health", hour)))?;
    Ok(())
}
