//! What the engine asks a printer before it sends: what it accepts, and
//! whether it already has a job (looked for by the job name that carries
//! the job's id).

// The engine's own names (its imports and types), as in the engine itself.
use super::*;

/// Jobs asked for at most, of each kind, when looking for one of ours on a
/// printer: some 150 KB of answer at most, within the codec's limits.
const LOOKUP_LIMIT: i32 = 500;

/// What a printer says of a job that may have reached it.
#[derive(Debug)]
pub(super) enum OnPrinter {
    /// It has it: its `job-id` and `job-state`.
    Found(i32, JobState),
    /// It listed its jobs in full, and this one is not among them.
    Absent,
    /// It would not list its jobs, or not all of them: why.
    Unknown(String),
}

impl Engine {
    /// Ask the printer what it accepts (and note it in its record); the
    /// `document-format` to send the job as.
    pub(super) async fn formats(
        &self,
        dev: &Device,
        conn: &mut Connection,
        meta: &JobMeta,
    ) -> Result<String, ReleaseError> {
        let mut r = conn.request(Operation::GetPrinterAttributes as u16);
        r.keywords(
            "requested-attributes",
            &[
                "document-format-supported",
                "color-supported",
                "sides-supported",
                "printer-make-and-model",
                "printer-is-accepting-jobs",
                "printer-state",
                "printer-state-reasons",
            ],
        );
        let resp = conn.call(r.finish()).await?;
        if !resp.is_success() {
            return Err(refused(&resp));
        }
        let p = resp.printer().ok_or_else(|| ReleaseError::PeerMisbehaved("no printer attributes".into()))?;
        let formats = p.strings("document-format-supported");
        let caps = Capabilities {
            formats: formats.clone(),
            color: p.boolean("color-supported"),
            sides: p.strings("sides-supported"),
            make_and_model: p.string("printer-make-and-model"),
            learned_ms: now_ms(),
        };
        if dev.release.capabilities.as_ref().map(|c| (&c.formats, c.color, &c.sides))
            != Some((&caps.formats, caps.color, &caps.sides))
        {
            let _ = self.devices.update_release(&dev.id, |r| r.capabilities = Some(caps));
        }
        if p.boolean("printer-is-accepting-jobs") == Some(false) {
            return Err(ReleaseError::Refused("the printer is not accepting jobs".into()));
        }
        let has = |f: &str| formats.iter().any(|x| x.eq_ignore_ascii_case(f));
        if has(&meta.format) {
            Ok(meta.format.clone())
        } else if has("application/octet-stream") && meta.format != "application/octet-stream" {
            // The printer says it recognises formats by itself.
            Ok("application/octet-stream".into())
        } else {
            Err(ReleaseError::FormatUnsupported {
                format: meta.format.clone(),
                accepts: if formats.is_empty() { "nothing it would name".into() } else { formats.join(", ") },
            })
        }
    }

    /// Look for this job on the printer by its job name. The printer is
    /// asked for at most [`LOOKUP_LIMIT`] jobs of each kind (IPP lists
    /// completed jobs most recent first), so that a printer with a long
    /// history still answers within the codec's limits; a full page without
    /// the job, or no answer, is [`OnPrinter::Unknown`], never `Absent`.
    pub(super) async fn find_on_printer(&self, conn: &mut Connection, meta: &JobMeta) -> OnPrinter {
        let name = job_name(meta);
        let mut best: Option<(i32, JobState)> = None;
        let mut unknown = None;
        for which in ["not-completed", "completed"] {
            let mut r = conn.request(Operation::GetJobs as u16);
            r.name("requesting-user-name", &meta.owner)
                .integer("limit", LOOKUP_LIMIT)
                .keyword("which-jobs", which)
                .boolean("my-jobs", false)
                .keywords("requested-attributes", &["job-id", "job-name", "job-state"]);
            let resp = match conn.call(r.finish()).await {
                Ok(r) if r.is_success() => r,
                Ok(r) => {
                    unknown = Some(format!("it refused to list its jobs ({:#06x})", r.code()));
                    continue;
                }
                Err(e) => {
                    unknown = Some(format!("it would not list its jobs: {e}"));
                    continue;
                }
            };
            let mut listed = 0;
            for j in resp.jobs() {
                listed += 1;
                if j.string("job-name").as_deref() != Some(name.as_str()) {
                    continue;
                }
                if let (Some(id), Some(st)) = (j.integer("job-id"), state_of(j)) {
                    // A completed or live copy wins over an aborted one.
                    let rank = |s: JobState| match s {
                        JobState::Completed => 2,
                        s if !s.is_terminal() => 1,
                        _ => 0,
                    };
                    if best.is_none_or(|(_, b)| rank(st) > rank(b)) {
                        best = Some((id, st));
                    }
                }
            }
            if listed >= LOOKUP_LIMIT {
                unknown = Some(format!("it has more than {LOOKUP_LIMIT} {which} jobs"));
            }
        }
        match (best, unknown) {
            (Some((id, st)), _) => OnPrinter::Found(id, st),
            (None, None) => OnPrinter::Absent,
            (None, Some(why)) => {
                log::warn!("release: cannot tell whether job {} is on the printer: {why}", meta.id);
                OnPrinter::Unknown(why)
            }
        }
    }
}
