use super::*;
use crate::notify::channel_config::{Target, UrlSource};
use crate::notify::secret::SecretSource;

/// Checks `text` as a whole `lantian.toml`'s `[notify]`.
fn check(text: &str) -> Result<NotifyConfig, NotifyConfigError> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        notify: NotifySection,
    }
    let file: File = toml::from_str(text).map_err(|e| NotifyConfigError {
        at: Located::default(),
        problem: Problem::BadValue(e.to_string()),
    })?;
    NotifyConfig::check(
        file.notify,
        Path::new("lantian.toml"),
        text,
        Path::new("/etc/lantian"),
    )
}

fn error(text: &str) -> String {
    check(text).unwrap_err().to_string()
}

const CHANNELS: &str = r#"
[notify]
link = "https://aq.example.cn/alarms/{id}"
retry = { initial_ms = 100, max_ms = 2000 }

[[notify.channel]]
name = "hook"
kind = "webhook"
url = "https://hooks.example.cn/lantian?team=duty"
bearer_file = "secrets/hook"

[[notify.channel]]
name = "duty"
kind = "dingtalk"
access_token_env = "DT_TOKEN"
secret_env = "DT_SECRET"

[[notify.channel]]
name = "wx"
kind = "wecom"
lang = "en"
key_file = "/run/secrets/wecom"

[[notify.channel]]
name = "mail"
kind = "email"
host = "smtp.example.cn"
username = "alarms@example.cn"
password_env = "SMTP_PASSWORD"
from = "蓝天告警 <alarms@example.cn>"
to = ["duty@example.cn", "Ops <ops@example.cn>"]
ca_file = "certs/ca.pem"
timeout_ms = 5000

[[notify.route]]
channels = ["duty", "mail"]
min_severity = "major"
districts = ["莞城街道"]
events = ["opened", "closed"]

[[notify.silence]]
name = "calibration"
maintenance = true
daily = "02:00-04:30"
weekdays = ["mon", "thu"]
stations = ["DG01"]
"#;

#[test]
fn every_kind_of_channel() {
    let c = check(CHANNELS).unwrap();
    assert_eq!(c.channels.len(), 4);
    assert_eq!(c.retry.initial, Duration::from_millis(100));
    match &c.channel("hook").unwrap().target {
        Target::Webhook {
            url: UrlSource::Written(u),
            bearer: Some(b),
        } => {
            assert_eq!(u.as_str(), "https://hooks.example.cn/lantian?team=duty");
            assert_eq!(
                b.source,
                SecretSource::File("/etc/lantian/secrets/hook".into())
            );
            assert_eq!(b.at.line, 10);
            assert_eq!(b.at.field, "notify.channel[0].bearer_file");
        }
        other => panic!("{other:?}"),
    }
    match &c.channel("duty").unwrap().target {
        Target::DingTalk { url, secret, .. } => {
            assert_eq!(url.as_str(), "https://oapi.dingtalk.com/robot/send");
            assert_eq!(secret.source, SecretSource::Env("DT_SECRET".into()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.channel("wx").unwrap().lang, crate::lang::Lang::En);
    match &c.channel("mail").unwrap().target {
        Target::Email(e) => {
            assert_eq!(e.port, 587);
            assert_eq!(e.to.len(), 2);
            assert_eq!(e.from.name.as_deref(), Some("蓝天告警"));
            assert_eq!(
                e.ca_file.as_deref(),
                Some(Path::new("/etc/lantian/certs/ca.pem"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.channel("mail").unwrap().timeout, Duration::from_secs(5));
    assert_eq!(c.routes[0].channels, ["duty", "mail"]);
    assert_eq!(c.routes[0].min_severity, Some(Severity::Major));
    assert_eq!(c.silences[0].name, "calibration");
    assert!(c.silences[0].maintenance);
}

#[test]
fn an_unknown_channel_in_a_route_names_line_and_field() {
    let text = CHANNELS.replace(
        r#"channels = ["duty", "mail"]"#,
        r#"channels = ["duty", "sms"]"#,
    );
    let e = error(&text);
    assert!(
        e.starts_with("lantian.toml:36: notify.route[0].channels:"),
        "{e}"
    );
    assert!(
        e.contains("no channel is named `sms` (configured: hook, duty, wx, mail)"),
        "{e}"
    );
}

#[test]
fn literal_secrets_are_refused() {
    for (line, key) in [
        ("secret = \"SECabc\"", "secret"),
        ("access_token = \"abc\"", "access_token"),
        ("token = \"abc\"", "token"),
    ] {
        let text = format!("[[notify.channel]]\nname = \"d\"\nkind = \"dingtalk\"\n{line}\n");
        let e = error(&text);
        assert!(
            e.starts_with(&format!("lantian.toml:4: notify.channel[0].{key}:")),
            "{e}"
        );
        assert!(e.contains("kept in clear"), "{e}");
    }
    let e = error(
        "[[notify.channel]]\nname = \"m\"\nkind = \"email\"\nhost = \"h\"\npassword = \"x\"\n",
    );
    assert!(
        e.contains("notify.channel[0].password: a secret written"),
        "{e}"
    );
    assert!(e.contains("`password_env"), "{e}");
}

#[test]
fn secrets_in_urls_are_refused() {
    let hook = |url: &str| {
        error(&format!(
            "[[notify.channel]]\nname = \"h\"\nkind = \"webhook\"\nurl = \"{url}\"\n"
        ))
    };
    let e = hook("https://hooks.example/x?access_token=abc");
    assert!(
        e.starts_with("lantian.toml:4: notify.channel[0].url:"),
        "{e}"
    );
    assert!(e.contains("`access_token` looks like a secret"), "{e}");
    assert!(hook("https://user:pw@hooks.example/x").contains("credentials in the URL"));
    assert!(hook("ftp://hooks.example/x").contains("not http or https"));
    assert!(hook("not a url").contains("not a URL"));
    let e = error(
        "[[notify.channel]]\nname = \"d\"\nkind = \"dingtalk\"\nurl = \"https://oapi.dingtalk.com/robot/send?access_token=abc\"\naccess_token_env = \"T\"\nsecret_env = \"S\"\n",
    );
    assert!(e.contains("give the endpoint without query"), "{e}");
}

#[test]
fn missing_and_misplaced_keys() {
    let e =
        error("[[notify.channel]]\nname = \"d\"\nkind = \"dingtalk\"\naccess_token_env = \"T\"\n");
    assert!(
        e.starts_with("lantian.toml:1: notify.channel[0].secret_env: missing"),
        "{e}"
    );
    let e = error(
        "[[notify.channel]]\nname = \"w\"\nkind = \"wecom\"\nkey_env = \"K\"\nhost = \"smtp\"\n",
    );
    assert!(
        e.starts_with("lantian.toml:5: notify.channel[0].host: not a key of a `wecom` channel"),
        "{e}"
    );
    let e = error(
        "[[notify.channel]]\nname = \"w\"\nkind = \"wecom\"\nkey_env = \"K\"\nkey_file = \"k\"\n",
    );
    assert!(e.contains("`key_env` and `key_file` both given"), "{e}");
    let e = error("[[notify.channel]]\nname = \"h\"\nkind = \"webhook\"\n");
    assert!(e.contains("notify.channel[0].url: missing `url`"), "{e}");
    let e = error(
        "[[notify.channel]]\nname = \"m\"\nkind = \"email\"\nhost = \"smtp.example\"\nfrom = \"a@b\"\nto = [\"duty at example\"]\n",
    );
    assert!(
        e.starts_with(
            "lantian.toml:6: notify.channel[0].to: not a mail address: `duty at example`"
        ),
        "{e}"
    );
    let e = error(
        "[[notify.channel]]\nname = \"m\"\nkind = \"email\"\nhost = \"smtp.example\"\nusername = \"u\"\nfrom = \"a@b\"\nto = [\"c@d\"]\n",
    );
    assert!(e.contains("notify.channel[0].password_env: missing"), "{e}");
    let e = error(
        "[[notify.channel]]\nname = \"a\"\nkind = \"wecom\"\nkey_env = \"K\"\n[[notify.channel]]\nname = \"a\"\nkind = \"wecom\"\nkey_env = \"K\"\n",
    );
    assert!(
        e.contains("notify.channel[1].name: a channel named `a` is configured twice"),
        "{e}"
    );
}

#[test]
fn silences_and_limits() {
    let e = error("[[notify.silence]]\nname = \"x\"\ndaily = \"25:00-03:00\"\n");
    assert!(
        e.starts_with("lantian.toml:3: notify.silence[0].daily:"),
        "{e}"
    );
    let e = error(
        "[[notify.silence]]\nname = \"x\"\nfrom = \"2025-06-01 09:00\"\nuntil = \"2025-06-01 08:00\"\n",
    );
    assert!(
        e.contains("notify.silence[0].until: must be after `from`"),
        "{e}"
    );
    let e = error("[[notify.silence]]\nname = \"x\"\n");
    assert!(e.contains("needs `from` and `until`"), "{e}");
    let e = error("[notify]\nper_alarm = { count = 0, minutes = 60 }\n");
    assert!(
        e.contains("line 2") && e.contains("count and the window"),
        "{e}"
    );
    let e = error("[notify]\nper_alarm = { count = 2 }\n");
    assert!(
        e.contains("line 2") && e.contains("`minutes` or as `seconds`"),
        "{e}"
    );
    let ok = check("[notify]\nper_alarm = { count = 2, seconds = 5 }\n").unwrap();
    assert_eq!(ok.per_alarm.window, Duration::from_secs(5));
    let e = error(
        "[[notify.silence]]\nname = \"x\"\ndaily = \"01:00-02:00\"\nweekdays = [\"someday\"]\n",
    );
    assert!(e.contains("notify.silence[0].weekdays"), "{e}");
    let ok = check("[[notify.silence]]\nname = \"x\"\nfrom = \"2025-06-01T09:00\"\nuntil = \"2025-06-01 18:30:00\"\n").unwrap();
    assert!(matches!(ok.silences[0].window, Window::Once { .. }));
}

#[test]
fn retry_delays_grow_with_jitter_and_cap() {
    let r = RetryPolicy {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(2),
    };
    for _ in 0..50 {
        let d1 = r.delay(1);
        assert!(
            d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
            "{d1:?}"
        );
        let d4 = r.delay(4);
        assert!(
            d4 >= Duration::from_millis(400) && d4 <= Duration::from_millis(800),
            "{d4:?}"
        );
        let d30 = r.delay(30);
        assert!(
            d30 >= Duration::from_secs(1) && d30 <= Duration::from_secs(2),
            "{d30:?}"
        );
    }
}
