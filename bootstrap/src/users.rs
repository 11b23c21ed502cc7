//! `bedrud user …`: account management from the shell. Passwords can come from stdin so
//! they stay out of shell history.

use std::io::BufRead;

use bedrud_db::Db;
use bedrud_domain::validation;
use bedrud_ports::*;
use bedrud_security::{Argon2Hasher, OsRandom, SystemClock};

use crate::cli::UserCommand;

fn read_password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!(
            "no password on stdin (pipe it in, e.g. `printf %s \"$PW\" | bedrud user …`)"
        );
    }
    Ok(password)
}

fn check_password(password: &str) -> anyhow::Result<()> {
    validation::check_new_password(password, "Password").map_err(|e| anyhow::anyhow!("{e}"))
}

/// The local account with this email (the one the CLI manages).
async fn local_account(db: &Db, email: &str) -> anyhow::Result<User> {
    let canonical = validation::canonical_email(email)
        .map_err(|_| anyhow::anyhow!("invalid email: {email}"))?;
    let users = db.find_by_email(&canonical).await?;
    users
        .iter()
        .find(|u| u.provider == provider::LOCAL)
        .or_else(|| users.first())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no account with email {canonical}"))
}

/// Runs one user command and prints its outcome.
pub async fn run(db: &Db, command: UserCommand) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match command {
        UserCommand::Create {
            email,
            name,
            password,
            superadmin,
        } => {
            let email = validation::canonical_email(&email)
                .map_err(|_| anyhow::anyhow!("invalid email: {email}"))?;
            let name = validation::sanitize_name(&name);
            validation::check_account_name(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            let password = match password {
                Some(p) => p,
                None => read_password_from_stdin()?,
            };
            check_password(&password)?;
            if !db.find_by_email(&email).await?.is_empty() {
                anyhow::bail!("an account with email {email} already exists");
            }
            let hash = Argon2Hasher::new().hash(password).await?;
            let mut accesses = vec![Access::User];
            if superadmin {
                accesses.push(Access::Superadmin);
            }
            let user = UserStore::insert(
                db,
                User {
                    id: OsRandom.uuid(),
                    email,
                    name,
                    avatar_url: String::new(),
                    provider: provider::LOCAL.into(),
                    accesses,
                    is_active: true,
                    password_hash: Some(hash),
                    email_verified_at: None,
                    password_changed_at: Some(now),
                    created_at: now,
                    updated_at: now,
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    anyhow::anyhow!("an account with this email already exists")
                }
                other => other.into(),
            })?;
            println!(
                "created {} <{}> id={} accesses={:?}",
                user.name,
                user.email,
                user.id,
                names(&user.accesses)
            );
        }
        UserCommand::Promote { email } => {
            let user = local_account(db, &email).await?;
            let mut accesses = user.accesses.clone();
            if !accesses.contains(&Access::Superadmin) {
                accesses.push(Access::Superadmin);
            }
            apply_accesses(db, &user, accesses).await?;
        }
        UserCommand::Demote { email } => {
            let user = local_account(db, &email).await?;
            let accesses: Vec<Access> = user
                .accesses
                .iter()
                .copied()
                .filter(|a| *a != Access::Superadmin)
                .collect();
            apply_accesses(db, &user, accesses).await?;
        }
        UserCommand::List => {
            let mut offset = 0;
            println!(
                "{:<36}  {:<32}  {:<10}  {:<6}  ACCESSES",
                "ID", "EMAIL", "PROVIDER", "ACTIVE"
            );
            loop {
                let (page, total) = UserStore::list(
                    db,
                    UserQuery {
                        sort: UserSort::CreatedAt,
                        order: Order::Asc,
                        offset,
                        limit: 100,
                        ..Default::default()
                    },
                )
                .await?;
                for u in &page {
                    println!(
                        "{:<36}  {:<32}  {:<10}  {:<6}  {}",
                        u.id,
                        u.email,
                        u.provider,
                        u.is_active,
                        names(&u.accesses).join(",")
                    );
                }
                offset += page.len() as i64;
                if page.is_empty() || offset >= total {
                    break;
                }
            }
        }
        UserCommand::SetPassword { email } => {
            let user = local_account(db, &email).await?;
            let password = read_password_from_stdin()?;
            check_password(&password)?;
            let hash = Argon2Hasher::new().hash(password).await?;
            db.set_password_hash(&user.id, hash, Some(now), now).await?;
            let ended = db
                .revoke_all(&user.id, None, "password_change", now)
                .await?;
            println!(
                "password updated for {}; {ended} session(s) ended",
                user.email
            );
        }
    }
    Ok(())
}

fn names(accesses: &[Access]) -> Vec<&'static str> {
    accesses.iter().map(|a| a.as_str()).collect()
}

async fn apply_accesses(db: &Db, user: &User, accesses: Vec<Access>) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match db.set_accesses(&user.id, accesses.clone(), now).await? {
        GuardedUpdate::Updated => {
            db.revoke_all(&user.id, None, "accesses_changed", now)
                .await?;
            println!("{} now has accesses {:?}", user.email, names(&accesses));
            Ok(())
        }
        GuardedUpdate::NotFound => anyhow::bail!("no account with email {}", user.email),
        GuardedUpdate::LastSuperadmin => anyhow::bail!("cannot demote the last superadmin"),
    }
}
