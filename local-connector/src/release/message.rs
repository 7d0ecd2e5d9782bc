//! What the release engine says to printers and reads from their answers,
//! on the one IPP codec ([`crate::ipp::codec`]): the job name that marks a
//! job as ours on the printer, and the job state and reasons a printer
//! reports, in words.

use crate::ipp::codec::{Group, JobState, Message};

/// The job name sent with a job: its document name, then a tag with the
/// start of its id, by which a retry recognises it on the printer.
pub fn job_name(meta: &crate::store::JobMeta) -> String {
    let tag = format!(" [pp-{}]", &meta.id.to_string()[..16]);
    let mut name: String = meta.document_name.chars().filter(|c| !c.is_control()).collect();
    if name.trim().is_empty() {
        name = "Document".into();
    }
    while name.len() + tag.len() > 255 {
        name.pop();
    }
    name + &tag
}

/// A job's `job-state`, as the printer reported it.
pub(super) fn state_of(g: &Group) -> Option<JobState> {
    g.integer("job-state").and_then(JobState::from_enum)
}

/// A job's `job-state-reasons` (less `none`) and `job-state-message`, in words.
pub(super) fn reasons_of(g: &Group) -> Option<String> {
    let r: Vec<String> = g.strings("job-state-reasons").into_iter().filter(|r| r != "none").collect();
    let msg = g.string("job-state-message").filter(|m| !m.trim().is_empty());
    match (r.is_empty(), msg) {
        (true, None) => None,
        (true, Some(m)) => Some(m),
        (false, None) => Some(r.join(", ")),
        (false, Some(m)) => Some(format!("{}: {m}", r.join(", "))),
    }
}

/// A printer's refusal, with its `status-message` when it gave one.
pub(super) fn refused(resp: &Message) -> super::ReleaseError {
    super::ReleaseError::Refused(resp.message().unwrap_or_else(|| format!("IPP status {:#06x}", resp.code())))
}
