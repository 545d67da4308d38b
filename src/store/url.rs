//! The store URL ([`StoreUrl`]) and opening the store it names ([`open`]).
//!
//! | form | store |
//! |---|---|
//! | `sqlite:PATH` (also `sqlite://PATH`) | a SQLite file |
//! | `PATH` ending in `.db`, `.sqlite` or `.sqlite3` | a SQLite file |
//! | `influx+http://HOST:PORT?db=NAME` | InfluxDB 1.x database (see `influx::config`) |
//! | `influx+https://HOST?org=ORG&bucket=NAME` | InfluxDB 2.x/3.x bucket |
//!
//! A build without the `influxdb` feature parses the InfluxDB forms only to refuse them
//! ([`StoreUrlError::NoInfluxSupport`]), so the message says what is missing.
//!
//! A relative path is relative to the working directory on the command line and to the
//! configuration file's folder in a configuration file ([`StoreUrl::relative_to`]) — for
//! every form (an InfluxDB `token_file` too). Tokens come from the environment or a file,
//! never from the URL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[cfg(feature = "influxdb")]
use super::influx::config::{Api, ConfigError, InfluxConfig};
#[cfg(feature = "influxdb")]
use super::influx::{self, InfluxStore};
use super::sqlite::{PageCache, SqliteStore};
use super::{Store, StoreError};

/// Where a store is: a SQLite file or an InfluxDB database.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// An InfluxDB database or bucket (boxed: the URL's parts are many, a path is small).
    #[cfg(feature = "influxdb")]
    Influx(Box<InfluxConfig>),
}

/// What is wrong with a store URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    /// Neither a SQLite nor an InfluxDB URL.
    #[error(
        "`{0}` is not a store URL: expected `sqlite:PATH`, a file ending in .db, .sqlite or \
         .sqlite3, or `influx+http://HOST:PORT?db=NAME` (or `…?org=ORG&bucket=NAME`)"
    )]
    Unknown(String),
    /// `sqlite:` without a path.
    #[error("`{0}`: the SQLite file's path is empty")]
    EmptyPath(String),
    /// An InfluxDB URL that does not parse (the URL is not repeated: it may hold a secret).
    #[cfg(feature = "influxdb")]
    #[error("InfluxDB store URL: {0}")]
    Influx(#[from] ConfigError),
    /// An InfluxDB URL in a build without the `influxdb` feature.
    #[cfg(not(feature = "influxdb"))]
    #[error(
        "`influx…` names an InfluxDB store, and this build of lantian has no InfluxDB support \
         (build it with the `influxdb` feature, on by default)"
    )]
    NoInfluxSupport,
}

impl FromStr for StoreUrl {
    type Err = StoreUrlError;

    fn from_str(s: &str) -> Result<StoreUrl, StoreUrlError> {
        if s.starts_with("influx") {
            #[cfg(feature = "influxdb")]
            return Ok(StoreUrl::Influx(Box::new(InfluxConfig::parse(s)?)));
            #[cfg(not(feature = "influxdb"))]
            return Err(StoreUrlError::NoInfluxSupport);
        }
        let path = match s.strip_prefix("sqlite:") {
            Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
            None if [".db", ".sqlite", ".sqlite3"]
                .iter()
                .any(|e| s.ends_with(e)) =>
            {
                s
            }
            None => return Err(StoreUrlError::Unknown(s.to_string())),
        };
        if path.is_empty() {
            return Err(StoreUrlError::EmptyPath(s.to_string()));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(path)))
    }
}

/// `sqlite:PATH` or the InfluxDB URL in its canonical form: what parses back to the same
/// store URL.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            #[cfg(feature = "influxdb")]
            StoreUrl::Influx(config) => fmt::Display::fmt(config, f),
        }
    }
}

impl<'de> serde::Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StoreUrl, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl StoreUrl {
    /// The same URL with its relative paths (the SQLite file, an InfluxDB `token_file`) taken
    /// relative to `dir` — a configuration file's folder.
    pub fn relative_to(self, dir: &Path) -> StoreUrl {
        match self {
            StoreUrl::Sqlite(path) if path.is_relative() => StoreUrl::Sqlite(dir.join(path)),
            #[cfg(feature = "influxdb")]
            StoreUrl::Influx(config) => StoreUrl::Influx(Box::new(config.relative_to(dir))),
            url => url,
        }
    }

    /// The spool folder beside a SQLite file (`<file>-spool`, like SQLite's own `-wal`);
    /// `None` for other stores.
    pub fn spool_beside(&self) -> Option<PathBuf> {
        match self {
            StoreUrl::Sqlite(path) => {
                let mut dir = path.clone().into_os_string();
                dir.push("-spool");
                Some(PathBuf::from(dir))
            }
            #[cfg(feature = "influxdb")]
            StoreUrl::Influx(_) => None,
        }
    }

    /// Whether both URLs name the same store: the same file (relative paths taken from the
    /// working directory), or the same server and database whatever the tuning parameters.
    pub fn same_store(&self, other: &StoreUrl) -> bool {
        match (self, other) {
            (StoreUrl::Sqlite(a), StoreUrl::Sqlite(b)) => {
                let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.into());
                absolute(a) == absolute(b)
            }
            #[cfg(feature = "influxdb")]
            (StoreUrl::Influx(a), StoreUrl::Influx(b)) => a.destination() == b.destination(),
            #[cfg(feature = "influxdb")]
            _ => false,
        }
    }
}

/// Opens the store `url` names. An InfluxDB 1.x database is created when missing (`CREATE
/// DATABASE`, a no-op when it exists); if that fails — the server may be down, which the
/// pipeline rides out — a warning is logged and the first write reports the problem. Every
/// command and job opens its stores here, so they all open them alike.
pub fn open(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    open_with(url, PageCache::Default)
}

/// [`open`] for a bulk writer that closes the store when done (`lantian import`, `lantian
/// migrate`'s target): a SQLite store gets the large [`PageCache::Bulk`]. Long-lived handles
/// use [`open`].
pub fn open_bulk(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    open_with(url, PageCache::Bulk)
}

fn open_with(url: &StoreUrl, cache: PageCache) -> Result<Box<dyn Store>, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Box::new(SqliteStore::open_with(path, cache)?)),
        #[cfg(feature = "influxdb")]
        StoreUrl::Influx(config) => {
            influx::install_crypto_provider();
            let mut store = InfluxStore::open(config)?;
            if config.api == Api::V1
                && let Err(e) = store.create_database()
            {
                tracing::warn!("could not create the InfluxDB database: {e}");
            }
            Ok(Box::new(store))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<StoreUrl, StoreUrlError> {
        s.parse()
    }

    #[test]
    fn sqlite_forms() {
        for (text, path) in [
            ("sqlite:lantian.db", "lantian.db"),
            ("sqlite:data/x", "data/x"),
            ("sqlite://data/x.db", "data/x.db"),
            ("sqlite:///var/lib/lantian.db", "/var/lib/lantian.db"),
            ("data/x.db", "data/x.db"),
            ("/abs/x.sqlite", "/abs/x.sqlite"),
            ("x.sqlite3", "x.sqlite3"),
        ] {
            let url = parse(text).unwrap();
            assert_eq!(url, StoreUrl::Sqlite(path.into()), "{text}");
            assert_eq!(url.to_string(), format!("sqlite:{path}"));
            assert_eq!(parse(&url.to_string()).unwrap(), url, "{text} round trip");
        }
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn influx_forms() {
        let url = parse("influx+http://127.0.0.1:8086?db=lantian").unwrap();
        let StoreUrl::Influx(config) = &url else {
            panic!("{url:?}")
        };
        assert_eq!((config.api, config.database.as_str()), (Api::V1, "lantian"));
        assert_eq!(url.to_string(), "influx+http://127.0.0.1:8086?db=lantian");
        let url = parse("influx+https://h:8086?org=aq&bucket=b").unwrap();
        assert!(matches!(&url, StoreUrl::Influx(c) if c.api == Api::V2));
        assert_eq!(url.to_string(), "influx+https://h:8086?org=aq&bucket=b");
        assert_eq!(parse(&url.to_string()).unwrap(), url);
    }

    #[test]
    fn errors() {
        let e = parse("postgres://h/db").unwrap_err();
        assert!(matches!(e, StoreUrlError::Unknown(_)), "{e}");
        assert!(
            e.to_string()
                .contains("`postgres://h/db` is not a store URL")
        );
        assert!(matches!(
            parse("data/x.csv"),
            Err(StoreUrlError::Unknown(_))
        ));
        assert!(matches!(parse(""), Err(StoreUrlError::Unknown(_))));
        let e = parse("sqlite:").unwrap_err();
        assert_eq!(e, StoreUrlError::EmptyPath("sqlite:".into()));
        assert!(e.to_string().contains("path is empty"), "{e}");
        assert!(matches!(
            parse("sqlite://"),
            Err(StoreUrlError::EmptyPath(_))
        ));
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn influx_errors() {
        let e = parse("influx://h?db=d").unwrap_err();
        assert!(
            matches!(e, StoreUrlError::Influx(ConfigError::Scheme)),
            "{e}"
        );
        let e = parse("influx+http://h?db=d&token=s3cret").unwrap_err();
        assert!(e.to_string().starts_with("InfluxDB store URL: "), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(matches!(
            parse("influx+http://h"),
            Err(StoreUrlError::Influx(ConfigError::Missing(_)))
        ));
    }

    #[cfg(not(feature = "influxdb"))]
    #[test]
    fn influx_forms_without_the_feature_say_so() {
        for text in [
            "influx+http://h:8086?db=aq",
            "influx+https://h?org=o&bucket=b",
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e, StoreUrlError::NoInfluxSupport);
            let message = e.to_string();
            assert!(message.contains("no InfluxDB support"), "{message}");
            assert!(message.contains("`influxdb` feature"), "{message}");
        }
    }

    #[test]
    fn relative_paths_of_every_form() {
        let dir = Path::new("/etc/lantian");
        let rebased = |s: &str| parse(s).unwrap().relative_to(dir).to_string();
        assert_eq!(rebased("sqlite:data/x.db"), "sqlite:/etc/lantian/data/x.db");
        assert_eq!(rebased("data/x.db"), "sqlite:/etc/lantian/data/x.db");
        assert_eq!(rebased("/var/x.db"), "sqlite:/var/x.db");
        #[cfg(feature = "influxdb")]
        assert_eq!(
            rebased("influx+http://h?db=d&token_file=token"),
            "influx+http://h?db=d&token_file=%2Fetc%2Flantian%2Ftoken"
        );
        #[cfg(feature = "influxdb")]
        assert_eq!(rebased("influx+http://h?db=d"), "influx+http://h?db=d");
    }

    #[cfg(feature = "influxdb")]
    #[test]
    fn spool_folders_and_same_stores() {
        let url = parse("sqlite:data/x.db").unwrap();
        assert_eq!(url.spool_beside(), Some(PathBuf::from("data/x.db-spool")));
        let influx = parse("influx+http://h?db=d").unwrap();
        assert_eq!(influx.spool_beside(), None);
        assert!(url.same_store(&parse("data/x.db").unwrap()));
        assert!(url.same_store(&parse("sqlite:./data/x.db").unwrap()));
        let cwd = std::env::current_dir().unwrap();
        assert!(url.same_store(&StoreUrl::Sqlite(cwd.join("data/x.db"))));
        assert!(!url.same_store(&parse("data/y.db").unwrap()));
        assert!(!url.same_store(&influx));
        assert!(influx.same_store(&parse("influx+http://h/?db=d&timeout=3").unwrap()));
        assert!(!influx.same_store(&parse("influx+http://h?db=e").unwrap()));
    }

    #[test]
    fn deserialises_from_a_string() {
        #[derive(serde::Deserialize)]
        struct C {
            store: StoreUrl,
        }
        let c: C = toml::from_str("store = \"sqlite:x.db\"").unwrap();
        assert_eq!(c.store, StoreUrl::Sqlite("x.db".into()));
        let e = toml::from_str::<C>("\n\nstore = \"x.csv\"").err().unwrap();
        let e = e.to_string();
        assert!(e.contains("line 3") && e.contains("not a store URL"), "{e}");
    }

    #[test]
    fn opens_a_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("x.db"));
        let store = open(&url).unwrap();
        assert_eq!(
            store
                .count_readings(crate::store::Resolution::Hour)
                .unwrap(),
            0
        );
        let missing = StoreUrl::Sqlite(dir.path().join("nope/x.db"));
        let e = open(&missing).err().unwrap();
        assert_eq!(e.kind(), crate::store::ErrorKind::Unusable, "{e}");
    }
}
