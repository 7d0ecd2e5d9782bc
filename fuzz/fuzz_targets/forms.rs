//! What browsers and clients post by hand-written parsers: the panel app's
//! and web front's `application/x-www-form-urlencoded` bodies
//! (`html::form`) and `Authorization: Basic` header values
//! (`auth::basic::parse`, for the IPPS queue and the self-service API).
//! Byte 0 picks (even: a form, odd: a header), the rest is the input.
//!
//! Beyond not crashing: a form's fields, written out again with every
//! byte but the unreserved ones escaped, read back the same; and Basic
//! credentials, encoded again, read back the same with no colon in the
//! user name.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use local_connector::auth::basic;
use local_connector::html::form;

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    if pick % 2 == 0 {
        let fields = form(bytes);
        assert!(fields.len() <= bytes.iter().filter(|&&b| b == b'&').count() + 1);
        let again: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let reread = form(again.join("&").as_bytes());
        // A field with an empty key and value ("=") is written as "=" and
        // read back; one that was only "&&" never became a field.
        assert_eq!(reread.len(), fields.len());
        for ((k1, v1), (k2, v2)) in fields.iter().zip(&reread) {
            assert_eq!(k1, k2);
            assert_eq!(v1.as_str(), v2.as_str());
        }
    } else {
        let header = String::from_utf8_lossy(bytes);
        if let Some((user, password)) = basic::parse(&header) {
            assert!(!user.contains(':'), "a user name with a colon: {user:?}");
            let raw = format!("{user}:{}", password.as_str());
            let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw));
            let (u2, p2) = basic::parse(&header).expect("credentials encoded again read back");
            assert_eq!((u2.as_str(), p2.as_str()), (user.as_str(), password.as_str()));
        }
    }
});
