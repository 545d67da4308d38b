//! Mail through aiosmtpd with STARTTLS and AUTH required: the relay's certificate comes from a
//! CA made here, trusted through the channel's `ca_file` — and refused without it.

use std::path::Path;
use std::time::Duration;

use lantian::notify::{State, TestReport};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use crate::harness::{SmtpServer, config, send_test};

/// A CA (`ca.pem`) and a certificate for `localhost` it signed (`cert.pem`, key `key.pem`).
fn certificates(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "lantian test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

async fn send(dir: &Path, port: u16, password_file: &str, ca: bool, wait: Duration) -> TestReport {
    let toml = format!(
        r#"[notify]
retry = {{ initial_ms = 100, max_ms = 200 }}

[[notify.channel]]
name = "mail"
kind = "email"
lang = "en"
host = "localhost"
port = {port}
username = "alarms@lantian.test"
password_file = "{password_file}"
from = "蓝天告警 <alarms@lantian.test>"
to = ["duty@lantian.test", "Ops <ops@lantian.test>"]
timeout_ms = 5000
{}
"#,
        if ca { "ca_file = \"ca.pem\"" } else { "" }
    );
    let config = config(dir, &toml);
    send_test(&config, "mail", wait).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_over_starttls_with_a_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let Some(smtp) = SmtpServer::start(
        dir.path(),
        &dir.path().join("cert.pem"),
        &dir.path().join("key.pem"),
        "alarms@lantian.test",
        "s3cret pass",
    ) else {
        return;
    };
    std::fs::write(dir.path().join("password"), "s3cret pass\n").unwrap();
    std::fs::write(dir.path().join("wrong"), "guess").unwrap();

    let report = send(
        dir.path(),
        smtp.port,
        "password",
        true,
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(report.state, State::Delivered, "{report:?}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m["tls"], true);
    assert_eq!(m["mail_from"], "alarms@lantian.test");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["duty@lantian.test", "ops@lantian.test"])
    );
    assert_eq!(m["message_id"], format!("<{}@lantian>", report.key));
    assert_eq!(m["subject"], "[TEST] lantian notification channel mail");
    assert!(
        m["body"]
            .as_str()
            .unwrap()
            .contains("lantian alarms test-notify"),
        "{m}"
    );

    // Without the CA the certificate is not trusted: nothing is sent, the message waits.
    let report = send(
        dir.path(),
        smtp.port,
        "password",
        false,
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(report.state, State::Pending, "{report:?}");
    let error = report.last_error.unwrap_or_default();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    // A wrong password: refused by the server (535), kept to try again once corrected. The
    // message of the run before goes first (a channel sends in order) and fails so.
    let report = send(dir.path(), smtp.port, "wrong", true, Duration::from_secs(2)).await;
    assert_eq!(report.state, State::Pending, "{report:?}");
    assert_eq!(report.waiting_before, 1, "{report:?}");
    let error = report.channel_error.unwrap_or_default();
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("guess"), "{error}");
    assert_eq!(smtp.mails().len(), 1);
}
