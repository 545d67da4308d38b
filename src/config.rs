//! The main configuration file (`lantian.toml`): where the registry, the store and the
//! scenario are, and the collector settings. Relative paths are relative to the file.

use crate::jobs::config::{JobConfig, default_jobs};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::alarms::rules::config::{AlarmRules, AlarmSettings};
use crate::alarms::rules::read::{RawRule, RawSettings, read_rules, read_settings};
use crate::registry::ConfigError;

use crate::collect::hj212::Hj212Config;
use crate::collect::{CollectorConfig, SpoolConfig};
use crate::compute::IndexConfig;
#[cfg(feature = "notify")]
use crate::notify::config::{NotifyConfig, NotifyConfigError, NotifySection};
use crate::report::ReportConfig;
use crate::store::StoreUrl;
use crate::uplink::UplinkTarget;
#[cfg(feature = "web")]
use crate::web::settings::WebConfig;

/// Error reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema (the message names line, column and key).
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with the line and the offending field.
        message: String,
    },
    /// A value that reads but cannot be used (an alarm rule's impossible threshold, an
    /// option of another kind of rule), located.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// `[notify]` is wrong (the error names the file, line and key).
    #[cfg(feature = "notify")]
    #[error(transparent)]
    Notify(#[from] NotifyConfigError),
}

/// The main configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The network registry file.
    #[serde(default = "default_registry")]
    pub registry: PathBuf,
    /// The store (`store = "sqlite:PATH"`, see [`StoreUrl`]); relative paths are relative to
    /// the file.
    #[serde(default = "default_store")]
    pub store: StoreUrl,
    /// The simulator scenario used by `lantian sim` and `lantian demo`.
    #[serde(default = "default_scenario")]
    pub scenario: PathBuf,
    /// Collector settings.
    #[serde(default)]
    pub collect: CollectorConfig,
    /// AQI settings (rule set override).
    #[serde(default)]
    pub aqi: IndexConfig,
    /// The store-and-forward spool (`[spool]`).
    #[serde(default)]
    pub spool: SpoolConfig,
    /// The HJ 212 ingest server (`[hj212]`: where it listens, connection limits).
    #[serde(default)]
    pub hj212: Hj212Config,
    /// The folder of the configuration file (the current folder without one).
    #[serde(skip)]
    base: PathBuf,
    /// Reports: output folder and language.
    #[serde(default)]
    pub report: ReportConfig,
    /// Scheduled jobs (`[[job]]`); none configured means [`default_jobs`].
    #[serde(default, rename = "job")]
    pub jobs: Vec<JobConfig>,
    /// Platforms the stored data is sent to over HJ 212 (`[[uplink]]`).
    #[serde(default, rename = "uplink")]
    pub uplinks: Vec<UplinkTarget>,
    /// `[alarms]` as written.
    #[serde(default, rename = "alarms")]
    raw_alarm_settings: RawSettings,
    /// `[[alarm]]` as written.
    #[serde(default, rename = "alarm")]
    raw_alarms: Vec<Spanned<RawRule>>,
    /// How alarm rules are evaluated (`[alarms]`).
    #[serde(skip)]
    pub alarm_settings: AlarmSettings,
    /// The alarm rules (`[[alarm]]`; none configured means the defaults).
    #[serde(skip)]
    pub alarms: AlarmRules,
    /// `[notify]` as written; [`Config::load`] checks it into `notify`.
    #[cfg(feature = "notify")]
    #[serde(default, rename = "notify")]
    notify_section: NotifySection,
    /// Notifications of alarms (`[notify]`): the outbox, channels, routes, silences.
    #[cfg(feature = "notify")]
    #[serde(skip)]
    pub notify: NotifyConfig,
    /// `[notify]` in a build without notifications: refused with a clear message.
    #[cfg(not(feature = "notify"))]
    #[serde(default, rename = "notify")]
    _notify: Option<NoNotifySupport>,
    /// The web platform (`[web]`: where it listens, accounts, TLS, sessions).
    #[cfg(feature = "web")]
    #[serde(default)]
    pub web: WebConfig,
    /// `[web]` in a build without the web platform: refused with a clear message.
    #[cfg(not(feature = "web"))]
    #[serde(default, rename = "web")]
    _web: Option<NoWebSupport>,
}

/// `[web]` in a build without the `web` feature: reading it fails, naming the line, rather
/// than starting without the platform someone expects to open.
#[cfg(not(feature = "web"))]
#[derive(Debug, Clone, PartialEq)]
struct NoWebSupport;

#[cfg(not(feature = "web"))]
impl<'de> Deserialize<'de> for NoWebSupport {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "this build of lantian has no web platform (cargo feature `web`): remove [web] \
             or use a build with it",
        ))
    }
}

/// `[notify]` in a build without the `notify` feature: reading it fails, naming the line,
/// rather than ignoring channels someone expects to hear from.
#[cfg(not(feature = "notify"))]
#[derive(Debug, Clone, PartialEq)]
struct NoNotifySupport;

#[cfg(not(feature = "notify"))]
impl<'de> Deserialize<'de> for NoNotifySupport {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "this build of lantian has no notifications (cargo feature `notify`): remove \
             [notify] or use a build with it",
        ))
    }
}

fn default_registry() -> PathBuf {
    PathBuf::from("stations/dongguan.toml")
}

fn default_store() -> StoreUrl {
    StoreUrl::Sqlite(PathBuf::from("lantian.db"))
}

fn default_scenario() -> PathBuf {
    PathBuf::from("stations/scenarios/dongguan-demo.toml")
}

impl Default for Config {
    fn default() -> Self {
        Config {
            registry: default_registry(),
            store: default_store(),
            scenario: default_scenario(),
            collect: CollectorConfig::default(),
            aqi: IndexConfig::default(),
            spool: SpoolConfig::default(),
            hj212: Hj212Config::default(),
            base: PathBuf::new(),
            report: ReportConfig::default(),
            jobs: Vec::new(),
            uplinks: Vec::new(),
            raw_alarm_settings: RawSettings::default(),
            raw_alarms: Vec::new(),
            alarm_settings: AlarmSettings::default(),
            alarms: AlarmRules::default(),
            #[cfg(feature = "notify")]
            notify_section: NotifySection::default(),
            #[cfg(feature = "notify")]
            notify: NotifyConfig::default(),
            #[cfg(not(feature = "notify"))]
            _notify: None,
            #[cfg(feature = "web")]
            web: WebConfig::default(),
            #[cfg(not(feature = "web"))]
            _web: None,
        }
    }
}

impl Config {
    /// The configured jobs, or the defaults when none are configured.
    pub fn jobs(&self) -> Vec<JobConfig> {
        if self.jobs.is_empty() {
            default_jobs()
        } else {
            self.jobs.clone()
        }
    }

    /// Reads `path`, resolving relative paths against its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigFileError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.registry = base.join(&config.registry);
        config.scenario = base.join(&config.scenario);
        config.spool.dir = config.spool.dir.map(|d| base.join(d));
        config.base = base.to_path_buf();
        config.report.out_dir = base.join(&config.report.out_dir);
        for job in &mut config.jobs {
            job.resolve_paths(base);
        }
        for target in &mut config.uplinks {
            target.resolve_paths(base);
        }
        #[cfg(feature = "web")]
        config.web.resolve_paths(base);
        config.store = config.store.relative_to(base);
        config.alarm_settings = read_settings(&config.raw_alarm_settings, path, &text)?;
        config.alarms = read_rules(&config.raw_alarms, path, &text)?;
        #[cfg(feature = "notify")]
        {
            let section = std::mem::take(&mut config.notify_section);
            config.notify = NotifyConfig::check(section, path, &text, base)?;
        }
        Ok(config)
    }
}

impl Config {
    /// The spool directory: `[spool] dir` when set; otherwise beside a SQLite store
    /// (`<file>-spool`, like SQLite's own `-wal`: [`StoreUrl::spool_beside`]), or `spool` in
    /// the configuration's folder for other stores.
    pub fn spool_dir(&self) -> PathBuf {
        if let Some(dir) = &self.spool.dir {
            return dir.clone();
        }
        self.store
            .spool_beside()
            .unwrap_or_else(|| self.base.join("spool"))
    }

    /// The uplink folder: `uplink/` in the spool folder (cursors, locks and state files of
    /// the `[[uplink]]` targets).
    pub fn uplink_dir(&self) -> PathBuf {
        crate::uplink::uplink_dir(&self.spool_dir())
    }
}

impl Config {
    /// The notification outbox: `[notify] outbox` when set; otherwise beside a SQLite store
    /// (`<file>-outbox.db`), or `outbox.db` in the configuration's folder for other stores.
    #[cfg(feature = "notify")]
    pub fn outbox_path(&self) -> PathBuf {
        if let Some(path) = &self.notify.outbox {
            return path.clone();
        }
        match &self.store {
            StoreUrl::Sqlite(db) => {
                let mut name = db.clone().into_os_string();
                name.push("-outbox.db");
                PathBuf::from(name)
            }
            #[cfg(feature = "influxdb")]
            _ => self.base.join("outbox.db"),
        }
    }
}

impl Config {
    /// The web platform's accounts database: `[web] accounts` when set; otherwise beside a
    /// SQLite store (`<file>-web.db`), or `web.db` in the configuration's folder for other
    /// stores.
    #[cfg(feature = "web")]
    pub fn accounts_path(&self) -> PathBuf {
        if let Some(path) = &self.web.accounts {
            return path.clone();
        }
        match &self.store {
            StoreUrl::Sqlite(db) => {
                let mut name = db.clone().into_os_string();
                name.push("-web.db");
                PathBuf::from(name)
            }
            #[cfg(feature = "influxdb")]
            _ => self.base.join("web.db"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "store = \"sqlite:data/x.db\"\n[collect]\ntimeout_ms = 500\n[report]\nlang = \"en\"\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(
            config.collect.timeout,
            std::time::Duration::from_millis(500)
        );
        assert_eq!(config.store, StoreUrl::Sqlite(dir.path().join("data/x.db")));
        assert_eq!(config.registry, dir.path().join("stations/dongguan.toml"));
        assert_eq!(
            config.spool_dir(),
            PathBuf::from(format!("{}-spool", dir.path().join("data/x.db").display()))
        );
        assert_eq!(config.report.lang, crate::report::Lang::En);
        assert_eq!(config.report.out_dir, dir.path().join("reports/out"));
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn every_store_form_is_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        for (line, expected) in [
            (
                "store = \"data/x.db\"",
                format!("sqlite:{}", dir.path().join("data/x.db").display()),
            ),
            (
                "store = \"sqlite:/abs/x.db\"",
                "sqlite:/abs/x.db".to_string(),
            ),
            (
                "store = \"influx+http://h:8086?db=aq&token_file=secrets/token\"",
                format!(
                    "influx+http://h:8086?db=aq&token_file={}",
                    url::form_urlencoded::byte_serialize(
                        dir.path()
                            .join("secrets/token")
                            .to_string_lossy()
                            .as_bytes()
                    )
                    .collect::<String>()
                ),
            ),
        ] {
            std::fs::write(&path, line).unwrap();
            assert_eq!(Config::load(&path).unwrap().store.to_string(), expected);
        }
        std::fs::write(&path, "store = \"data/x.db\"").unwrap();
        assert_eq!(
            Config::load(&path).unwrap().spool_dir(),
            dir.path().join("data/x.db-spool")
        );
    }

    #[test]
    fn a_bad_store_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(&path, "registry = \"r.toml\"\nstore = \"postgres://db\"\n").unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("not a store URL"), "{message}");
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn spool_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "store = \"influx+http://127.0.0.1:8086?db=aq\"\n[spool]\nmax_bytes = 33554432\n",
        )
        .unwrap();
        let mut config = Config::load(&path).unwrap();
        assert_eq!(config.spool.max_bytes, 32 << 20);
        assert_eq!(config.spool_dir(), dir.path().join("spool"));
        config.spool.dir = Some("/var/spool/lantian".into());
        assert_eq!(config.spool_dir(), PathBuf::from("/var/spool/lantian"));
        std::fs::write(&path, "[spool]\ndir = \"q\"\ndrain_timeout_ms = 5\n").unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.spool_dir(), dir.path().join("q"));
        assert_eq!(
            config.spool.drain_timeout,
            std::time::Duration::from_millis(5)
        );
    }

    #[cfg(not(feature = "notify"))]
    #[test]
    fn a_build_without_notifications_refuses_the_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "[report]\nlang = \"en\"\n\n[notify]\nmax_pending = 5\n",
        )
        .unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 4"), "{message}");
        assert!(
            message.contains("no notifications (cargo feature `notify`)"),
            "{message}"
        );
    }

    #[cfg(feature = "web")]
    #[test]
    fn web_settings_resolve_beside_the_file_and_default_to_no_listener() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "store = \"data/x.db\"\n[web]\nlisten = \"127.0.0.1:8088\"\ntls_cert = \"tls/c.pem\"\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.web.listen, Some("127.0.0.1:8088".parse().unwrap()));
        assert_eq!(config.web.tls_cert, Some(dir.path().join("tls/c.pem")));
        assert_eq!(config.accounts_path(), dir.path().join("data/x.db-web.db"));
        assert!(!config.web.public_map);
        assert_eq!(Config::default().web.listen, None, "no server unless asked");
        std::fs::write(&path, "[web]\nlisten = \"127.0.0.1:1\"\npassword = \"x\"\n").unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 3"), "{message}");
    }

    #[cfg(not(feature = "web"))]
    #[test]
    fn a_build_without_the_web_platform_refuses_the_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "[report]\nlang = \"en\"\n\n[web]\npublic_map = true\n",
        )
        .unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("no web platform"), "{message}");
    }

    #[test]
    fn unknown_field_names_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(&path, "[collect]\nretries = 2\ntimeuot_ms = 5\n").unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("lantian.toml"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("timeuot_ms"), "{message}");
    }

    #[test]
    fn uplink_targets_name_the_file_and_line_and_live_in_the_spool_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "store = \"x.db\"\n[[uplink]]\nname = \"p\"\naddress = \"h:1\"\npw_file = \"pw\"\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.uplinks[0].pw_file, Some(dir.path().join("pw")));
        assert_eq!(config.uplink_dir(), dir.path().join("x.db-spool/uplink"));
        std::fs::write(
            &path,
            "[[uplink]]\nname = \"p\"\naddress = \"h:1\"\npw = \"123456\"\n",
        )
        .unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("lantian.toml"), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("pw_env"), "{message}");
    }

    #[test]
    fn hj212_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(
            &path,
            "[hj212]\nlisten = \"127.0.0.1:9212\"\nmax_connections = 5000\nidle_timeout_ms = 90000\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.hj212.listen, Some("127.0.0.1:9212".parse().unwrap()));
        assert_eq!(config.hj212.max_connections, 5000);
        assert_eq!(
            config.hj212.idle_timeout,
            std::time::Duration::from_secs(90)
        );
        assert_eq!(
            Config::default().hj212.listen,
            None,
            "no listener unless asked"
        );
        std::fs::write(&path, "[hj212]\nlisten = \"localhost\"\n").unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn poll_spread_is_a_fraction_of_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantian.toml");
        std::fs::write(&path, "[collect]\npoll_spread = 0.25\n").unwrap();
        assert_eq!(Config::load(&path).unwrap().collect.poll_spread, 0.25);
        std::fs::write(&path, "[collect]\nretries = 2\npoll_spread = 1.5\n").unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("poll_spread"), "{message}");
        assert!(message.contains("not 1.5"), "{message}");
    }
}
