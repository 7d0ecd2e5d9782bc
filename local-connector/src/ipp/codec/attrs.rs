//! Small constructors for IPP attributes on top of the `ipp` crate, which keep
//! responses well-formed: strings are cut to their syntax's limit at a
//! character boundary, empty 1setOf lists become no-value, and a value that
//! cannot be encoded is left out rather than corrupting the message.

use ipp::prelude::*;
use ipp::value::IppName;
use std::collections::BTreeMap;

/// An attribute list being built.
#[derive(Debug, Default)]
pub struct Attrs(pub Vec<IppAttribute>);

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn one_or_many(mut v: Vec<IppValue>) -> IppValue {
    match v.len() {
        0 => IppValue::NoValue,
        1 => v.pop().unwrap_or(IppValue::NoValue),
        _ => IppValue::Array(v),
    }
}

impl Attrs {
    pub fn put(&mut self, name: &str, value: IppValue) {
        match IppAttribute::with_name(name, value) {
            Ok(a) => self.0.push(a),
            Err(e) => log::error!("IPP attribute {name} left out: {e}"),
        }
    }
    pub fn keyword(&mut self, name: &str, v: &str) {
        self.keywords(name, &[v]);
    }
    pub fn keywords(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_keyword(cut(v, 255)).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn integer(&mut self, name: &str, v: i32) {
        self.put(name, IppValue::Integer(v));
    }
    pub fn integers(&mut self, name: &str, vs: &[i32]) {
        self.put(name, one_or_many(vs.iter().map(|v| IppValue::Integer(*v)).collect()));
    }
    pub fn enums(&mut self, name: &str, vs: &[i32]) {
        self.put(name, one_or_many(vs.iter().map(|v| IppValue::Enum(*v)).collect()));
    }
    pub fn enumeration(&mut self, name: &str, v: i32) {
        self.put(name, IppValue::Enum(v));
    }
    pub fn boolean(&mut self, name: &str, v: bool) {
        self.put(name, IppValue::Boolean(v));
    }
    pub fn text(&mut self, name: &str, v: &str) {
        if let Ok(t) = IppValue::new_text_without_language(cut(v, 1023)) {
            self.put(name, t);
        }
    }
    pub fn texts(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_text_without_language(cut(v, 1023)).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn name(&mut self, name: &str, v: &str) {
        if let Ok(t) = IppValue::new_name_without_language(cut(v, 255)) {
            self.put(name, t);
        }
    }
    pub fn uri(&mut self, name: &str, v: &str) {
        self.uris(name, &[v]);
    }
    pub fn uris(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_uri(cut(v, 1023)).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn mime(&mut self, name: &str, v: &str) {
        self.mimes(name, &[v]);
    }
    pub fn mimes(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_mime_media_type(*v).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn charsets(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_charset(*v).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn languages(&mut self, name: &str, vs: &[&str]) {
        let vals = vs.iter().filter_map(|v| IppValue::new_natural_language(*v).ok()).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn range(&mut self, name: &str, min: i32, max: i32) {
        self.put(name, IppValue::RangeOfInteger { min, max });
    }
    pub fn resolutions(&mut self, name: &str, dpis: &[i32]) {
        self.put(
            name,
            one_or_many(dpis.iter().map(|d| IppValue::Resolution { cross_feed: *d, feed: *d, units: 3 }).collect()),
        );
    }
    pub fn no_value(&mut self, name: &str) {
        self.put(name, IppValue::NoValue);
    }
    /// The `unknown` out-of-band value (RFC 8010 §3.5.2).
    pub fn unknown(&mut self, name: &str) {
        self.put(name, IppValue::Other { tag: 0x12, data: Default::default() });
    }
    pub fn date_time(&mut self, name: &str, unix_secs: u64) {
        self.put(name, IppValue::DateTime(date_time(unix_secs)));
    }
    pub fn octets(&mut self, name: &str, vs: &[&[u8]]) {
        let vals = vs.iter().map(|v| IppValue::OctetString(bytes::Bytes::copy_from_slice(v))).collect();
        self.put(name, one_or_many(vals));
    }
    pub fn collections(&mut self, name: &str, cs: Vec<IppValue>) {
        self.put(name, one_or_many(cs));
    }
}

/// A collection value from (member, value) pairs.
pub fn collection(members: Vec<(&str, IppValue)>) -> IppValue {
    let mut m = BTreeMap::new();
    for (k, v) in members {
        if let Ok(n) = IppName::new(k) {
            m.insert(n, v);
        }
    }
    IppValue::Collection(m)
}

/// A keyword value, or no-value if it cannot be a keyword.
pub fn kw(v: &str) -> IppValue {
    IppValue::new_keyword(v).unwrap_or(IppValue::NoValue)
}

/// RFC 2579 DateAndTime in UTC for `unix_secs`.
pub fn date_time(unix_secs: u64) -> ipp::value::IppDateTime {
    let days = unix_secs / 86400;
    let rem = unix_secs % 86400;
    // Civil from days (Howard Hinnant's algorithm), valid for the whole u64 range we use.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let small = |v: i64| u8::try_from(v).unwrap_or(0);
    ipp::value::IppDateTime {
        year: u16::try_from(year).unwrap_or(0),
        month: small(month),
        day: small(day),
        hour: small((rem / 3600) as i64),
        minutes: small((rem % 3600 / 60) as i64),
        seconds: small((rem % 60) as i64),
        deci_seconds: 0,
        utc_dir: '+',
        utc_hours: 0,
        utc_mins: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_is_civil_utc() {
        let d = date_time(1_795_000_000); // 2026-11-18T11:06:40Z
        assert_eq!((d.year, d.month, d.day, d.hour, d.minutes, d.seconds), (2026, 11, 18, 11, 6, 40));
        let e = date_time(951_782_400); // 2000-02-29T00:00:00Z
        assert_eq!((e.year, e.month, e.day), (2000, 2, 29));
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let s = "é".repeat(600);
        let c = cut(&s, 1023);
        assert!(c.len() <= 1023 && c.is_char_boundary(c.len()));
    }
}
