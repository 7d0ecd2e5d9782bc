use super::*;
use crate::badge::{Encoding, ReaderProfile};
use std::net::Ipv4Addr;

struct Site {
    dir: tempfile::TempDir,
    auth: Auth,
}

const SECRET: [u8; 32] = [5u8; 32];

fn open(dir: &std::path::Path, settings: AuthSettings) -> Auth {
    let local = Arc::new(LocalDirectory::open(&dir.join("users.json")).expect("users"));
    let creds = Arc::new(Credentials::open(&dir.join("credentials.json"), SECRET).expect("credentials"));
    let policy = Arc::new(PolicyFile::open(&dir.join("policy.json")).expect("policy"));
    let state = AuthState::open(&dir.join("auth")).expect("state");
    Auth::new(local, None, creds, policy, state, settings, SECRET)
}

fn site(settings: AuthSettings) -> Site {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = open(dir.path(), settings);
    auth.local().add_user("alice", "Alice", Some("alice@example.test"), "alice-pw-1", &["PrintUsers"]).expect("alice");
    auth.local().add_user("bob", "Bob", Some("bob@example.test"), "bob-pw-1", &["PrintUsers"]).expect("bob");
    auth.credentials().bind_badge("alice", "uid:12345678", "admin").expect("badge");
    auth.credentials().set_pin("alice", Some("alice@example.test"), "2580").expect("pin");
    Site { dir, auth }
}

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// `n` attempts made by `attempt` at once, on `workers` threads: their outcomes.
fn in_parallel<F, Fut>(auth: &Arc<Auth>, workers: usize, n: usize, attempt: F) -> Vec<Result<Identity, Refusal>>
where
    F: Fn(Arc<Auth>) -> Fut,
    Fut: std::future::Future<Output = Result<Identity, Refusal>> + Send + 'static,
{
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(attempt(auth.clone()))).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime")
}

const HEX: ReaderProfile =
    ReaderProfile { encoding: Encoding::Hex, reversed: false, uid_bytes: 4, ignore_facility: false };

#[test]
fn every_method_signs_in_and_failures_all_look_alike() {
    let s = site(AuthSettings { self_enrolment: false, ..AuthSettings::default() });
    rt().block_on(async {
        let a = &s.auth;
        assert_eq!(a.password("alice", "alice-pw-1", ip(1)).await.map(|i| i.login), Ok("alice".into()));
        // The same card through a decimal reader (305419896 = 0x12345678).
        let dec = ReaderProfile { encoding: Encoding::Decimal, ..HEX };
        assert_eq!(a.badge("305419896", &dec, None, ip(1)).await.map(|i| i.login), Ok("alice".into()));
        assert_eq!(a.badge("12:34:56:78", &HEX, None, ip(1)).await.map(|i| i.display_name), Ok("Alice".into()));
        assert_eq!(a.email_pin("Alice@Example.test", "2580", ip(1)).await.map(|i| i.login), Ok("alice".into()));
        let bob = a.password("bob", "bob-pw-1", ip(1)).await.expect("bob");
        let code = a.issue_passcode(&bob).expect("passcode");
        assert_eq!(a.passcode(code.reveal(), ip(1)).await.map(|i| i.login), Ok("bob".into()));
        // Every kind of failure reads the same.
        for refused in [
            a.badge("87654321", &HEX, None, ip(2)).await,
            a.email_pin("alice@example.test", "9999", ip(2)).await,
            a.email_pin("nobody@example.test", "2580", ip(2)).await,
            a.passcode("000000-000000", ip(2)).await,
            a.passcode("not a passcode", ip(2)).await,
            a.password("alice", "wrong", ip(3)).await,
            a.password("nobody", "alice-pw-1", ip(3)).await,
        ] {
            assert_eq!(refused, Err(Refusal::NotRecognised));
        }
        assert!(matches!(a.badge("zz", &HEX, None, ip(2)).await, Err(Refusal::Misread(_))));
        assert!(a.rights(&bob).release);
        assert!(!a.is_admin(&bob));
    });
}

#[test]
fn repeated_failures_back_off_then_lock_and_the_lock_survives_a_restart() {
    let settings = AuthSettings {
        lockout: LockoutPolicy { max_delay: Duration::from_millis(1), ..LockoutPolicy::default() },
        ..AuthSettings::default()
    };
    let s = site(settings);
    let r = rt();
    r.block_on(async {
        let a = &s.auth;
        let mut last = Ok(());
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            last = a.email_pin("alice@example.test", "0000", ip(9)).await.map(|_| ());
        }
        assert_eq!(last, Err(Refusal::NotRecognised));
        // Locked now: even the right PIN is not checked.
        assert!(matches!(a.email_pin("alice@example.test", "2580", ip(9)).await, Err(Refusal::Locked(_))));
        assert_eq!(a.locked_count(), 1);
        // Other users and other methods of alice are not affected.
        assert!(a.badge("12345678", &HEX, None, ip(9)).await.is_ok());
    });
    let Site { dir, auth } = s;
    drop(auth);
    let again = open(dir.path(), settings);
    r.block_on(async {
        assert!(matches!(again.email_pin("alice@example.test", "2580", ip(9)).await, Err(Refusal::Locked(_))));
        again.unlock_all();
        assert!(again.email_pin("alice@example.test", "2580", ip(9)).await.is_ok());
    });
}

#[test]
fn quick_guesses_are_throttled() {
    let s = site(AuthSettings::default());
    rt().block_on(async {
        let a = &s.auth;
        for _ in 0..3 {
            assert_eq!(a.password("bob", "nope", ip(4)).await, Err(Refusal::NotRecognised));
        }
        assert!(matches!(a.password("bob", "bob-pw-1", ip(4)).await, Err(Refusal::Throttled(_))));
    });
}

#[test]
fn an_unknown_badge_is_enrolled_by_a_directory_login_at_the_same_place() {
    let s = site(AuthSettings::default());
    rt().block_on(async {
        let a = &s.auth;
        let Err(Refusal::Enrol(ticket)) = a.badge("CAFE0001", &HEX, None, ip(5)).await else {
            panic!("an unknown badge should offer enrolment");
        };
        // Elsewhere, or with a wrong password, nothing is bound.
        assert_eq!(a.enrol(&ticket, "bob", "bob-pw-1", ip(6)).await, Err(Refusal::EnrolmentExpired));
        let Err(Refusal::Enrol(ticket)) = a.badge("CAFE0001", &HEX, None, ip(5)).await else {
            panic!("enrolment again");
        };
        assert_eq!(a.enrol(&ticket, "bob", "wrong", ip(5)).await, Err(Refusal::NotRecognised));
        assert_eq!(a.enrol(&ticket, "bob", "bob-pw-1", ip(5)).await, Err(Refusal::EnrolmentExpired), "single use");
        let Err(Refusal::Enrol(ticket)) = a.badge("CAFE0001", &HEX, None, ip(5)).await else {
            panic!("enrolment again");
        };
        assert_eq!(a.enrol(&ticket, "bob", "bob-pw-1", ip(5)).await.map(|i| i.login), Ok("bob".into()));
        assert_eq!(a.badge("cafe0001", &HEX, None, ip(5)).await.map(|i| i.login), Ok("bob".into()));
    });
}

#[test]
fn a_site_can_ask_for_a_pin_with_the_badge_without_revealing_unknown_badges() {
    let s = site(AuthSettings { badge_needs_pin: true, self_enrolment: false, ..AuthSettings::default() });
    rt().block_on(async {
        let a = &s.auth;
        assert_eq!(a.badge("12345678", &HEX, None, ip(7)).await, Err(Refusal::PinRequired));
        assert_eq!(a.badge("87654321", &HEX, None, ip(7)).await, Err(Refusal::PinRequired));
        assert_eq!(a.badge("12345678", &HEX, Some("2580"), ip(7)).await.map(|i| i.login), Ok("alice".into()));
        assert_eq!(a.badge("12345678", &HEX, Some("1111"), ip(7)).await, Err(Refusal::NotRecognised));
        assert_eq!(a.badge("87654321", &HEX, Some("2580"), ip(7)).await, Err(Refusal::NotRecognised));
    });
    let _ = &s.dir;
}

#[test]
fn a_changed_password_or_removed_user_is_refused_at_once() {
    let s = site(AuthSettings::default());
    rt().block_on(async {
        let a = &s.auth;
        assert!(a.password("bob", "bob-pw-1", ip(8)).await.is_ok());
        a.local().set_password("bob", "bob-pw-2").expect("passwd");
        assert_eq!(a.password("bob", "bob-pw-1", ip(8)).await, Err(Refusal::NotRecognised));
        assert!(a.password("bob", "bob-pw-2", ip(8)).await.is_ok());
        a.local().remove_user("bob").expect("remove");
        assert_eq!(a.password("bob", "bob-pw-2", ip(8)).await, Err(Refusal::NotRecognised));
    });
}

/// Regression (security review, finding 3): the lockout was checked before
/// the slow hash and counted after it, so parallel guesses were all
/// checked before the first failure counted, and a 4-digit PIN could be
/// searched at the speed of the hardware.
#[test]
fn parallel_guesses_are_counted_before_they_are_checked() {
    let s = site(AuthSettings::default());
    let lock_after = AuthSettings::default().lockout.lock_after;
    let auth = Arc::new(s.auth);
    let guess = std::sync::atomic::AtomicU32::new(1000);
    let outcomes = in_parallel(&auth, 16, 100, |a| {
        let pin = format!("{:04}", guess.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        async move { a.email_pin("alice@example.test", &pin, ip(9)).await }
    });
    let checked = outcomes.iter().filter(|o| matches!(o, Err(Refusal::NotRecognised))).count();
    let held_back = outcomes.iter().filter(|o| matches!(o, Err(Refusal::Throttled(_) | Refusal::Locked(_)))).count();
    assert_eq!(checked + held_back, 100, "{outcomes:?}");
    assert!(
        checked <= usize::try_from(lock_after).unwrap_or(usize::MAX),
        "{checked} guesses were checked; at most {lock_after} may be"
    );
    drop(s.dir);
}

/// What the reservation must not do: hold back a client's parallel requests
/// with a password it just proved (IPP clients send Basic with each one).
#[test]
fn parallel_requests_with_a_proven_password_all_pass() {
    let s = site(AuthSettings::default());
    let auth = Arc::new(s.auth);
    rt().block_on(async { assert!(auth.password("alice", "alice-pw-1", ip(7)).await.is_ok()) });
    let all = in_parallel(&auth, 8, 50, |a| async move { a.password("alice", "alice-pw-1", ip(7)).await });
    assert!(all.iter().all(|o| o.as_ref().map(|i| i.login.as_str()) == Ok("alice")), "{all:?}");
    drop(s.dir);
}

/// Regression (security review, finding 4): IPv6 sources were counted by
/// their full address, and a host holds a whole /64 of them.
#[test]
fn ipv6_sources_are_counted_by_their_64() {
    let s = site(AuthSettings::default());
    rt().block_on(async {
        let a = &s.auth;
        let near = |n: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, n, 1));
        let far = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1));
        // Every guess from another address of the same /64, each at a new badge.
        let mut throttled = false;
        for n in 0..40u16 {
            if let Err(Refusal::Throttled(_) | Refusal::Locked(_)) =
                a.badge(&format!("{:08x}", 0xdead_0000u32 + u32::from(n)), &HEX, None, near(n)).await
            {
                throttled = true;
                break;
            }
        }
        assert!(throttled, "one /64 guessed without limit");
        assert!(
            !matches!(a.badge("cafe0001", &HEX, None, far).await, Err(Refusal::Throttled(_) | Refusal::Locked(_))),
            "another /64 is another source"
        );
    });
}

/// What the reservation must not do either: refuse a client's parallel first
/// requests with a right password that nobody has proved yet; they wait for
/// the first check instead.
#[test]
fn parallel_first_logins_with_the_right_password_all_pass() {
    let s = site(AuthSettings::default());
    let auth = Arc::new(s.auth);
    let all = in_parallel(&auth, 8, 16, |a| async move { a.password("alice", "alice-pw-1", ip(7)).await });
    assert!(all.iter().all(|o| o.as_ref().map(|i| i.login.as_str()) == Ok("alice")), "{all:?}");
    drop(s.dir);
}

/// Lockout as denial of service: wrong passwords from one address lock the
/// user there only, and back off (never lock) everywhere else.
#[test]
fn guesses_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let settings = AuthSettings {
        lockout: LockoutPolicy { max_delay: Duration::from_millis(1), ..LockoutPolicy::default() },
        ..AuthSettings::default()
    };
    let s = site(settings);
    rt().block_on(async {
        let a = &s.auth;
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(a.password("alice", "guess", ip(66)).await, Err(Refusal::NotRecognised));
        }
        assert!(matches!(a.password("alice", "alice-pw-1", ip(66)).await, Err(Refusal::Locked(_))));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(a.password("alice", "alice-pw-1", ip(7)).await.map(|i| i.login), Ok("alice".into()));
    });
}

/// A printer is shared by everyone at it: a run of unknown badges there
/// backs the printer off briefly, never locks it, and each badge tried is
/// limited on its own (`lockout::kinds` shows a plain address is locked).
#[test]
fn unknown_badges_at_a_printer_only_back_it_off_briefly() {
    let fast = LockoutPolicy {
        max_delay: Duration::from_millis(1),
        printer_max_delay: Duration::from_millis(1),
        ..LockoutPolicy::default()
    };
    let s = site(AuthSettings { self_enrolment: false, lockout: fast, ..AuthSettings::default() });
    rt().block_on(async {
        let a = &s.auth;
        // Past the point where a plain address is locked (50 failures).
        for n in 0..80u32 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let card = format!("{:08x}", 0xa000_0000u32 + n);
            match a.badge(&card, &HEX, None, Origin::printer(ip(20))).await {
                Err(Refusal::NotRecognised | Refusal::Throttled(_)) => {}
                other => panic!("swipe {n}: {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(a.badge("12345678", &HEX, None, Origin::printer(ip(20))).await.map(|i| i.login), Ok("alice".into()));
        assert_eq!(a.locked_count(), 0);
    });
}

/// Each enrolment ticket tells that a badge is not registered, so a printer
/// is given only a few in a quarter of an hour; past them an unknown badge
/// is refused as with self-enrolment off.
#[test]
fn enrolment_tickets_are_rationed_per_printer() {
    let s = site(AuthSettings::default());
    rt().block_on(async {
        let a = &s.auth;
        let mut answers = Vec::new();
        for n in 0..7u32 {
            let card = format!("{:08x}", 0xc000_0000u32 + n);
            answers.push(match a.badge(&card, &HEX, None, Origin::printer(ip(30))).await {
                Err(Refusal::Enrol(_)) => "enrol",
                Err(Refusal::NotRecognised) => "refused",
                Err(Refusal::Throttled(_)) => "throttled",
                other => panic!("{other:?}"),
            });
        }
        assert_eq!(answers.iter().filter(|a| **a == "enrol").count(), ENROL_PER_SOURCE, "{answers:?}");
        assert!(!answers[ENROL_PER_SOURCE..].contains(&"enrol"), "{answers:?}");
        // Another printer still offers enrolment.
        assert!(matches!(a.badge("c00000ff", &HEX, None, Origin::printer(ip(31))).await, Err(Refusal::Enrol(_))));
    });
}

#[test]
fn the_helpdesk_sees_and_lifts_one_persons_locks_only() {
    let settings = AuthSettings {
        lockout: LockoutPolicy { max_delay: Duration::from_millis(1), ..LockoutPolicy::default() },
        ..AuthSettings::default()
    };
    let s = site(settings);
    let a = &s.auth;
    rt().block_on(async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = a.email_pin("alice@example.test", "0000", ip(9)).await;
            let _ = a.password("bob", "wrong", ip(8)).await;
        }
        assert!(matches!(a.email_pin("alice@example.test", "2580", ip(9)).await, Err(Refusal::Locked(_))));
        assert!(matches!(a.password("bob", "bob-pw-1", ip(8)).await, Err(Refusal::Locked(_))));
    });
    let (failures, until) = a.lockout_of("alice", Some("alice@example.test"));
    assert!(failures >= 5 && until > now_ms(), "{failures} {until}");
    // Without the e-mail address, alice's PIN locks are not hers to see.
    assert_eq!(a.lockout_of("alice", None).1, 0);
    a.clear_lockout_of("alice", Some("alice@example.test"));
    assert_eq!(a.lockout_of("alice", Some("alice@example.test")), (0, 0));
    rt().block_on(async {
        assert!(a.email_pin("alice@example.test", "2580", ip(9)).await.is_ok());
        // Bob is still locked.
        assert!(matches!(a.password("bob", "bob-pw-1", ip(8)).await, Err(Refusal::Locked(_))));
    });
    assert!(a.lockout_of("bob", None).1 > now_ms());
    let (found, problem) = rt().block_on(a.search_people("ali", 10));
    assert_eq!((found.iter().map(|p| p.login.as_str()).collect::<Vec<_>>(), problem), (vec!["alice"], None));
    assert_eq!(rt().block_on(a.search_people("BOB@", 10)).0.len(), 1);
    assert_eq!(rt().block_on(a.person("bob")).expect("person").map(|p| p.display_name), Some("Bob".into()));
    assert_eq!(rt().block_on(a.person("carol")).expect("person"), None);
}
