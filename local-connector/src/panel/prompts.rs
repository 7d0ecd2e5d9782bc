//! Sign-in prompts that a device asks the appliance to show in its browser,
//! then asks about: HP's OXPd authentication agent does this
//! (`prePromptResult`, the prompt page, `postPromptResult`).
//!
//! The device opens a prompt with its own context string; the appliance
//! answers with a prompt id, 128 random bits, which the prompt page's URL
//! carries. The id is a capability: it was handed out over an authenticated
//! device call, it names that device, it lasts two minutes, and it yields
//! its result once.

use super::SignedIn;
use crate::crypto::random_bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a prompt stays open.
pub const PROMPT_TTL: Duration = Duration::from_secs(120);
/// Most prompts open at once.
const MAX_PROMPTS: usize = 10_000;

/// Where a prompt stands.
#[derive(Debug, Clone)]
pub enum PromptState {
    /// Shown, nobody has signed in yet.
    Waiting,
    /// Someone signed in.
    SignedIn(Box<SignedIn>),
    /// The person cancelled.
    Cancelled,
}

#[derive(Debug)]
struct Prompt {
    device: String,
    context: String,
    state: PromptState,
    until: Instant,
}

/// The open prompts.
#[derive(Debug, Default)]
pub struct Prompts {
    open: Mutex<HashMap<String, Prompt>>,
}

impl Prompts {
    /// Open a prompt for `device`, identified on the device's side by
    /// `context`; the prompt id for the page URL.
    pub fn open(&self, device: &str, context: &str) -> String {
        let id = hex::encode(random_bytes::<16>());
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, p| p.until > now);
        if open.len() >= MAX_PROMPTS {
            return id; // not stored: the page will say it expired
        }
        // One prompt per device context: a repeated pre-prompt replaces it.
        open.retain(|_, p| !(p.device == device && p.context == context));
        open.insert(
            id.clone(),
            Prompt {
                device: device.into(),
                context: context.into(),
                state: PromptState::Waiting,
                until: now + PROMPT_TTL,
            },
        );
        id
    }

    /// The device a waiting prompt belongs to.
    pub fn device_of(&self, id: &str) -> Option<String> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(id)
            .filter(|p| p.until > Instant::now() && matches!(p.state, PromptState::Waiting))
            .map(|p| p.device.clone())
    }

    /// Record the outcome of prompt `id`; false when it is no longer waiting.
    pub fn complete(&self, id: &str, state: PromptState) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        match open.get_mut(id) {
            Some(p) if p.until > Instant::now() && matches!(p.state, PromptState::Waiting) => {
                p.state = state;
                true
            }
            _ => false,
        }
    }

    /// The outcome of `device`'s prompt for `context`, taken once a person
    /// has finished with it (`None` while waiting, or when there is none).
    pub fn take(&self, device: &str, context: &str) -> Option<PromptState> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let id = open
            .iter()
            .find(|(_, p)| p.device == device && p.context == context && p.until > Instant::now())
            .map(|(k, _)| k.clone())?;
        if matches!(open.get(&id).map(|p| &p.state), Some(PromptState::Waiting)) {
            return Some(PromptState::Waiting);
        }
        open.remove(&id).map(|p| p.state)
    }
}
