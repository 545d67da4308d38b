//! Roles of people and the permissions they grant; API tokens are scoped by the same
//! permissions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user is in the bureau, which decides what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Leadership: reads everything, changes nothing.
    Leader,
    /// Analysts: read, export data, generate reports.
    Analyst,
    /// Maintainers: read, handle devices and alarms.
    Maintainer,
    /// Administrators: everything, users and configuration included.
    Admin,
}

/// One thing a request may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read data, rankings, alarms, reports.
    Read,
    /// Export data (CSV of series) and generate reports.
    Export,
    /// Handle alarms (acknowledge, assign, comment, close) and devices.
    Maintain,
    /// Manage users, tokens and the configuration.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Leader, Role::Analyst, Role::Maintainer, Role::Admin];

    /// The role's name in the accounts database and on the command line.
    pub const fn code(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Analyst => "analyst",
            Role::Maintainer => "maintainer",
            Role::Admin => "admin",
        }
    }

    /// Whether the role grants `permission`.
    pub const fn grants(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Leader => matches!(permission, Permission::Read),
            Role::Analyst => matches!(permission, Permission::Read | Permission::Export),
            Role::Maintainer => matches!(permission, Permission::Read | Permission::Maintain),
        }
    }
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 4] = [
        Permission::Read,
        Permission::Export,
        Permission::Maintain,
        Permission::Admin,
    ];

    /// The permission's name (a token's scope).
    pub const fn code(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Export => "export",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        }
    }
}

/// A role or permission name that is none of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (one of: {expected})")]
pub struct UnknownName {
    what: &'static str,
    name: String,
    expected: String,
}

fn parse<T: Copy>(
    s: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    what: &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|t| code(*t) == s)
        .ok_or_else(|| UnknownName {
            what,
            name: s.to_string(),
            expected: all.iter().map(|t| code(*t)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s, &Role::ALL, Role::code, "role")
    }
}

impl FromStr for Permission {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s, &Permission::ALL, Permission::code, "scope")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_the_issue_says() {
        use Permission::*;
        assert!(Role::Leader.grants(Read) && !Role::Leader.grants(Export));
        assert!(Role::Analyst.grants(Export) && !Role::Analyst.grants(Maintain));
        assert!(Role::Maintainer.grants(Maintain) && !Role::Maintainer.grants(Admin));
        assert!(Permission::ALL.iter().all(|p| Role::Admin.grants(*p)));
        assert_eq!("maintainer".parse::<Role>(), Ok(Role::Maintainer));
        let e = "root".parse::<Role>().unwrap_err().to_string();
        assert!(e.contains("leader, analyst, maintainer, admin"), "{e}");
    }
}
