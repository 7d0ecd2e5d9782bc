//! HTTP Basic identities, as IPP clients and the self-service API present
//! them: a print token (checked every time, being a fast keyed hash, so a
//! revocation takes effect at once), or a directory password through the
//! authentication service, which throttles guesses per user and source.

use super::Auth;
use crate::tokens::{TokenStore, looks_like_token};
use base64::Engine;
use std::net::IpAddr;
use std::sync::Arc;

/// Who may print: checks Basic credentials against print tokens and the directory.
#[derive(Debug)]
pub struct Authenticator {
    auth: Arc<Auth>,
    tokens: Arc<TokenStore>,
}

impl Authenticator {
    /// Print tokens first (by their shape), then the authentication service.
    pub fn new(auth: Arc<Auth>, tokens: Arc<TokenStore>) -> Authenticator {
        Authenticator { auth, tokens }
    }

    /// The user named by an `Authorization: Basic` header, if the password
    /// (or print token) is right.
    pub async fn basic(&self, header: &str, source: IpAddr) -> Option<String> {
        let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?.trim();
        let decoded = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?);
        let text = std::str::from_utf8(&decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        // A print token is checked every time (it is a fast keyed hash), so
        // that revoking one takes effect at once.
        if looks_like_token(password) {
            return self.tokens.verify(user, password);
        }
        match self.auth.password(user, password, source).await {
            Ok(id) => Some(id.login),
            Err(why) => {
                log::info!("IPP: sign-in as {user:?} from {source} refused: {why}");
                None
            }
        }
    }

    /// The authentication service.
    pub fn auth(&self) -> &Arc<Auth> {
        &self.auth
    }

    /// The print tokens.
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }
}
