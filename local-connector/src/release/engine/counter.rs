//! RAW releases confirmed by the printer's page counter: what a job should
//! add to it, and reading it over SNMP with Device Scout's settings for the
//! printer's address.

use crate::store::JobMeta;
use std::time::Duration;

/// The impressions a job should add to the page counter: its pages times
/// its copies, or one when the page count is unknown or an estimate.
pub(super) fn expected_impressions(meta: &JobMeta) -> u64 {
    match meta.pages {
        Some(p) if !meta.pages_estimated && p > 0 => u64::from(p) * u64::from(meta.copies.max(1)),
        _ => 1,
    }
}

/// A printer's page counter over SNMP, as a Device Scout range reads it.
pub(super) struct PageCounter {
    pub(super) to: std::net::SocketAddr,
    pub(super) credentials: crate::scout::agent::Credentials,
    pub(super) timing: crate::scout::agent::Timing,
    pub(super) wait: Duration,
}

impl PageCounter {
    pub(super) async fn read(&self) -> Option<u64> {
        match crate::scout::sweep::page_count(self.to, &self.credentials, self.timing).await {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                log::warn!("release: {} has no page counter; RAW releases there stay unverified", self.to);
                None
            }
            Err(e) => {
                log::warn!(
                    "release: cannot read the page counter of {}: {e}; this RAW release stays unverified",
                    self.to
                );
                None
            }
        }
    }

    /// Wait until the counter has risen by `want` since `before`; the rise,
    /// or why it is not confirmed.
    pub(super) async fn risen(&self, before: u64, want: u64) -> Result<u64, String> {
        let deadline = tokio::time::Instant::now() + self.wait;
        let every = (self.wait / 20).clamp(Duration::from_millis(250), Duration::from_secs(5));
        let mut last = Some(before);
        loop {
            tokio::time::sleep(every).await;
            let now = crate::scout::sweep::page_count(self.to, &self.credentials, self.timing).await.ok().flatten();
            if now.is_some() {
                last = now;
            }
            let rose = last.unwrap_or(before).saturating_sub(before);
            if rose >= want {
                return Ok(rose);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "the job was sent over RAW, but the printer's page counter rose by {rose} of the {want} pages \
                     expected within {}s ({before} before); it may not have printed, so it is kept: release it again \
                     if nothing came out",
                    self.wait.as_secs()
                ));
            }
        }
    }
}
