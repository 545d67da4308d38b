//! Live updates over server-sent events, TLS, the report archive.

use std::time::Duration;

use chrono::TimeDelta;
use lantian::quality::Flag;
use lantian::store::{Record, Resolution, StoreUrl};
use lantian::units::Parameter;
use lantian::web::WebConfig;
use reqwest::StatusCode;

use crate::harness::{PASSWORD, Web};
use crate::seed;

/// Reads the event stream until an event named `name` whose data contains `needle`.
async fn wait_for(
    response: &mut reqwest::Response,
    buffer: &mut String,
    names: &[&str],
    needle: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let named = names
                .iter()
                .any(|name| event.contains(&format!("event: {name}\n")));
            if named && event.contains(needle) {
                return event;
            }
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {names:?} event with {needle} in time"))
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn a_new_hourly_value_reaches_the_event_stream() {
    let settings = WebConfig {
        poll_seconds: 1,
        ..Default::default()
    };
    let web = Web::start_with(settings, |s| {
        seed::fill(s);
    })
    .await;
    let leader = web.login("leader").await;
    let mut response = leader
        .request(reqwest::Method::GET, "/api/v1/events")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut buffer = String::new();
    // The stored values: in the snapshot, or in the first poll's update when the client came
    // before it.
    wait_for(
        &mut response,
        &mut buffer,
        &["snapshot", "update"],
        "2026-11-03T08:00:00+08:00",
    )
    .await;
    // Another process writes the next hour.
    let mut store =
        lantian::store::open(&StoreUrl::Sqlite(web.dir.path().join("store.db"))).unwrap();
    store
        .put_readings(&[Record {
            station: "B".into(),
            parameter: Parameter::Pm25,
            resolution: Resolution::Hour,
            time: seed::start() + TimeDelta::hours(seed::HOURS + 1),
            value: 123.0,
            flag: Flag::Normal,
            count: 45,
        }])
        .unwrap();
    let event = wait_for(
        &mut response,
        &mut buffer,
        &["update"],
        "2026-11-03T09:00:00+08:00",
    )
    .await;
    assert!(event.contains("\"station\":\"B\""), "{event}");
    assert!(event.contains("123"), "{event}");
    assert!(
        !event.contains("\"station\":\"A\""),
        "only what changed: {event}"
    );
    drop(response);
    web.server.stop().await;
}

#[tokio::test]
async fn tls_with_a_given_certificate_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let settings = WebConfig {
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        ..Default::default()
    };
    let web = Web::start_with(settings, |_| {}).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", web.server.addr)
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", web.server.addr.port());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("strict-transport-security"));
    let login = client
        .post(format!("{base}/api/v1/session"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"username": "leader", "password": PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", web.server.addr))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    web.server.stop().await;
}

#[cfg(feature = "reports")]
#[tokio::test]
async fn the_report_archive_and_nothing_outside_it() {
    let web = Web::start().await;
    let reports = web.report_dir();
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("daily-2026-11-02.html"),
        "<html><head><title>Daily 2026-11-02</title>\
         <meta name=\"lantian:kind\" content=\"daily\">\
         <meta name=\"lantian:period\" content=\"2026-11-02\">\
         <meta name=\"lantian:sort\" content=\"2026-11-02\"></head><body>ok</body></html>",
    )
    .unwrap();
    std::fs::write(web.dir.path().join("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
    let leader = web.login("leader").await;
    let list = leader.get("/api/v1/reports").await.json();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["kind"], "daily");
    let page = leader
        .get("/api/v1/reports/files/daily-2026-11-02.html")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("ok"));
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("sandbox") && !policy.contains("script-src"),
        "{policy}"
    );
    for path in [
        "..%2Fsecret.txt",
        "%2E%2E/secret.txt",
        "daily-2026-11-02.html%2F..%2F..%2Fsecret.txt",
        "%2Fetc%2Fpasswd",
    ] {
        let reply = leader.get(&format!("/api/v1/reports/files/{path}")).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
        assert!(!reply.text.contains("TOP-SECRET"), "{path}");
    }
    web.server.stop().await;
}
