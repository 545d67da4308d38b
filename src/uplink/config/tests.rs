use super::*;

/// The `[[uplink]]` tables of a configuration (`Config::load` adds the file's name to the
/// message and rebases the paths: tested with the configuration).
#[derive(Debug, Deserialize)]
struct Config {
    #[serde(rename = "uplink")]
    uplinks: Vec<UplinkTarget>,
}

fn load(text: &str) -> Result<Config, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

fn load_in(dir: &Path, text: &str) -> Config {
    let mut config = load(text).unwrap();
    for t in &mut config.uplinks {
        t.resolve_paths(dir);
    }
    config
}

const EXAMPLE: &str = r#"
[[uplink]]
name = "provincial"
address = "10.1.2.3:9100"
data = [2051, 2061, 2031]
stations = ["GD01", "GD02"]
start = "2026-03-01"
pw_env = "UPLINK_TEST_PW"
timeout_ms = 1000
[uplink.station.GD01]
mn = "44190000000001"
[uplink.station.GD02]
mn = "44190000000002"
pw_file = "secrets/gd02.pw"
[uplink.codes]
a01006 = { parameter = "pres", unit = "hPa" }
O3 = { parameter = "o3" }
"#;

#[test]
fn a_target_with_its_defaults() {
    let config = load_in(Path::new("/etc/lantian"), EXAMPLE);
    let t = &config.uplinks[0];
    assert_eq!(t.name.as_str(), "provincial");
    assert_eq!(t.address.as_str(), "10.1.2.3:9100");
    assert_eq!(t.data, [Stream::Minute, Stream::Hour, Stream::Day]);
    assert_eq!(
        t.stations,
        StationChoice::Only(vec!["GD01".into(), "GD02".into()])
    );
    assert_eq!(
        t.start,
        StartPoint::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap())
    );
    assert_eq!(t.timeout(), Duration::from_secs(1));
    assert_eq!((t.retries, t.ack, t.st, t.delay_s), (3, true, 22, 120));
    // PW files are relative to the configuration.
    assert!(t.station["GD02"].pw_file.as_ref().unwrap().is_absolute());
    let map = t.code_map();
    assert_eq!(
        map.code_of(Parameter::Pressure),
        Some(("a01006", Unit::Hectopascal))
    );
    assert_eq!(
        map.code_of(Parameter::O3),
        Some(("O3", Unit::MicrogramPerCubicMetre))
    );
    assert_eq!(map.get("a05024"), None);
    assert_eq!(
        map.code_of(Parameter::Pm25),
        Some(("a34004", Unit::MicrogramPerCubicMetre))
    );
}

#[test]
fn errors_name_the_line_and_the_key() {
    let cases = [
        ("data = [2051, 2041]", "2041"),
        ("stations = \"some\"", "stations must be"),
        ("pw = \"123456\"", "never written in lantian.toml"),
        ("address = \"nowhere\"", "host:port"),
        ("start = \"yesterday\"", "start `yesterday`"),
        ("timout_ms = 5", "timout_ms"),
    ];
    for (line, expected) in cases {
        let text = format!("[[uplink]]\nname = \"p\"\n{line}\n");
        let text = if line.starts_with("address") {
            text
        } else {
            text + "address = \"127.0.0.1:9\"\n"
        };
        let message = load(&text).unwrap_err();
        assert!(message.contains("line 3"), "{line}: {message}");
        assert!(message.contains(expected), "{line}: {message}");
    }
    let message =
        load("[[uplink]]\nname = \"p\"\naddress = \"h:1\"\n[uplink.station.S1]\nmn = \"A;B\"\n")
            .unwrap_err();
    assert!(
        message.contains("line 5") && message.contains("; , = &"),
        "{message}"
    );
    let message = load(
        "[[uplink]]\nname = \"p\"\naddress = \"h:1\"\n[uplink.codes]\na21005 = { parameter = \"co\", unit = \"hPa\" }\n",
    )
    .unwrap_err();
    assert!(
        message.contains("line 5") && message.contains("hPa"),
        "{message}"
    );
    let message = load("[[uplink]]\nname = \"a b\"\naddress = \"h:1\"\n").unwrap_err();
    assert!(
        message.contains("line 2") && message.contains("`a b`"),
        "{message}"
    );
}

#[test]
fn credentials_come_from_the_environment_and_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/gd02.pw"), "654321\n").unwrap();
    std::fs::write(dir.path().join("secrets/all.pw"), "123456\n").unwrap();
    let config = load_in(dir.path(), EXAMPLE);
    let t = &config.uplinks[0];
    let known = ["GD01".to_string(), "GD02".to_string(), "GD03".to_string()];
    // The variable is not set in tests (the binary's tests set it for the child process).
    let missing = t.credentials(&known).unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("environment variable UPLINK_TEST_PW")
            && missing.to_string().contains("not set"),
        "{missing}"
    );
    let mut from_file = t.clone();
    from_file.pw_env = None;
    from_file.pw_file = Some(dir.path().join("secrets/all.pw"));
    let creds = from_file.credentials(&known).unwrap();
    assert_eq!(creds.len(), 2);
    assert_eq!(
        (creds[0].mn.as_str(), creds[0].pw.as_str()),
        ("44190000000001", "123456")
    );
    assert_eq!(creds[1].pw.as_str(), "654321");
    // A PW never appears in a debug print.
    assert!(!format!("{creds:?}").contains("123456"));
    // With "all", every station of the store needs an MN.
    let mut all = from_file.clone();
    all.stations = StationChoice::All;
    let message = all.credentials(&known).unwrap_err().to_string();
    assert!(
        message.contains("`GD03` has no MN") && message.contains("[uplink.station.GD03]"),
        "{message}"
    );
    let mut no_pw = t.clone();
    no_pw.pw_env = None;
    let message = no_pw.credentials(&known).unwrap_err().to_string();
    assert!(message.contains("no PW for station `GD01`"), "{message}");
    std::fs::write(dir.path().join("secrets/all.pw"), "12;34\n").unwrap();
    let message = from_file.credentials(&known).unwrap_err().to_string();
    assert!(
        message.contains("all.pw") && !message.contains("12;34"),
        "{message}"
    );
}
