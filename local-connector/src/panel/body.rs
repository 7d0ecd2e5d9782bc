//! The JSON bodies of the panel API (`docs/panel-api.yaml`), read and
//! checked without I/O before a handler in [`super::server`] acts on one.
//! A body is hostile input from the network: each function here takes the
//! raw bytes and returns a typed value or [`PanelError::BadRequest`], and
//! the fuzz target `panel_body` drives them as the server does.

use super::{Login, PanelError, Reported};
use serde::Deserialize;

/// Longest `authenticationContext` a prompt is opened for.
const MAX_CONTEXT: usize = 256;

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PanelError> {
    serde_json::from_slice(body).map_err(|e| PanelError::BadRequest(format!("malformed JSON: {e}")))
}

/// `POST /panel/v1/sessions`: how someone signs in.
pub fn login(body: &[u8]) -> Result<Login, PanelError> {
    json(body)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseBody {
    /// Job ids; absent means all of the user's jobs.
    #[serde(default)]
    ids: Option<Vec<String>>,
}

/// `POST /panel/v1/jobs/release`: the job ids to release; `None` (an
/// empty body, or no `ids`) for all of the user's jobs.
pub fn release_ids(body: &[u8]) -> Result<Option<Vec<String>>, PanelError> {
    if body.is_empty() {
        return Ok(None);
    }
    json::<ReleaseBody>(body).map(|b| b.ids)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatisticsBody {
    transactions: Vec<Reported>,
}

/// `POST /panel/v1/statistics`: the transactions a device reports. The
/// handler caps their number, and [`super::Panel::record`] checks each
/// with [`Reported::check`] before it records any.
pub fn transactions(body: &[u8]) -> Result<Vec<Reported>, PanelError> {
    json::<StatisticsBody>(body).map(|b| b.transactions)
}

/// HP's authentication context, as its agent calls carry it.
#[derive(Debug, Deserialize)]
struct HpContext {
    #[serde(rename = "authenticationContext")]
    context: String,
}

/// The `authenticationContext` of an HP agent call (post-prompt).
pub fn hp_context(body: &[u8]) -> Result<String, PanelError> {
    json::<HpContext>(body).map(|c| c.context)
}

/// The `authenticationContext` a prompt is opened for (pre-prompt): 1 to
/// 256 characters.
pub fn prompt_context(body: &[u8]) -> Result<String, PanelError> {
    let context = hp_context(body)?;
    if context.is_empty() || context.len() > MAX_CONTEXT {
        return Err(PanelError::BadRequest("authenticationContext must be 1 to 256 characters".into()));
    }
    Ok(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_release_body_releases_everything_and_unknown_fields_are_refused() {
        assert_eq!(release_ids(b"").ok(), Some(None));
        assert_eq!(release_ids(br#"{"ids":["a"]}"#).ok(), Some(Some(vec!["a".to_owned()])));
        assert!(release_ids(br#"{"ids":[],"all":true}"#).is_err());
    }

    #[test]
    fn reported_transactions_are_checked_one_by_one() {
        let check = |b: &[u8]| transactions(b).and_then(|t| t.iter().try_for_each(Reported::check));
        assert!(check(br#"{"transactions":[{"kind":"copy","pages":2,"colour_pages":1}]}"#).is_ok());
        assert!(check(br#"{"transactions":[{"kind":"copy","pages":1,"colour_pages":2}]}"#).is_err());
        assert!(check(br#"{"transactions":[{"kind":"shred","pages":1}]}"#).is_err());
        assert!(check(br#"{"transactions":[{"kind":"copy","pages":1,"extra":0}]}"#).is_err());
    }

    #[test]
    fn a_prompt_context_is_one_to_256_characters() {
        assert!(prompt_context(br#"{"authenticationContext":""}"#).is_err());
        assert!(prompt_context(br#"{"authenticationContext":"x"}"#).is_ok());
        let long = format!(r#"{{"authenticationContext":"{}"}}"#, "x".repeat(257));
        assert!(prompt_context(long.as_bytes()).is_err());
        assert!(hp_context(long.as_bytes()).is_ok());
    }
}
