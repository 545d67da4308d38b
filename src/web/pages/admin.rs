//! The administrators' page: the users with their roles and states, and the latest entries of
//! the audit log (users are managed with `lantian users`).

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::view::Frame;
use crate::web::accounts::{AuditEntry, User};

/// Audit entries the page shows.
pub(crate) const AUDIT_SHOWN: usize = 100;

/// The page's template.
#[derive(Template)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// Every user.
    pub(crate) users: Vec<User>,
    /// The latest audit entries, newest first.
    pub(crate) audit: Vec<AuditEntry>,
    /// The network's zone.
    pub(crate) tz: Tz,
}

impl AdminPage {
    fn local(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    fn state(&self, u: &User) -> &'static str {
        let lang = self.frame.lang;
        if u.disabled {
            lang.pick("已停用", "disabled")
        } else if u.locked_until.is_some_and(|t| t > Utc::now()) {
            lang.pick("已锁定", "locked")
        } else {
            lang.pick("正常", "active")
        }
    }
}
