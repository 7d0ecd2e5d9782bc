//! Roaming release: the tenant as the meeting point of the sites that share
//! it. A job parked at one site can be printed at another, exactly once.
//!
//! - **Finding a user's jobs elsewhere:** copies are keyed
//!   `jobs/owner=OWNER/site=S/JOB.bin` (OWNER the owner's pseudonym, the
//!   same at every site that holds the same site key), so one listing of
//!   `jobs/owner=OWNER/` finds them all without naming the user.
//! - **Claims:** before a job prints anywhere, its release claims
//!   `claims/JOB.json` with a conditional create (`If-None-Match: *`). The
//!   site that loses does not print. A claim is read back after
//!   [`CLAIM_SETTLE`]: some S3-compatible servers check the condition and
//!   write in two steps, so two creates at the same moment can both be
//!   answered "created", and only the read-back tells which one stands.
//!   (A local-folder tenant's create is atomic: it needs no settling.)
//!   A site's own claim is its own: a retry or a reprint there goes ahead.
//! - **Notices:** a site that took a job from another tells it with
//!   `notices/site=ORIGIN/JOB.json`, so that the origin shreds its own
//!   copy of the job at once rather than at expiry.
//!
//! Bodies hold site names, job ids and times: no user, no document name.

use crate::tenant::Tenant;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a claim settles before it is read back (see the module docs).
pub const CLAIM_SETTLE: Duration = Duration::from_millis(300);

/// Why a roaming step failed.
#[derive(Debug, thiserror::Error)]
pub enum RoamError {
    /// The tenant failed or could not be reached.
    #[error("the cloud tenant: {0}")]
    Tenant(#[from] object_store::Error),
    /// An object in the tenant is not what Pullprint wrote.
    #[error("the cloud tenant holds a malformed {0}")]
    Malformed(&'static str),
    /// The tenant's server does not offer conditional writes.
    #[error("the cloud tenant cannot create objects conditionally, so jobs cannot roam between sites safely")]
    NoConditionalWrites,
}

/// A copy of a job parked at another site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCopy {
    /// The job's id (32 hex digits).
    pub job: String,
    /// The site it is parked at.
    pub site: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its key in the tenant.
    pub key: ObjectPath,
}

/// The outcome of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This site holds the claim: it may print.
    Won,
    /// Another site holds it: this one must not print.
    Lost {
        /// The site that holds it.
        site: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct ClaimBody {
    site: String,
    nonce: String,
    at_ms: u64,
}

/// What a site did with a job parked at another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The job.
    pub job: String,
    /// The site that took it.
    pub site: String,
    /// `released` (taken to print there) or `deleted`.
    pub action: String,
    /// When, ms since the epoch.
    pub at_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Whether `s` is a job id: 32 lower-case hex digits.
fn is_job_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Roaming for one site of a tenant.
#[derive(Debug, Clone)]
pub struct Roam {
    tenant: Tenant,
    site: String,
}

impl Roam {
    /// Roaming as site `site` of `tenant`.
    pub fn new(tenant: Tenant, site: &str) -> Roam {
        Roam { tenant, site: site.to_owned() }
    }

    /// This site's name.
    pub fn site(&self) -> &str {
        &self.site
    }

    fn store(&self) -> &dyn ObjectStore {
        self.tenant.store().as_ref()
    }

    /// The copies of `owner`'s (a pseudonym's) jobs parked at other sites.
    pub async fn copies_of(&self, owner: &str) -> Result<Vec<RemoteCopy>, RoamError> {
        let prefix = self.tenant.key(&format!("jobs/owner={owner}"));
        let mut list = self.store().list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(m) = list.next().await {
            let m = m?;
            let Some(rest) = m.location.as_ref().strip_prefix(prefix.as_ref()) else { continue };
            let mut parts = rest.trim_start_matches('/').split('/');
            let (Some(site), Some(file), None) = (parts.next(), parts.next(), parts.next()) else { continue };
            let (Some(site), Some(job)) = (site.strip_prefix("site="), file.strip_suffix(".bin")) else { continue };
            if site == self.site || !is_job_id(job) {
                continue;
            }
            out.push(RemoteCopy { job: job.to_owned(), site: site.to_owned(), size: m.size, key: m.location });
        }
        Ok(out)
    }

    /// Bytes `range` of a copy.
    pub async fn range(&self, copy: &RemoteCopy, range: std::ops::Range<u64>) -> Result<Bytes, RoamError> {
        Ok(self.store().get_range(&copy.key, range).await?)
    }

    /// Stream a whole copy into `sink`, chunk by chunk; the bytes read.
    pub async fn fetch(
        &self,
        copy: &RemoteCopy,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64, RoamError> {
        let mut stream = self.store().get(&copy.key).await?.into_stream();
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            sink(&chunk).map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
            n += chunk.len() as u64;
        }
        Ok(n)
    }

    /// Remove a copy this site took.
    pub async fn remove(&self, copy: &RemoteCopy) -> Result<(), RoamError> {
        match self.store().delete(&copy.key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn claim_key(&self, job: &str) -> ObjectPath {
        self.tenant.key(&format!("claims/{job}.json"))
    }

    /// The site holding job `job`'s claim, if any.
    pub async fn claimed_by(&self, job: &str) -> Result<Option<String>, RoamError> {
        match self.store().get(&self.claim_key(job)).await {
            Ok(r) => {
                let b: ClaimBody =
                    serde_json::from_slice(&r.bytes().await?).map_err(|_| RoamError::Malformed("claim"))?;
                Ok(Some(b.site))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Claim job `job` for this site (see the module docs).
    pub async fn claim(&self, job: &str) -> Result<Claim, RoamError> {
        self.claim_all(&[job.to_owned()]).await.pop().unwrap_or(Err(RoamError::Malformed("claim")))
    }

    /// Claim each of `jobs`; the outcomes in the same order. The claims
    /// are made together, and settle together.
    pub async fn claim_all(&self, jobs: &[String]) -> Vec<Result<Claim, RoamError>> {
        let nonce = hex(&rand::random::<[u8; 16]>());
        let body = ClaimBody { site: self.site.clone(), nonce: nonce.clone(), at_ms: now_ms() };
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let created = futures_util::future::join_all(jobs.iter().map(|job| {
            let (key, body) = (self.claim_key(job), PutPayload::from_bytes(body.clone()));
            async move {
                let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
                self.store().put_opts(&key, body, opts).await
            }
        }))
        .await;
        if created.iter().any(Result::is_ok) && !self.tenant.atomic_create() {
            tokio::time::sleep(CLAIM_SETTLE).await;
        }
        futures_util::future::join_all(jobs.iter().zip(created).map(|(job, c)| {
            let nonce = &nonce;
            async move {
                match c {
                    Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
                    Err(object_store::Error::NotImplemented { .. }) => return Err(RoamError::NoConditionalWrites),
                    Err(e) => return Err(e.into()),
                }
                let r = self.store().get(&self.claim_key(job)).await?;
                let b: ClaimBody =
                    serde_json::from_slice(&r.bytes().await?).map_err(|_| RoamError::Malformed("claim"))?;
                Ok(if b.nonce == *nonce || b.site == self.site { Claim::Won } else { Claim::Lost { site: b.site } })
            }
        }))
        .await
    }

    fn notice_key(&self, origin: &str, job: &str) -> ObjectPath {
        self.tenant.key(&format!("notices/site={origin}/{job}.json"))
    }

    /// Tell site `origin` that this site took job `job` (`released` or `deleted`).
    pub async fn notify(&self, origin: &str, job: &str, action: &str) -> Result<(), RoamError> {
        let n = Notice { job: job.to_owned(), site: self.site.clone(), action: action.to_owned(), at_ms: now_ms() };
        let body = PutPayload::from(serde_json::to_vec(&n).unwrap_or_default());
        self.store().put(&self.notice_key(origin, job), body).await?;
        Ok(())
    }

    /// The notices other sites left for this one.
    pub async fn notices(&self) -> Result<Vec<Notice>, RoamError> {
        let prefix = self.tenant.key(&format!("notices/site={}", self.site));
        let keys: Vec<ObjectPath> = self
            .store()
            .list(Some(&prefix))
            .map(|m| m.map(|m| m.location))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let bytes = match self.store().get(&k).await {
                Ok(r) => r.bytes().await?,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            match serde_json::from_slice::<Notice>(&bytes) {
                Ok(n) if is_job_id(&n.job) && k.as_ref().ends_with(&format!("/{}.json", n.job)) => out.push(n),
                _ => {
                    log::warn!("roaming: {k} is not a notice Pullprint wrote; removed");
                    let _ = self.store().delete(&k).await;
                }
            }
        }
        Ok(out)
    }

    /// Remove a notice once it was acted on.
    pub async fn done(&self, notice: &Notice) -> Result<(), RoamError> {
        match self.store().delete(&self.notice_key(&self.site, &notice.job)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantConfig;

    fn site(dir: &std::path::Path, name: &str) -> Roam {
        Roam::new(Tenant::open(&TenantConfig::Local { dir: dir.to_owned() }).expect("tenant"), name)
    }

    const JOB: &str = "0123456789abcdef0123456789abcdef";

    #[tokio::test]
    async fn one_site_wins_a_claim_and_keeps_it_the_other_loses() {
        let t = tempfile::tempdir().expect("tempdir");
        let (a, b) = (site(t.path(), "hq"), site(t.path(), "branch"));
        let (x, y) = tokio::join!(a.claim(JOB), b.claim(JOB));
        let outcomes = [x.expect("a"), y.expect("b")];
        assert_eq!(outcomes.iter().filter(|c| **c == Claim::Won).count(), 1, "{outcomes:?}");
        let winner = if outcomes[0] == Claim::Won { &a } else { &b };
        assert_eq!(winner.claim(JOB).await.expect("again"), Claim::Won, "a site's own claim is its own");
        assert_eq!(a.claimed_by(JOB).await.expect("read").as_deref(), Some(winner.site()));
        assert_eq!(a.claimed_by(&JOB.replace('0', "1")).await.expect("read"), None);
    }

    #[tokio::test]
    async fn copies_of_an_owner_elsewhere_are_listed_and_notices_reach_their_site() {
        let t = tempfile::tempdir().expect("tempdir");
        let (a, b) = (site(t.path(), "hq"), site(t.path(), "branch"));
        for (s, job) in [("hq", JOB), ("branch", &JOB.replace('1', "2")), ("hq", "not-a-job")] {
            let k = a.tenant.key(&format!("jobs/owner=p-1/site={s}/{job}.bin"));
            a.store().put(&k, PutPayload::from_static(b"sealed")).await.expect("put");
        }
        let seen = b.copies_of("p-1").await.expect("list");
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!((seen[0].job.as_str(), seen[0].site.as_str(), seen[0].size), (JOB, "hq", 6));
        assert!(b.copies_of("p-2").await.expect("list").is_empty());
        let mut got = Vec::new();
        b.fetch(&seen[0], |c| {
            got.extend_from_slice(c);
            Ok(())
        })
        .await
        .expect("fetch");
        assert_eq!(got, b"sealed");

        b.notify("hq", JOB, "released").await.expect("notify");
        assert!(b.notices().await.expect("none for branch").is_empty());
        let n = a.notices().await.expect("notices");
        assert_eq!((n.len(), n[0].site.as_str(), n[0].action.as_str()), (1, "branch", "released"));
        a.done(&n[0]).await.expect("done");
        assert!(a.notices().await.expect("notices").is_empty());
        b.remove(&seen[0]).await.expect("remove");
        assert!(b.copies_of("p-1").await.expect("list").is_empty());
    }
}
