use std::io::Write as _;

use super::*;

fn parse(url: &str) -> Result<InfluxConfig, ConfigError> {
    InfluxConfig::parse(url)
}

fn err(url: &str) -> String {
    parse(url).unwrap_err().to_string()
}

#[test]
fn v1_with_a_database() {
    let c = parse("influx+http://127.0.0.1:8086?db=lantian").unwrap();
    assert_eq!(c.base.as_str(), "http://127.0.0.1:8086/");
    assert_eq!(c.api, Api::V1);
    assert_eq!(c.database, "lantian");
    assert_eq!((c.bucket, c.org), (None, None));
    assert_eq!(c.token, TokenSource::Default);
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert_eq!((c.retries, c.gzip, c.batch), (4, true, 5_000));
}

#[test]
fn v2_with_org_and_bucket_over_https_and_a_path_prefix() {
    let c = parse("influx+https://influx.example/proxy/influx/?org=My%20Org&bucket=aq").unwrap();
    assert_eq!(c.base.as_str(), "https://influx.example/proxy/influx");
    assert_eq!(c.api, Api::V2);
    assert_eq!(c.org.as_deref(), Some("My Org"));
    assert_eq!(c.bucket.as_deref(), Some("aq"));
    assert_eq!(
        c.database, "aq",
        "reads use the bucket's automatic DBRP mapping"
    );
    let c = parse("influx+http://h:8428?bucket=b&api=v2&db=mapped").unwrap();
    assert_eq!(
        (c.api, c.database.as_str(), c.org),
        (Api::V2, "mapped", None)
    );
}

#[test]
fn options() {
    let c =
        parse("influx+http://h?db=d&timeout=2.5&retries=0&gzip=false&batch=100&api=v1").unwrap();
    assert_eq!(c.timeout, Duration::from_millis(2500));
    assert_eq!((c.retries, c.gzip, c.batch), (0, false, 100));
}

#[test]
fn errors_name_what_is_wrong() {
    assert!(err("influx://h?db=d").starts_with("expected `influx+http://"));
    assert!(err("influx+ftp://h?db=d").starts_with("expected"));
    assert!(err("influx+http://h").contains("missing `db"));
    assert!(err("influx+http://h?api=v2").contains("missing `bucket"));
    assert!(err("influx+http://h?org=o").contains("missing `bucket"));
    assert!(err("influx+http://h?db=d&bucket=b&api=v1").contains("belong to api=v2"));
    assert!(err("influx+http://h?db=d&api=v3").contains("`api` = `v3`"));
    assert!(err("influx+http://h?db=d&foo=1").contains("unknown parameter `foo`"));
    assert!(err("influx+http://h?db=d&db=e").contains("`db` given twice"));
    assert!(err("influx+http://h?db=").contains("`db` = ``: must not be empty"));
    assert!(err("influx+http://h?db=d&timeout=0").contains("`timeout` = `0`"));
    assert!(err("influx+http://h?db=d&timeout=x").contains("`timeout`"));
    assert!(err("influx+http://h?db=d&retries=-1").contains("`retries`"));
    assert!(err("influx+http://h?db=d&gzip=maybe").contains("`gzip`"));
    assert!(err("influx+http://h?db=d&batch=0").contains("`batch`"));
    assert!(err("influx+http://[::1?db=d").starts_with("not a valid URL"));
}

#[test]
fn secrets_in_the_url_are_refused_without_echoing_them() {
    for url in [
        "influx+http://h?db=d&token=s3cret",
        "influx+http://admin:s3cret@h?db=d",
        "influx+http://h?db=d&p=s3cret",
    ] {
        let e = err(url);
        assert!(e.contains("token_env"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }
}

#[test]
fn token_from_the_default_variable() {
    let env = |name: &str| (name == "INFLUX_TOKEN").then(|| " abc \n".to_string());
    let c = parse("influx+http://h?db=d").unwrap();
    let token = c.token_with_env(env).unwrap();
    assert_eq!(token.as_ref().map(Token::expose), Some("abc"));
    assert_eq!(format!("{token:?}"), "Some(Token(***))");
    assert_eq!(c.token_with_env(|_| None).unwrap(), None);
}

#[test]
fn token_from_a_named_variable() {
    let env = |name: &str| match name {
        "AQ_TOKEN" => Some("xyz".to_string()),
        "INFLUX_TOKEN" => Some("default".to_string()),
        _ => None,
    };
    let c = parse("influx+http://h?bucket=b&token_env=AQ_TOKEN").unwrap();
    assert_eq!(c.token_with_env(env).unwrap().unwrap().expose(), "xyz");
    let c = parse("influx+http://h?bucket=b&token_env=NOPE").unwrap();
    let e = c.token_with_env(env).unwrap_err().to_string();
    assert_eq!(
        e,
        "environment variable NOPE (token_env) is not set or empty"
    );
}

#[test]
fn token_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "  file-token  ").unwrap();
    let url = format!("influx+http://h?bucket=b&token_file={}", path.display());
    let c = parse(&url).unwrap();
    assert_eq!(c.token().unwrap().unwrap().expose(), "file-token");

    std::fs::write(&path, "\n").unwrap();
    assert!(c.token().unwrap_err().to_string().contains("is empty"));
    let missing = parse("influx+http://h?bucket=b&token_file=nope").unwrap();
    let e = missing.token().unwrap_err().to_string();
    assert!(e.starts_with("token file nope"), "{e}");
    // Relative to a configuration file's folder.
    let moved = missing.relative_to(dir.path());
    assert_eq!(moved.token, TokenSource::File(dir.path().join("nope")));
    let absolute = parse(&url).unwrap();
    assert_eq!(absolute.clone().relative_to(Path::new("/x")), absolute);
    let both = format!("{url}&token_env=X");
    assert!(err(&both).contains("not both"));
}

#[test]
fn display_is_canonical_and_parses_back() {
    for (url, shown) in [
        (
            "influx+http://127.0.0.1:8086?db=lantian",
            "influx+http://127.0.0.1:8086?db=lantian",
        ),
        (
            "influx+http://127.0.0.1:8086/?api=v1&db=lantian&timeout=30&gzip=true",
            "influx+http://127.0.0.1:8086?db=lantian",
        ),
        (
            "influx+https://h/pre/?bucket=aq&org=My%20Org&token_env=AQ&timeout=2.5&retries=0&gzip=no&batch=100",
            "influx+https://h/pre?org=My+Org&bucket=aq&token_env=AQ&timeout=2.5&retries=0&gzip=false&batch=100",
        ),
        (
            "influx+http://h:8428?bucket=b&api=v2&db=mapped&token_file=/run/t%20k",
            "influx+http://h:8428?bucket=b&db=mapped&token_file=%2Frun%2Ft+k",
        ),
        (
            "influx+http://h?db=d&timeout=0.1",
            "influx+http://h?db=d&timeout=0.1",
        ),
    ] {
        let c = parse(url).unwrap();
        assert_eq!(c.to_string(), shown, "{url}");
        assert_eq!(parse(shown).unwrap(), c, "{shown}");
    }
}

#[test]
fn destinations_ignore_tuning() {
    let a = parse("influx+http://h:8086?db=d").unwrap();
    let b = parse("influx+http://h:8086/?db=d&timeout=5&batch=10").unwrap();
    let c = parse("influx+http://h:8086?db=e").unwrap();
    assert_eq!(a.destination(), b.destination());
    assert_ne!(a.destination(), c.destination());
}

#[test]
fn handles_only_influx_urls() {
    assert!(InfluxConfig::handles("influx+http://h?db=d"));
    assert!(InfluxConfig::handles("influx+https://h?db=d"));
    assert!(!InfluxConfig::handles("sqlite:x.db"));
    assert!(!InfluxConfig::handles("http://h"));
}
