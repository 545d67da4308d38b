use chrono::{TimeDelta, Utc};

use super::*;

fn open() -> (tempfile::TempDir, Accounts) {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::open(&dir.path().join("web.db"), LoginPolicy::default()).unwrap();
    (dir, accounts)
}

#[test]
fn users_log_in_lock_out_and_are_audited() {
    let (_dir, a) = open();
    a.add_user(
        "li.wei",
        Role::Maintainer,
        "correct horse battery",
        "cli:root",
    )
    .unwrap();
    assert!(matches!(
        a.add_user("li.wei", Role::Admin, "another long one", "cli:root"),
        Err(AccountError::UserExists(_))
    ));
    assert!(matches!(
        a.add_user("x y", Role::Admin, "another long one", "cli:root"),
        Err(AccountError::BadName(_))
    ));
    assert!(matches!(
        a.add_user("short", Role::Admin, "short", "cli:root"),
        Err(AccountError::WeakPassword { .. })
    ));
    let now = Utc::now();
    assert_eq!(
        a.check_login("li.wei", "correct horse battery", now)
            .unwrap()
            .role,
        Role::Maintainer
    );
    assert!(matches!(
        a.check_login("nobody", "correct horse battery", now),
        Err(AccountError::BadCredentials)
    ));
    for _ in 0..4 {
        assert!(matches!(
            a.check_login("li.wei", "wrong", now),
            Err(AccountError::BadCredentials)
        ));
    }
    assert!(matches!(
        a.check_login("li.wei", "wrong", now),
        Err(AccountError::Locked { .. })
    ));
    // Locked: even the right password is refused until the lock ends.
    assert!(matches!(
        a.check_login("li.wei", "correct horse battery", now),
        Err(AccountError::Locked { .. })
    ));
    let later = now + TimeDelta::minutes(16);
    assert!(
        a.check_login("li.wei", "correct horse battery", later)
            .is_ok()
    );
    let log = a.audit_log(None, 100).unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "user.add");
    assert_eq!(actions.iter().filter(|a| **a == "login.failed").count(), 4);
    assert!(actions.contains(&"login.locked"));
}

#[test]
fn sessions_expire_and_end_with_the_account() {
    let (_dir, a) = open();
    a.add_user("ana", Role::Analyst, "a long enough password", "cli:root")
        .unwrap();
    let now = Utc::now();
    let (secret, session) = a.start_session("ana", now, TimeDelta::hours(1)).unwrap();
    let idle = TimeDelta::minutes(30);
    assert_eq!(
        a.session(&secret, now, idle).unwrap(),
        Some(session.clone())
    );
    assert_eq!(a.session("forged", now, idle).unwrap(), None);
    assert_eq!(
        a.session(&secret, now + TimeDelta::minutes(31), idle)
            .unwrap(),
        None,
        "idle too long"
    );
    let (secret, _) = a.start_session("ana", now, TimeDelta::hours(1)).unwrap();
    assert_eq!(
        a.session(&secret, now + TimeDelta::hours(2), TimeDelta::hours(9))
            .unwrap(),
        None
    );
    let (secret, _) = a.start_session("ana", now, TimeDelta::hours(1)).unwrap();
    a.set_disabled("ana", true, "cli:root").unwrap();
    assert_eq!(a.session(&secret, now, idle).unwrap(), None);
}

#[test]
fn tokens_are_shown_once_scoped_and_revocable() {
    let (_dir, a) = open();
    a.add_user("bot", Role::Analyst, "a long enough password", "cli:root")
        .unwrap();
    let issued = a
        .issue_token("bot", "grafana", &[Permission::Read], None, "bot")
        .unwrap();
    let now = Utc::now();
    let used = a.token(&issued.token, now).unwrap().unwrap();
    assert_eq!(used.scopes, vec![Permission::Read]);
    assert_eq!(used.role, Role::Analyst);
    let forged = format!("lt_{}_{}", issued.info.id, "0".repeat(64));
    assert_eq!(a.token(&forged, now).unwrap(), None);
    assert!(!a.tokens(Some("bot")).unwrap().is_empty());
    a.revoke_token(&issued.info.id, Some("bot"), "bot").unwrap();
    assert_eq!(a.token(&issued.token, now).unwrap(), None);
    assert!(matches!(
        a.revoke_token(&issued.info.id, None, "bot"),
        Err(AccountError::UnknownToken(_))
    ));
}
