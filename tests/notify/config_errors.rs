//! Bad `[notify]` configurations: each error names the file, the line and the key.

use std::time::Duration;

use lantian::config::Config;
use lantian::notify::NotifyError;

use crate::harness::send_test;

fn load(dir: &std::path::Path, toml: &str) -> Result<Config, String> {
    let path = dir.join("lantian.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load(&path).map_err(|e| e.to_string())
}

#[test]
fn errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lantian.toml").display().to_string();
    let route = "[[notify.channel]]\nname = \"duty\"\nkind = \"wecom\"\nkey_env = \"K\"\n\n[[notify.route]]\nmin_severity = \"major\"\nchannels = [\"duty\", \"sms\"]\n";
    let e = load(dir.path(), route).unwrap_err();
    assert_eq!(
        e,
        format!("{file}:8: notify.route[0].channels: no channel is named `sms` (configured: duty)")
    );
    let literal = "store = \"x.db\"\n\n[[notify.channel]]\nname = \"duty\"\nkind = \"dingtalk\"\naccess_token_env = \"T\"\nsecret = \"SEC123\"\n";
    let e = load(dir.path(), literal).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{file}:7: notify.channel[0].secret: a secret written into the configuration"
        )),
        "{e}"
    );
    assert!(!e.contains("SEC123"), "the secret is not repeated: {e}");
    let address = "[[notify.channel]]\nname = \"mail\"\nkind = \"email\"\nhost = \"smtp.example.cn\"\nfrom = \"alarms@example.cn\"\nto = [\"duty@example.cn\",\n  \"ops-at-example.cn\"]\n";
    let e = load(dir.path(), address).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{file}:7: notify.channel[0].to: not a mail address: `ops-at-example.cn`"
        )),
        "{e}"
    );
    let unknown = "[notify]\nmax_pendng = 5\n";
    let e = load(dir.path(), unknown).unwrap_err();
    assert!(e.contains("line 2") && e.contains("max_pendng"), "{e}");
}

#[tokio::test]
async fn a_missing_secret_names_its_key_when_the_channel_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lantian.toml").display().to_string();
    let config = load(
        dir.path(),
        "[[notify.channel]]\nname = \"duty\"\nkind = \"dingtalk\"\naccess_token_env = \"LANTIAN_TEST_NO_SUCH_TOKEN\"\nsecret_file = \"missing-secret\"\n",
    )
    .unwrap();
    let e = send_test(&config, "duty", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(e, NotifyError::Channel(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{file}:4: notify.channel[0].access_token_env: environment variable LANTIAN_TEST_NO_SUCH_TOKEN is not set or empty"
        )
    );
    let e = send_test(&config, "sms", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no notification channel is named `sms` (configured: duty)"
    );
}
