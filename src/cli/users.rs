//! `lantian users`: the web platform's accounts — add, list, set a password, disable or
//! enable, issue and revoke API tokens, read the audit log. Passwords come from a prompt
//! (no echo), standard input or a file, never from an argument.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{TimeDelta, Utc};
use clap::{Args, Subcommand};
use lantian::config::Config;
use lantian::web::{Accounts, Permission, Role};

use super::table::Table;

/// Options of `lantian users`.
#[derive(Debug, Args)]
pub(super) struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Add a user (the password from --password-file, else a prompt or standard input).
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`).
        name: String,
        /// leader (read), analyst (read, export, reports), maintainer (devices, alarms) or
        /// admin (everything).
        #[arg(long)]
        role: Role,
        /// Read the password from this file (its first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// List the users.
    List,
    /// Set a user's password (ends their sessions, unlocks them).
    Passwd {
        /// Login name.
        name: String,
        /// Read the password from this file (its first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Disable a user: no login; their sessions and tokens stop working.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// Login name.
        name: String,
    },
    /// Change a user's role.
    Role {
        /// Login name.
        name: String,
        /// The new role.
        role: Role,
    },
    /// Issue an API token acting as a user, limited to scopes (printed once; keep it).
    Token {
        /// The user it acts as.
        name: String,
        /// What it is for (shown in listings).
        #[arg(long)]
        label: String,
        /// Scopes: read, export, maintain, admin (comma-separated; never beyond the role).
        #[arg(long, value_delimiter = ',', default_value = "read")]
        scope: Vec<Permission>,
        /// Days until it expires [default: never].
        #[arg(long)]
        days: Option<u32>,
    },
    /// List API tokens (of one user, or all).
    Tokens {
        /// Only this user's.
        name: Option<String>,
    },
    /// Revoke an API token by its id.
    Revoke {
        /// The token's id (as listed).
        id: String,
    },
    /// The newest entries of the audit log.
    Audit {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

/// Who made a change from the command line: `cli:<login>`.
fn actor() -> String {
    let login = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{login}")
}

/// A password from the file, else a prompt (asked twice) at a terminal, else the first line
/// of standard input.
fn password(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let line = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        None if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("password: ")?;
            let again = rpassword::prompt_password("again: ")?;
            anyhow::ensure!(first == again, "the passwords differ");
            first
        }
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    Ok(line)
}

fn time(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Runs the command.
pub(super) fn run(config: &Config, args: UsersArgs) -> anyhow::Result<()> {
    let path = config.accounts_path();
    let accounts = Accounts::open(&path, config.web.login_policy())?;
    let actor = actor();
    match args.command {
        UsersCommand::Add {
            name,
            role,
            password_file,
        } => {
            let password = password(password_file.as_ref())?;
            accounts.add_user(&name, role, &password, &actor)?;
            println!("added {name} ({role}) to {}", path.display());
        }
        UsersCommand::List => {
            let mut table = Table::new(&["user", "role", "state", "created"], &[]);
            for u in accounts.users()? {
                let state = if u.disabled {
                    "disabled".to_string()
                } else if let Some(until) = u.locked_until.filter(|t| *t > Utc::now()) {
                    format!("locked until {}", time(Some(until)))
                } else {
                    "active".to_string()
                };
                table.push(vec![
                    u.name,
                    u.role.to_string(),
                    state,
                    time(Some(u.created)),
                ]);
            }
            print!("{}", table.render());
        }
        UsersCommand::Passwd {
            name,
            password_file,
        } => {
            accounts.user(&name)?;
            let password = password(password_file.as_ref())?;
            accounts.set_password(&name, &password, &actor)?;
            println!("password of {name} set; their sessions ended");
        }
        UsersCommand::Disable { name } => {
            accounts.set_disabled(&name, true, &actor)?;
            println!("{name} disabled");
        }
        UsersCommand::Enable { name } => {
            accounts.set_disabled(&name, false, &actor)?;
            println!("{name} enabled");
        }
        UsersCommand::Role { name, role } => {
            accounts.set_role(&name, role, &actor)?;
            println!("{name} is now {role}");
        }
        UsersCommand::Token {
            name,
            label,
            scope,
            days,
        } => {
            let user = accounts.user(&name)?;
            if let Some(p) = scope.iter().find(|p| !user.role.grants(**p)) {
                anyhow::bail!(
                    "the role {} of {name} does not allow the scope `{p}`",
                    user.role
                );
            }
            let expires = days.map(|d| Utc::now() + TimeDelta::days(i64::from(d)));
            let issued = accounts.issue_token(&name, &label, &scope, expires, &actor)?;
            eprintln!(
                "API token {} for {name}; it is shown only now:",
                issued.info.id
            );
            println!("{}", issued.token);
        }
        UsersCommand::Tokens { name } => {
            let mut table = Table::new(
                &[
                    "id", "user", "label", "scopes", "created", "expires", "revoked",
                ],
                &[],
            );
            for t in accounts.tokens(name.as_deref())? {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.code()).collect();
                table.push(vec![
                    t.id,
                    t.user,
                    t.name,
                    scopes.join(","),
                    time(Some(t.created)),
                    time(t.expires),
                    time(t.revoked),
                ]);
            }
            print!("{}", table.render());
        }
        UsersCommand::Revoke { id } => {
            accounts.revoke_token(&id, None, &actor)?;
            println!("token {id} revoked");
        }
        UsersCommand::Audit { limit } => {
            let mut table = Table::new(
                &["seq", "at", "actor", "action", "target", "detail"],
                &["seq"],
            );
            for e in accounts.audit_log(None, limit)? {
                table.push(vec![
                    e.seq.to_string(),
                    time(Some(e.at)),
                    e.actor,
                    e.action,
                    e.target,
                    e.detail,
                ]);
            }
            print!("{}", table.render());
        }
    }
    Ok(())
}
