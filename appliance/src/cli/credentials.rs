//! `pullprint badge | pin | passcode | policy`: what helpdesk and admins do
//! for people at printers, from the command line. Users named here may be
//! local or Active Directory users; AD users are looked up (with the service
//! account) so that a typo does not bind a badge to nobody. The running
//! daemon sees every change at once (shared files).

use crate::config::Config;
use crate::datadir::DataDir;
use crate::init::read_secret;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use local_connector::auth::credentials::{Credentials, check_pin};
use local_connector::auth::policy::{FUNCTIONS, PolicyFile};
use local_connector::badge::{Encoding, ReaderProfile, normalise};
use local_connector::directory::LocalDirectory;
use std::path::PathBuf;

/// How the card number was read.
#[derive(Args, Debug, Clone)]
pub struct CardArgs {
    /// The card number as a reader reports it.
    card: String,
    /// How the number is written.
    #[arg(long, value_enum, default_value = "hex")]
    encoding: CardEncoding,
    /// The reader reports the UID least significant byte first.
    #[arg(long)]
    reversed: bool,
    /// UID length in bytes, for decimal readers that drop leading zeros.
    #[arg(long, default_value_t = 4)]
    uid_bytes: usize,
    /// Wiegand: identify by card number alone.
    #[arg(long)]
    ignore_facility: bool,
}

/// Card number encodings.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum CardEncoding {
    /// UID in hex.
    Hex,
    /// UID as a decimal number.
    Decimal,
    /// 26-bit Wiegand frame.
    Wiegand26,
}

impl CardArgs {
    fn canonical(&self) -> Result<String> {
        let profile = ReaderProfile {
            encoding: match self.encoding {
                CardEncoding::Hex => Encoding::Hex,
                CardEncoding::Decimal => Encoding::Decimal,
                CardEncoding::Wiegand26 => Encoding::Wiegand26,
            },
            reversed: self.reversed,
            uid_bytes: self.uid_bytes,
            ignore_facility: self.ignore_facility,
        };
        Ok(normalise(&self.card, &profile)?)
    }
}

#[derive(Subcommand, Debug)]
pub enum BadgeCommand {
    /// Bind a badge to a user.
    Bind {
        /// Local or Active Directory user.
        user: String,
        #[command(flatten)]
        card: CardArgs,
    },
    /// Unbind one badge, whoever holds it.
    Unbind {
        #[command(flatten)]
        card: CardArgs,
    },
    /// Unbind all of a user's badges.
    UnbindAll {
        /// The user.
        user: String,
    },
    /// A user's badges (when and how each was bound; card numbers are not kept).
    List {
        /// The user.
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PinCommand {
    /// Set a user's PIN (asked for, or read from a file).
    Set {
        /// Local or Active Directory user.
        user: String,
        /// Read the PIN from the first line of this file.
        #[arg(long, value_name = "FILE")]
        pin_file: Option<PathBuf>,
    },
    /// Remove a user's PIN.
    Clear {
        /// The user.
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PasscodeCommand {
    /// Issue a new passcode for a user (shown once; replaces the old one).
    Issue {
        /// Local or Active Directory user.
        user: String,
    },
    /// Withdraw a user's passcode.
    Revoke {
        /// The user.
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Show which groups may use each function.
    Show,
    /// Set the groups of one function (`*` for everyone; no group for nobody).
    Set {
        /// release, copy, scan, fax, colour, admin, helpdesk or auditor.
        function: String,
        /// Group names.
        groups: Vec<String>,
    },
}

/// A user named on the command line: their login as stored and e-mail address.
fn resolve(cfg: &Config, dd: &DataDir, user: &str) -> Result<(String, Option<String>)> {
    let local = LocalDirectory::open(&dd.users())?;
    if let Some(u) = local.user(user) {
        return Ok((u.name, u.email));
    }
    let Some(ad) = cfg.active_directory()? else {
        bail!("no user {user:?} in the local directory (and no Active Directory is configured)");
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match rt.block_on(ad.lookup(user)) {
        Ok(u) => Ok((u.name.to_lowercase(), u.mail)),
        Err(local_connector::ad::AdError::NoSuchUser) => bail!("no user {user:?} in Active Directory"),
        Err(e) => bail!("cannot check {user:?} in Active Directory: {e}"),
    }
}

fn open_credentials(dd: &DataDir) -> Result<Credentials> {
    let site = dd.load_site_key()?;
    Ok(Credentials::open(&dd.credentials(), site.card_secret())?)
}

fn when(s: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)).to_string()
}

/// Run a `pullprint badge` command.
pub fn badge(cfg: &Config, cmd: BadgeCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    // The AD service password may be readable by root only: resolve first.
    let who = match &cmd {
        BadgeCommand::Bind { user, .. } => Some(resolve(cfg, &dd, user)?.0),
        _ => None,
    };
    crate::privdrop::become_owner_of(&dd.root)?;
    let creds = open_credentials(&dd)?;
    match cmd {
        BadgeCommand::Bind { card, .. } => {
            let login = who.unwrap_or_default();
            creds.bind_badge(&login, &card.canonical()?, "admin").context("binding the badge")?;
            println!("Badge bound to {login}.");
        }
        BadgeCommand::Unbind { card } => {
            if !creds.unbind_badge(&card.canonical()?)? {
                bail!("that badge is not bound to anyone");
            }
            println!("Badge unbound.");
        }
        BadgeCommand::UnbindAll { user } => {
            let n = creds.unbind_all(&user)?;
            println!("Unbound {n} badge(s) of {user}.");
        }
        BadgeCommand::List { user } => {
            println!("{:<26} HOW", "BOUND");
            for b in creds.badges_of(&user) {
                println!("{:<26} {}", when(b.bound_at), b.how);
            }
        }
    }
    Ok(())
}

/// Run a `pullprint pin` command.
pub fn pin(cfg: &Config, cmd: PinCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    let prepared = match &cmd {
        PinCommand::Set { user, pin_file } => {
            let pin = read_secret(pin_file.as_deref(), "New PIN")?;
            check_pin(&pin)?;
            Some((resolve(cfg, &dd, user)?, pin))
        }
        PinCommand::Clear { .. } => None,
    };
    crate::privdrop::become_owner_of(&dd.root)?;
    let creds = open_credentials(&dd)?;
    match (cmd, prepared) {
        (PinCommand::Set { .. }, Some(((login, email), pin))) => {
            let Some(email) = email else {
                bail!("{login} has no e-mail address, which e-mail and PIN sign-in needs");
            };
            creds.set_pin(&login, Some(&email), &pin)?;
            println!("PIN of {login} set; they sign in at printers with {email} and this PIN.");
        }
        (PinCommand::Clear { user }, _) => {
            if !creds.clear_pin(&user)? {
                bail!("{user} has no PIN");
            }
            println!("PIN of {user} removed.");
        }
        _ => unreachable!("a PIN is read for every set"),
    }
    Ok(())
}

/// Run a `pullprint passcode` command.
pub fn passcode(cfg: &Config, cmd: PasscodeCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    let who = match &cmd {
        PasscodeCommand::Issue { user } => Some(resolve(cfg, &dd, user)?.0),
        PasscodeCommand::Revoke { .. } => None,
    };
    crate::privdrop::become_owner_of(&dd.root)?;
    let creds = open_credentials(&dd)?;
    match cmd {
        PasscodeCommand::Issue { .. } => {
            let login = who.unwrap_or_default();
            let code = creds.issue_passcode(&login)?;
            println!(
                "Passcode for {login}:\n\n    {}\n\nIt is shown only now. Any earlier passcode of {login} no longer works.",
                code.reveal()
            );
        }
        PasscodeCommand::Revoke { user } => {
            if !creds.revoke_passcode(&user)? {
                bail!("{user} has no passcode");
            }
            println!("Passcode of {user} withdrawn.");
        }
    }
    Ok(())
}

/// Run a `pullprint policy` command.
pub fn policy(cfg: &Config, cmd: PolicyCommand) -> Result<()> {
    let dd = DataDir::new(&cfg.data_dir);
    crate::privdrop::become_owner_of(&dd.root)?;
    let file = PolicyFile::open(&dd.policy())?;
    let p = match cmd {
        PolicyCommand::Show => file.current(),
        PolicyCommand::Set { function, groups } => file.set(&function, &groups)?,
    };
    let show = |g: &[String]| if g.is_empty() { "(nobody)".to_owned() } else { g.join(", ") };
    let mut p2 = p.clone();
    for f in FUNCTIONS.iter().chain(["admin", "helpdesk", "auditor"].iter()) {
        let groups = p2.function_mut(f).map(|g| show(g)).unwrap_or_default();
        println!("{f:<8} {groups}");
    }
    Ok(())
}
