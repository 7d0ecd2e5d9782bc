//! `pullprint user ...` and `pullprint token ...`: the local directory's users
//! and everyone's print tokens, managed from the command line. The running
//! daemon sees every change at once (the files are shared; see
//! `local_connector::shared`).

use crate::datadir::DataDir;
use crate::init::read_secret;
use anyhow::{Result, bail};
use clap::Subcommand;
use local_connector::directory::LocalDirectory;
use local_connector::tokens::TokenStore;
use std::path::PathBuf;

/// Shortest password accepted for a local user.
const MIN_PASSWORD: usize = 10;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user to the local directory (the password is asked for, or read from a file).
    Add {
        /// Login name.
        name: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail address (for e-mail + PIN at the printer).
        #[arg(long)]
        email: Option<String>,
        /// Group membership (repeat for several).
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Set a user's password.
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Remove a user, and revoke their print tokens.
    Remove {
        /// Login name.
        name: String,
    },
    /// List the users.
    List,
}

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Sign in as a user against the configured directory (Active Directory,
    /// or the local one) and show what it knows: the way to test `[ad]`.
    Check {
        /// `alice`, `alice@realm` or `DOMAIN\alice`.
        login: String,
        /// Read the password from the first line of this file (default: ask).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a print token for a user; it is shown once.
    Create {
        /// The user it belongs to.
        user: String,
        /// What it is for ("MacBook", "phone").
        #[arg(long, default_value = "print token")]
        label: String,
    },
    /// List print tokens (never their secrets).
    List {
        /// Only this user's.
        user: Option<String>,
    },
    /// Revoke a print token by its id.
    Revoke {
        /// The id shown by `token list`.
        id: String,
    },
}

fn open_directory(dd: &DataDir) -> Result<LocalDirectory> {
    Ok(LocalDirectory::open(&dd.users())?)
}

fn open_tokens(dd: &DataDir) -> Result<TokenStore> {
    let site = dd.load_site_key()?;
    Ok(TokenStore::open(&dd.tokens(), site.token_secret())?)
}

fn new_password(file: Option<&std::path::Path>) -> Result<zeroize::Zeroizing<String>> {
    let pw = read_secret(file, "New password")?;
    if pw.chars().count() < MIN_PASSWORD {
        bail!("the password is too short: use at least {MIN_PASSWORD} characters");
    }
    Ok(pw)
}

fn valid_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        bail!("user names are 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    Ok(())
}

/// Run a `pullprint user` command.
pub fn user(dd: &DataDir, cmd: UserCommand) -> Result<()> {
    // Read a new password first: its file may be readable by root only.
    let pw = match &cmd {
        UserCommand::Add { password_file, name, .. } => {
            valid_name(name)?;
            Some(new_password(password_file.as_deref())?)
        }
        UserCommand::Passwd { password_file, .. } => Some(new_password(password_file.as_deref())?),
        _ => None,
    };
    let pw = pw.unwrap_or_default();
    crate::privdrop::become_owner_of(&dd.root)?;
    let dir = open_directory(dd)?;
    match cmd {
        UserCommand::Add { name, display_name, email, groups, .. } => {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            dir.add_user(&name, display_name.as_deref().unwrap_or(&name), email.as_deref(), &pw, &groups)?;
            println!("Added {name}.");
        }
        UserCommand::Passwd { name, .. } => {
            dir.set_password(&name, &pw)?;
            println!("Password of {name} changed.");
        }
        UserCommand::Remove { name } => {
            dir.remove_user(&name)?;
            let revoked = open_tokens(dd)?.revoke_all(&name)?;
            let site = dd.load_site_key()?;
            local_connector::auth::credentials::Credentials::open(&dd.credentials(), site.card_secret())?
                .forget(&name)?;
            let phones =
                local_connector::phones::PhoneStore::open(&dd.phones(), site.token_secret())?.revoke_all(&name)?;
            println!(
                "Removed {name}, revoked {revoked} print token(s) and {phones} signed-in phone(s), and removed their badges, PIN and passcode."
            );
        }
        UserCommand::List => {
            println!("{:<20} {:<28} {:<32} GROUPS", "NAME", "DISPLAY NAME", "E-MAIL");
            for u in dir.users() {
                println!(
                    "{:<20} {:<28} {:<32} {}",
                    u.name,
                    u.display_name,
                    u.email.as_deref().unwrap_or("-"),
                    u.groups.join(",")
                );
            }
        }
    }
    Ok(())
}

/// Run a `pullprint token` command.
pub fn token(dd: &DataDir, cmd: TokenCommand) -> Result<()> {
    crate::privdrop::become_owner_of(&dd.root)?;
    let tokens = open_tokens(dd)?;
    match cmd {
        TokenCommand::Create { user, label } => {
            valid_name(&user)?;
            let t = tokens.create(&user, &label)?;
            println!(
                "Print token {} for {user} ({label}):\n\n    {}\n\n\
                 Use it as the password when adding the Pullprint queue, with {user} as the user name.\n\
                 It is shown only now; revoke it with `pullprint token revoke {}`.",
                t.id,
                t.secret.as_str(),
                t.id
            );
        }
        TokenCommand::List { user } => {
            println!("{:<10} {:<20} {:<24} CREATED", "ID", "USER", "LABEL");
            for t in tokens.list(user.as_deref())? {
                println!("{:<10} {:<20} {:<24} {}", t.id, t.user, t.label, format_ms(t.created_ms));
            }
        }
        TokenCommand::Revoke { id } => {
            if !tokens.revoke(&id, None)? {
                bail!("no print token {id}");
            }
            println!("Print token {id} revoked.");
        }
    }
    Ok(())
}

fn format_ms(ms: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)).to_string()
}

/// Run a `pullprint directory` command.
pub fn directory(cfg: &crate::config::Config, cmd: DirectoryCommand) -> Result<()> {
    let DirectoryCommand::Check { login, password_file } = cmd;
    let pw = read_secret(password_file.as_deref(), "Password")?;
    let Some(ad) = cfg.active_directory()? else {
        let dd = DataDir::new(&cfg.data_dir);
        crate::privdrop::become_owner_of(&dd.root)?;
        let dir = open_directory(&dd)?;
        return match dir.verify_password(&login, &pw) {
            Some(u) => {
                println!("Signed in as {} ({}) in the local directory", u.name, u.display_name);
                println!("  Groups      {}", u.groups.join(", "));
                Ok(())
            }
            None => bail!("refused by the local directory: wrong user name or password"),
        };
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let started = std::time::Instant::now();
    match rt.block_on(ad.authenticate(&login, &pw)) {
        Ok(u) => {
            println!("Signed in as {} ({}) in Active Directory, in {:?}", u.name, u.display_name, started.elapsed());
            println!("  DN          {}", u.dn);
            println!("  E-mail      {}", u.mail.as_deref().unwrap_or("-"));
            println!("  Department  {}", u.department.as_deref().unwrap_or("-"));
            println!("  Groups      {}", u.groups.join(", "));
            Ok(())
        }
        Err(e @ local_connector::ad::AdError::Unavailable(_)) => {
            bail!("{e} (after {:.1} s)", started.elapsed().as_secs_f64())
        }
        Err(e) => bail!("refused by Active Directory: {e}"),
    }
}
