//! HTTP Basic identities, as IPP clients and the self-service API present
//! them: a print token (checked every time, being a fast keyed hash, so a
//! revocation takes effect at once), or a directory password through the
//! authentication service, which throttles guesses per user and source.

use super::Auth;
use crate::tokens::{TokenStore, looks_like_token};
use base64::Engine;
use std::net::IpAddr;
use std::sync::Arc;

/// The user name and password of an `Authorization: Basic` header value
/// (RFC 7617): the scheme (any case), one space, base64 of UTF-8
/// `user:password`; the user name is what comes before the first colon.
/// The decoded bytes and the password are wiped from memory when dropped.
pub fn parse(header: &str) -> Option<(String, zeroize::Zeroizing<String>)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?);
    let text = std::str::from_utf8(&decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), zeroize::Zeroizing::new(password.to_owned())))
}

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
        let (user, password) = parse(header)?;
        let (user, password) = (user.as_str(), password.as_str());
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

#[cfg(test)]
mod tests {
    use super::parse;

    fn basic(raw: &[u8]) -> String {
        use base64::Engine;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_read_as_rfc_7617_says() {
        let (u, p) = parse(&basic(b"alice:pa:ss word")).expect("well formed");
        assert_eq!((u.as_str(), p.as_str()), ("alice", "pa:ss word"), "the user ends at the first colon");
        assert!(parse(&basic(b"alice:x").replacen("Basic", "bAsIc", 1)).is_some(), "the scheme in any case");
        assert_eq!(parse(&basic(b":")).map(|(u, p)| (u, p.to_string())), Some((String::new(), String::new())));
        for bad in [basic(b"no colon"), basic(b"al\xffce:pw"), "Basic !!!".into(), "Bearer abc".into(), "Basic".into()]
        {
            assert!(parse(&bad).is_none(), "{bad:?} was read");
        }
    }
}
