//! DingTalk and WeCom robots: DingTalk's signature against a test vector, and messages to
//! robots played by `tests/peers/http_receiver.py`, which checks the token, key and signature
//! itself (in Python, from DingTalk's documentation).

use std::process::Command;
use std::time::Duration;

use lantian::notify::State;
use lantian::notify::channel::dingtalk_sign;

use crate::common::peers;
use crate::harness::{Receiver, config, send_test};

/// DingTalk's documentation ("自定义机器人安全设置", open.dingtalk.com/document/robots/
/// customize-robot-security-settings) gives the algorithm and sample code, but no worked
/// example with a fixed timestamp. These vectors were computed by the page's Python sample
/// with the timestamp fixed; the second (whose Base64 holds `+`, `/` and `=`, so that the URL
/// encoding shows) is also the vector of the independent `dingding` crate's own test.
const VECTORS: [(i64, &str, &str); 2] = [
    (
        1_717_200_000_000,
        "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
        "5jLdNVeK7XcDL5lrG2xdMicQfcMsmVMRYKiRc6ywUWo%3D",
    ),
    (
        1_700_000_000_000,
        "secret",
        "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D",
    ),
];

/// The documentation's Python sample, with the timestamp and secret as arguments.
const DOCUMENTED_SAMPLE: &str = r#"
import sys, hmac, hashlib, base64, urllib.parse
timestamp = sys.argv[1]
secret = sys.argv[2]
secret_enc = secret.encode('utf-8')
string_to_sign = '{}\n{}'.format(timestamp, secret)
string_to_sign_enc = string_to_sign.encode('utf-8')
hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))
print(sign)
"#;

#[test]
fn dingtalk_signature_matches_the_documented_algorithm() {
    for (timestamp, secret, sign) in VECTORS {
        assert_eq!(dingtalk_sign(timestamp, secret), sign);
    }
    if !peers::python3() {
        return;
    }
    // And a few more, computed now by the documented sample.
    for (timestamp, secret) in [
        (1_600_000_000_123, "SECabc"),
        (1_780_000_000_999, "SEC蓝天/+="),
    ] {
        let out = Command::new("python3")
            .args(["-c", DOCUMENTED_SAMPLE, &timestamp.to_string(), secret])
            .output()
            .unwrap();
        assert!(out.status.success());
        let expected = String::from_utf8(out.stdout).unwrap();
        assert_eq!(dingtalk_sign(timestamp, secret), expected.trim());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_messages_reach_the_dingtalk_robot() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("robot.jsonl");
    let token = "0123abcd-token";
    let secret = "SECf00dfeedbeef/+=";
    let Some(robot) = Receiver::start(
        &record,
        0,
        &["--mode", "dingtalk", "--token", token, "--secret", secret],
    ) else {
        return;
    };
    std::fs::write(dir.path().join("token"), format!("{token}\n")).unwrap();
    std::fs::write(dir.path().join("secret"), secret).unwrap();
    std::fs::write(dir.path().join("wrong"), "SECwrong").unwrap();
    let channels = |secret_file: &str| {
        format!(
            r#"[notify]
retry = {{ initial_ms = 100, max_ms = 200 }}

[[notify.channel]]
name = "duty"
kind = "dingtalk"
url = "{}"
access_token_file = "token"
secret_file = "{secret_file}"
"#,
            robot.url("robot/send")
        )
    };
    let signed = config(dir.path(), &channels("secret"));
    let report = send_test(&signed, "duty", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.state, State::Delivered, "{report:?}");
    assert!(report.delivered_here);
    let requests = robot.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r["sign_ok"], true, "{r}");
    assert_eq!(r["errcode"], 0);
    assert_eq!(r["query"]["access_token"], token);
    assert_eq!(r["body"]["msgtype"], "markdown");
    assert_eq!(
        r["body"]["markdown"]["title"],
        "【测试】lantian 通知通道 duty"
    );
    assert!(
        r["body"]["markdown"]["text"]
            .as_str()
            .unwrap()
            .starts_with("### 【测试】")
    );

    // A wrong secret: the robot refuses the signature; the message waits, with the reason.
    let wrong = config(dir.path(), &channels("wrong"));
    let report = send_test(&wrong, "duty", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(report.state, State::Pending, "{report:?}");
    assert!(report.attempts >= 1);
    let error = report.last_error.unwrap();
    assert!(
        error.contains("robot error 310000: sign not match"),
        "{error}"
    );
    assert!(
        !error.contains("SECwrong"),
        "no secret in messages: {error}"
    );
    assert!(
        robot
            .requests()
            .iter()
            .skip(1)
            .all(|r| r["sign_ok"] == false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_the_wecom_robot_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let Some(robot) = Receiver::start(
        &dir.path().join("robot.jsonl"),
        0,
        &["--mode", "wecom", "--key", "693a91f6-7xxx"],
    ) else {
        return;
    };
    std::fs::write(dir.path().join("wecom-key"), "693a91f6-7xxx").unwrap();
    let config = config(
        dir.path(),
        &format!(
            "[[notify.channel]]\nname = \"wx\"\nkind = \"wecom\"\nlang = \"en\"\nurl = \"{}\"\nkey_file = \"wecom-key\"\n",
            robot.url("cgi-bin/webhook/send")
        ),
    );
    let report = send_test(&config, "wx", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.state, State::Delivered, "{report:?}");
    let r = &robot.requests()[0];
    assert_eq!(r["errcode"], 0);
    assert_eq!(r["path"], "/cgi-bin/webhook/send");
    let content = r["body"]["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("### [TEST] lantian notification channel wx"),
        "{content}"
    );
}
