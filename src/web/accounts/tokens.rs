//! API tokens for machines: `lt_<id>_<secret>`, shown once when issued, kept as the id and
//! the SHA-256 of the secret, scoped to permissions (never beyond the owner's role),
//! revocable, optionally expiring.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{
    AccountError, Accounts, new_secret, parse_role, parse_scopes, parse_time, secret_hash,
    time_text,
};
use crate::web::role::{Permission, Role};

/// A token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The public id (the part after `lt_`).
    pub id: String,
    /// The user it acts as.
    pub user: String,
    /// What it is for.
    pub name: String,
    /// What it may do (also limited by the user's role).
    pub scopes: Vec<Permission>,
    /// When it was issued.
    pub created: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked: Option<DateTime<Utc>>,
}

/// A token just issued: the only time its full text exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The token to give the machine (`lt_<id>_<secret>`).
    pub token: String,
    /// Its record.
    pub info: TokenInfo,
}

/// A token that authenticated a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    /// The token's id.
    pub id: String,
    /// The user it acts as.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// Its scopes.
    pub scopes: Vec<Permission>,
}

fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("lt_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scopes: String = r.get(3)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        user: r.get(1)?,
        name: r.get(2)?,
        scopes: parse_scopes(&scopes).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created: parse_time(&r.get::<_, String>(4)?)?,
        expires: r
            .get::<_, Option<String>>(5)?
            .map(|t| parse_time(&t))
            .transpose()?,
        revoked: r
            .get::<_, Option<String>>(6)?
            .map(|t| parse_time(&t))
            .transpose()?,
    })
}

impl Accounts {
    /// Issues a token acting as `user` with `scopes`. Audited as `actor`.
    pub fn issue_token(
        &self,
        user: &str,
        name: &str,
        scopes: &[Permission],
        expires: Option<DateTime<Utc>>,
        actor: &str,
    ) -> Result<IssuedToken, AccountError> {
        let now = Utc::now();
        let id = new_secret()[..12].to_string();
        let secret = new_secret();
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let scope_text = scopes
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(",");
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let exists = tx
            .query_row("SELECT 1 FROM users WHERE name = ?1", [user], |_| Ok(()))
            .optional()
            .map_err(|e| self.db(e))?
            .is_some();
        if !exists {
            return Err(AccountError::UnknownUser(user.to_string()));
        }
        tx.execute(
            "INSERT INTO tokens (id, user, name, scopes, hash, created, expires) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                user,
                name,
                scope_text,
                secret_hash(&secret),
                time_text(now),
                expires.map(time_text)
            ],
        )
        .map_err(|e| self.db(e))?;
        super::audit::record(
            &tx,
            now,
            actor,
            "token.issue",
            &id,
            &format!("for {user} ({name}), scopes {scope_text}"),
        )
        .map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))?;
        Ok(IssuedToken {
            token: format!("lt_{id}_{secret}"),
            info: TokenInfo {
                id,
                user: user.to_string(),
                name: name.to_string(),
                scopes,
                created: now,
                expires,
                revoked: None,
            },
        })
    }

    /// The tokens of `user` (every user's with `None`).
    pub fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>, AccountError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, user, name, scopes, created, expires, revoked FROM tokens \
                 WHERE ?1 IS NULL OR user = ?1 ORDER BY created",
            )
            .map_err(|e| self.db(e))?;
        stmt.query_map([user], token_row)
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))
    }

    /// Revokes a token (of `owner` only, when given). Audited.
    pub fn revoke_token(
        &self,
        id: &str,
        owner: Option<&str>,
        actor: &str,
    ) -> Result<(), AccountError> {
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let changed = tx
            .execute(
                "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL \
                 AND (?3 IS NULL OR user = ?3)",
                params![id, time_text(now), owner],
            )
            .map_err(|e| self.db(e))?;
        if changed == 0 {
            return Err(AccountError::UnknownToken(id.to_string()));
        }
        super::audit::record(&tx, now, actor, "token.revoke", id, "").map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))
    }

    /// The token a request presents, when it is valid: known, its secret's hash matching, not
    /// revoked or expired, its user enabled.
    pub fn token(&self, token: &str, now: DateTime<Utc>) -> Result<Option<TokenUse>, AccountError> {
        let Some((id, secret)) = split_token(token) else {
            return Ok(None);
        };
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT t.hash, t.user, u.role, t.scopes, t.expires FROM tokens t \
                 JOIN users u ON u.name = t.user \
                 WHERE t.id = ?1 AND t.revoked IS NULL AND u.disabled = 0",
                [id],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((hash, user, role, scopes, expires)) = row else {
            return Ok(None);
        };
        if hash != secret_hash(secret) {
            return Ok(None);
        }
        if let Some(expires) = expires
            && parse_time(&expires).map_err(|e| self.db(e))? <= now
        {
            return Ok(None);
        }
        Ok(Some(TokenUse {
            id: id.to_string(),
            user,
            role: parse_role(&role)?,
            scopes: parse_scopes(&scopes)?,
        }))
    }
}
