//! `pullprint release`: an admin releases, lists and withdraws releases
//! through the running daemon's control socket
//! ([`local_connector::release::control`]).

use anyhow::{Context, Result, bail};
use local_connector::release::control::{Answer, Request, socket_path};
use std::path::Path;

/// Ask the daemon serving `data_dir`.
pub fn call(data_dir: &Path, req: &Request) -> Result<Answer> {
    use std::io::{BufRead, Write};
    let path = socket_path(data_dir);
    let mut s = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "cannot reach the daemon at {} (is `pullprint serve` running, and are you root or its user?)",
            path.display()
        )
    })?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    s.write_all(&line)?;
    let mut back = String::new();
    std::io::BufReader::new(s).read_line(&mut back)?;
    if back.is_empty() {
        bail!("the daemon closed the connection without an answer");
    }
    Ok(serde_json::from_str(&back)?)
}

/// `pullprint release ...`.
#[derive(clap::Subcommand, Debug)]
pub enum ReleaseCommand {
    /// Print a parked job at a printer now (as its owner would at the panel).
    Print {
        /// Job id or number (see `pullprint release list`, `pullprint status`).
        job: String,
        /// The printer: name, id or address.
        #[arg(long)]
        at: String,
    },
    /// Releases waiting, under way, or failed (with why).
    List,
    /// Withdraw a release that has not started; the job stays parked.
    Cancel {
        /// Job id or number.
        job: String,
    },
}

/// Run `pullprint release`.
pub fn release(data_dir: &Path, cmd: ReleaseCommand) -> Result<()> {
    let who = std::env::var("SUDO_USER")
        .ok()
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name))
        .unwrap_or_else(|| "admin".into());
    let req = match cmd {
        ReleaseCommand::Print { job, at } => Request::Release { job, printer: at, by: format!("admin:{who}") },
        ReleaseCommand::List => Request::List,
        ReleaseCommand::Cancel { job } => Request::Cancel { job },
    };
    let listing = matches!(req, Request::List);
    let a = call(data_dir, &req)?;
    if !a.ok {
        bail!("{}", a.message);
    }
    if listing {
        if a.releases.is_empty() {
            println!("No releases waiting, under way or failed.");
        }
        for r in &a.releases {
            let n = r.number.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            println!("{n:>6}  {:<10} {:<20} {:<12} {}", r.state, r.printer, r.owner, r.document);
            if let Some(m) = &r.message {
                println!("        {m}");
            }
        }
    } else {
        println!("{}", a.message);
    }
    Ok(())
}
