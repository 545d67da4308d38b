//! The InfluxDB store URL.
//!
//! ```text
//! influx+http://127.0.0.1:8086?db=lantian                       # 1.x: /write?db=, /query
//! influx+https://influx.example:8086?org=aq&bucket=lantian      # 2.x, 3.x, 1.8+: /api/v2/write
//! influx+http://127.0.0.1:8428?bucket=lantian&api=v2            # VictoriaMetrics (no token)
//! ```
//!
//! Parameters:
//!
//! | parameter | meaning |
//! |---|---|
//! | `db` | 1.x database (writes and reads); with `api=v2`, the database name reads use (default: the bucket, as 2.x's automatic DBRP mappings and 3.x name it) |
//! | `bucket` | 2.x/3.x bucket written through `/api/v2/write` |
//! | `org` | 2.x organisation (3.x and VictoriaMetrics ignore it) |
//! | `api` | `v1` or `v2`; default `v2` when `bucket` or `org` is given, else `v1` |
//! | `token_env` | name of the environment variable holding the token (default `INFLUX_TOKEN`, used when set) |
//! | `token_file` | file holding the token (surrounding white space is ignored) |
//! | `timeout` | seconds per HTTP request (default 30) |
//! | `retries` | retries of a failed request: connection errors, timeouts, 429 and 5xx (default 4) |
//! | `gzip` | `true` (default) or `false`: compress request bodies |
//! | `batch` | points per write request (default 5,000; at most ~1 MB is sent at once anyway) |
//!
//! The token is never part of the URL (a `token` parameter or `user:password@` is refused) so
//! that the main configuration holds no secret; it is read when the store is opened
//! ([`InfluxConfig::token`]), not when the URL is parsed. A relative `token_file` in a
//! configuration file is relative to that file's folder, like every path there. With `api=v2` it is sent as
//! `Authorization: Token …`; with `api=v1` a token of the form `user:password` is sent as HTTP
//! basic authentication (every 1.x), any other as `Token …` (1.8+).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

/// The environment variable read for the token when neither `token_env` nor `token_file` is
/// given.
pub const DEFAULT_TOKEN_ENV: &str = "INFLUX_TOKEN";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: u32 = 4;
const DEFAULT_BATCH: usize = 5_000;

/// Which HTTP API writes go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InfluxDB 1.x: `POST /write?db=…`.
    V1,
    /// InfluxDB 2.x / 3.x / 1.8+ (and VictoriaMetrics): `POST /api/v2/write?org=…&bucket=…`.
    V2,
}

impl Api {
    /// `v1` or `v2`.
    pub const fn code(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }
}

/// A secret that never shows in `Debug` output or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The variable [`DEFAULT_TOKEN_ENV`], when it is set (no token otherwise).
    Default,
    /// A named environment variable (`token_env`), which must be set.
    Env(String),
    /// A file (`token_file`), which must hold the token.
    File(PathBuf),
}

/// A parsed InfluxDB store URL. Parsing reads nothing: the token is read by
/// [`InfluxConfig::token`] when the store is opened.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxConfig {
    /// Server base URL (`http://host:port/optional/prefix`), without query or trailing slash.
    pub base: Url,
    /// The write API (`v2` exactly when a bucket is given).
    pub api: Api,
    /// Database written (v1) and read through `/query?db=`.
    pub database: String,
    /// Bucket written through `/api/v2/write` (v2 only).
    pub bucket: Option<String>,
    /// Organisation (v2 only; optional).
    pub org: Option<String>,
    /// Where the token comes from.
    pub token: TokenSource,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries of a failed request.
    pub retries: u32,
    /// Compress request bodies with gzip.
    pub gzip: bool,
    /// Points per write request.
    pub batch: usize,
}

/// What is wrong with an InfluxDB store URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not an `influx+http(s)://` URL.
    #[error("expected `influx+http://HOST:PORT?db=NAME` or `influx+https://…`")]
    Scheme,
    /// The rest of the URL does not parse.
    #[error("not a valid URL: {0}")]
    Url(#[from] url::ParseError),
    /// A secret was put into the URL.
    #[error(
        "{0} in the store URL would keep a secret in clear in the configuration; \
         use `token_env=VARIABLE` or `token_file=PATH` (default: the INFLUX_TOKEN variable)"
    )]
    SecretInUrl(&'static str),
    /// A parameter lantian does not know.
    #[error(
        "unknown parameter `{0}` (known: db, bucket, org, api, token_env, token_file, timeout, retries, gzip, batch)"
    )]
    UnknownParameter(String),
    /// A parameter given twice.
    #[error("parameter `{0}` given twice")]
    Repeated(String),
    /// A parameter with a value that does not fit.
    #[error("parameter `{name}` = `{value}`: {reason}")]
    BadValue {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is expected.
        reason: &'static str,
    },
    /// A required parameter is missing.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// Parameters that do not go together.
    #[error("{0}")]
    Conflict(&'static str),
}

/// Why the token cannot be read when the store is opened.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token variable named by `token_env` is not set.
    #[error("environment variable {0} (token_env) is not set or empty")]
    Env(String),
    /// The token file cannot be read.
    #[error("token file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The token file is empty.
    #[error("token file {0} is empty")]
    EmptyFile(PathBuf),
}

impl InfluxConfig {
    /// Whether `url` names an InfluxDB store (`influx+http://` or `influx+https://`).
    pub fn handles(url: &str) -> bool {
        url.starts_with("influx+http://") || url.starts_with("influx+https://")
    }

    /// Parses a store URL (see the [module documentation](self)). Reads nothing.
    pub fn parse(url: &str) -> Result<InfluxConfig, ConfigError> {
        let rest = url.strip_prefix("influx+").ok_or(ConfigError::Scheme)?;
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            return Err(ConfigError::Scheme);
        }
        let mut base = Url::parse(rest)?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ConfigError::SecretInUrl("`user:password@`"));
        }
        let mut p = Params::default();
        for (name, value) in base.query_pairs() {
            let slot = match &*name {
                "db" => &mut p.db,
                "bucket" => &mut p.bucket,
                "org" => &mut p.org,
                "api" => &mut p.api,
                "token_env" => &mut p.token_env,
                "token_file" => &mut p.token_file,
                "timeout" => &mut p.timeout,
                "retries" => &mut p.retries,
                "gzip" => &mut p.gzip,
                "batch" => &mut p.batch,
                "token" | "password" | "p" | "u" | "username" => {
                    return Err(ConfigError::SecretInUrl("a `token` or password parameter"));
                }
                other => return Err(ConfigError::UnknownParameter(other.to_string())),
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ConfigError::Repeated(name.into_owned()));
            }
        }
        base.set_query(None);
        base.set_fragment(None);
        let trimmed = base.path().trim_end_matches('/').to_string();
        base.set_path(&trimmed);

        let api = match p.api.as_deref() {
            None if p.bucket.is_some() || p.org.is_some() => Api::V2,
            None | Some("v1" | "1") => Api::V1,
            Some("v2" | "2") => Api::V2,
            Some(other) => {
                return Err(ConfigError::BadValue {
                    name: "api",
                    value: other.to_string(),
                    reason: "expected v1 or v2",
                });
            }
        };
        let nonempty = |name: &'static str, v: Option<String>| match v {
            Some(v) if v.is_empty() => Err(ConfigError::BadValue {
                name,
                value: v,
                reason: "must not be empty",
            }),
            v => Ok(v),
        };
        let (db, bucket, org) = (
            nonempty("db", p.db)?,
            nonempty("bucket", p.bucket)?,
            nonempty("org", p.org)?,
        );
        let database = match api {
            Api::V1 => {
                if bucket.is_some() || org.is_some() {
                    return Err(ConfigError::Conflict(
                        "`bucket` and `org` belong to api=v2; api=v1 writes to `db`",
                    ));
                }
                db.ok_or(ConfigError::Missing("db (the 1.x database)"))?
            }
            Api::V2 => match (db, &bucket) {
                (Some(db), _) => db,
                (None, Some(b)) => b.clone(),
                (None, None) => return Err(ConfigError::Missing("bucket (api=v2)")),
            },
        };
        if api == Api::V2 && bucket.is_none() {
            return Err(ConfigError::Missing("bucket (api=v2)"));
        }
        let token = match (nonempty("token_env", p.token_env)?, p.token_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Conflict(
                    "give `token_env` or `token_file`, not both",
                ));
            }
            (Some(var), None) => TokenSource::Env(var),
            (None, Some(path)) if path.is_empty() => {
                return Err(ConfigError::BadValue {
                    name: "token_file",
                    value: path,
                    reason: "must not be empty",
                });
            }
            (None, Some(path)) => TokenSource::File(PathBuf::from(path)),
            (None, None) => TokenSource::Default,
        };
        let timeout = match p.timeout {
            None => DEFAULT_TIMEOUT,
            Some(v) => match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Duration::from_secs_f64(s),
                _ => {
                    return Err(ConfigError::BadValue {
                        name: "timeout",
                        value: v,
                        reason: "expected seconds, more than 0 and at most 3600",
                    });
                }
            },
        };
        let retries = match p.retries {
            None => DEFAULT_RETRIES,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 20)
                .ok_or(ConfigError::BadValue {
                    name: "retries",
                    value: v,
                    reason: "expected a whole number from 0 to 20",
                })?,
        };
        let gzip = match p.gzip.as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError::BadValue {
                    name: "gzip",
                    value: other.to_string(),
                    reason: "expected true or false",
                });
            }
        };
        let batch = match p.batch {
            None => DEFAULT_BATCH,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or(ConfigError::BadValue {
                    name: "batch",
                    value: v,
                    reason: "expected points per request, 1 to 100000",
                })?,
        };
        Ok(InfluxConfig {
            base,
            api,
            database,
            bucket,
            org,
            token,
            timeout,
            retries,
            gzip,
            batch,
        })
    }

    /// The same configuration with a relative `token_file` taken relative to `dir`.
    pub fn relative_to(mut self, dir: &Path) -> InfluxConfig {
        if let TokenSource::File(path) = &mut self.token
            && path.is_relative()
        {
            *path = dir.join(&*path);
        }
        self
    }

    /// The server and database (or bucket) written: what tells two stores apart, whatever
    /// the tuning parameters (`timeout`, `batch`…) say.
    pub fn destination(&self) -> (&str, Api, &str, Option<&str>, Option<&str>) {
        (
            self.base.as_str().trim_end_matches('/'),
            self.api,
            &self.database,
            self.bucket.as_deref(),
            self.org.as_deref(),
        )
    }

    /// Reads the token from the environment or the token file.
    pub fn token(&self) -> Result<Option<Token>, TokenError> {
        self.token_with_env(|name| std::env::var(name).ok())
    }

    /// [`InfluxConfig::token`] with the environment given by `env` (for tests).
    pub fn token_with_env(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Token>, TokenError> {
        let trimmed = |t: String| Token(t.trim().to_string());
        match &self.token {
            TokenSource::Env(var) => match env(var) {
                Some(t) if !t.trim().is_empty() => Ok(Some(trimmed(t))),
                _ => Err(TokenError::Env(var.clone())),
            },
            TokenSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| TokenError::File {
                    path: path.clone(),
                    source,
                })?;
                match text.trim() {
                    "" => Err(TokenError::EmptyFile(path.clone())),
                    t => Ok(Some(Token(t.to_string()))),
                }
            }
            TokenSource::Default => Ok(env(DEFAULT_TOKEN_ENV)
                .filter(|t| !t.trim().is_empty())
                .map(trimmed)),
        }
    }
}

/// The URL again, in a canonical form that parses back to the same configuration: the
/// parameters that differ from their defaults, in a fixed order.
impl fmt::Display for InfluxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        match &self.bucket {
            None => {
                query.append_pair("db", &self.database);
            }
            Some(bucket) => {
                if let Some(org) = &self.org {
                    query.append_pair("org", org);
                }
                query.append_pair("bucket", bucket);
                if self.database != *bucket {
                    query.append_pair("db", &self.database);
                }
            }
        }
        match &self.token {
            TokenSource::Default => {}
            TokenSource::Env(var) => {
                query.append_pair("token_env", var);
            }
            TokenSource::File(path) => {
                query.append_pair("token_file", &path.to_string_lossy());
            }
        }
        if self.timeout != DEFAULT_TIMEOUT {
            query.append_pair("timeout", &self.timeout.as_secs_f64().to_string());
        }
        if self.retries != DEFAULT_RETRIES {
            query.append_pair("retries", &self.retries.to_string());
        }
        if !self.gzip {
            query.append_pair("gzip", "false");
        }
        if self.batch != DEFAULT_BATCH {
            query.append_pair("batch", &self.batch.to_string());
        }
        let base = self.base.as_str().trim_end_matches('/');
        write!(f, "influx+{base}?{}", query.finish())
    }
}

#[derive(Default)]
struct Params {
    db: Option<String>,
    bucket: Option<String>,
    org: Option<String>,
    api: Option<String>,
    token_env: Option<String>,
    token_file: Option<String>,
    timeout: Option<String>,
    retries: Option<String>,
    gzip: Option<String>,
    batch: Option<String>,
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
