//! The rules that keep the crate's shape (`docs/ARCHITECTURE.md`), checked
//! by reading the sources: dependencies point one way, and sockets are
//! opened only in the shells that exist for it.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The code of a file, without comments (docs may name any module).
fn code(p: &Path) -> String {
    std::fs::read_to_string(p)
        .expect("read")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The noun a file belongs to: its first path component under `src/`.
fn noun(src: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// What each noun may not import. The ground floor (job, clock, crypto,
/// durable, fault, html, net, badge, shared) imports no noun above it; state
/// (store, printers) imports no service; among the services, panel and
/// release know nothing of each other, and the analysers and the queue
/// nothing of printers.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("job", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("clock", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("crypto", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("durable", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("html", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("net", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("fault", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("badge", &["store", "printers", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
    ("analyse", &["store", "printers", "auth", "ipp", "panel", "release"]),
    ("store", &["printers", "auth", "ipp", "panel", "release", "analyse"]),
    ("printers", &["store", "auth", "ipp", "panel", "release", "analyse"]),
    ("panel", &["release", "ipp"]),
    ("release", &["panel", "auth", "analyse"]),
    ("ipp", &["panel", "release", "printers"]),
    ("scout", &["store", "auth", "ipp", "panel", "release", "analyse", "directory", "tokens", "ad"]),
];

/// Where a socket may be opened: the shared accept loop, the release
/// engine's client and control socket, and the scout's sweep socket.
const SOCKETS_IN: &[&str] = &["net/accept.rs", "release/client.rs", "release/control.rs", "scout/sweep.rs"];

#[test]
fn dependencies_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for p in sources(&src) {
        let from = noun(&src, &p);
        let Some((_, banned)) = FORBIDDEN.iter().find(|(n, _)| *n == from) else { continue };
        let text = code(&p);
        for to in *banned {
            if text.contains(&format!("crate::{to}::")) || text.contains(&format!("crate::{to};")) {
                wrong.push(format!("{} imports {to}", p.strip_prefix(&src).unwrap_or(&p).display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the shape in docs/ARCHITECTURE.md:\n{}", wrong.join("\n"));
}

#[test]
fn sockets_live_only_in_the_shells() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for p in sources(&src) {
        let rel = p.strip_prefix(&src).unwrap_or(&p).to_string_lossy().into_owned();
        if SOCKETS_IN.contains(&rel.as_str()) || rel == "shape.rs" {
            continue;
        }
        let text = code(&p);
        for api in ["TcpListener::bind", "TcpStream::connect", "UnixListener::bind", "UdpSocket::bind"] {
            if text.contains(api) {
                wrong.push(format!("{rel} uses {api}"));
            }
        }
    }
    assert!(wrong.is_empty(), "sockets outside the shells:\n{}", wrong.join("\n"));
}
