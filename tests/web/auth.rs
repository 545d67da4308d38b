//! Logins, sessions, CSRF, lock-out, tokens, security headers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{PASSWORD, Web, read, session_cookie};

#[tokio::test]
async fn nothing_but_healthz_without_login() {
    let web = Web::start().await;
    let anon = web.anonymous();
    let health = anon.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.text, "ok");
    for path in [
        "/api/v1/stations",
        "/api/v1/latest",
        "/api/v1/events",
        "/api/v1/session",
    ] {
        let reply = anon.get(path).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.code(), "unauthenticated", "{path}");
    }
    let unknown = anon.get("/api/v1/nothing-here").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "not_found");
    web.server.stop().await;
}

#[tokio::test]
async fn a_session_cookie_is_httponly_strict_and_csrf_guards_changes() {
    let web = Web::start().await;
    let anon = web.anonymous();
    let reply = anon
        .send(
            Method::POST,
            "/api/v1/session",
            Some(json!({"username": "analyst", "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let set = reply.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Max-Age="), "{set}");
    assert!(!set.contains("Secure"), "plain HTTP on loopback: {set}");
    let me = web.login("analyst").await;
    let info = me.get("/api/v1/session").await.json();
    assert_eq!(info["user"], "analyst");
    assert_eq!(info["role"], "analyst");
    // A state-changing request without the CSRF token is refused, and with a wrong one.
    let mut no_csrf = web.login("analyst").await;
    no_csrf.csrf = None;
    let refused = no_csrf.send(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "csrf");
    no_csrf.csrf = Some("0".repeat(64));
    let refused = no_csrf.send(Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(refused.code(), "csrf");
    // From another origin, even with the token.
    let cross = read(
        me.request(Method::DELETE, "/api/v1/session")
            .header("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(cross.code(), "csrf");
    // The form logout: the CSRF field in the body.
    let csrf = me.csrf.clone().unwrap();
    let mut form_client = me;
    form_client.csrf = None;
    let logout = read(
        form_client
            .request(Method::POST, "/logout")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.text);
    assert_eq!(logout.headers["location"], "/login");
    let after = form_client.get("/api/v1/session").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "the session ended");
    web.server.stop().await;
}

#[tokio::test]
async fn form_login_redirects_locally_and_locks_out() {
    let web = Web::start().await;
    let anon = web.anonymous();
    let form = |user: &str, password: &str, next: &str| {
        anon.request(Method::POST, "/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={user}&password={password}&next={next}"))
    };
    let ok = read(form("leader", &PASSWORD.replace(' ', "+"), "%2Fstations")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers["location"], "/stations");
    assert!(session_cookie(&ok.headers).is_some());
    let offsite = read(form(
        "leader",
        &PASSWORD.replace(' ', "+"),
        "%2F%2Fevil.example",
    ))
    .await;
    assert_eq!(offsite.headers["location"], "/", "no open redirect");
    for _ in 0..4 {
        let bad = read(form("maintainer", "wrong", "%2F")).await;
        assert_eq!(bad.headers["location"], "/login?error=credentials");
    }
    let locked = read(form("maintainer", "wrong", "%2F")).await;
    assert_eq!(locked.headers["location"], "/login?error=locked");
    let still = read(form("maintainer", &PASSWORD.replace(' ', "+"), "%2F")).await;
    assert_eq!(
        still.headers["location"], "/login?error=locked",
        "locked even with the right password"
    );
    assert!(session_cookie(&still.headers).is_none());
    let log = web.server.state.accounts.audit_log(None, 100).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "login.locked" && e.target == "maintainer")
    );
    web.server.stop().await;
}

#[tokio::test]
async fn logins_are_rate_limited_per_address() {
    let settings = lantian::web::WebConfig {
        login_per_minute: 3,
        ..Default::default()
    };
    let web = Web::start_with(settings, |_| {}).await;
    let anon = web.anonymous();
    let body = json!({"username": "nobody", "password": "whatever it is"});
    for _ in 0..3 {
        let reply = anon
            .send(Method::POST, "/api/v1/session", Some(body.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = anon.send(Method::POST, "/api/v1/session", Some(body)).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "too_many_requests");
    web.server.stop().await;
}

#[tokio::test]
async fn security_headers_on_every_answer() {
    let web = Web::start().await;
    for path in ["/healthz", "/api/v1/stations"] {
        let reply = web.anonymous().get(path).await;
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    }
    web.server.stop().await;
}
