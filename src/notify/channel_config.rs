//! `[[notify.channel]]`: one table per channel, its `kind` saying which keys it takes.
//!
//! | kind | keys |
//! |---|---|
//! | every kind | `name`, `kind`, `lang` (`zh` default, `en`), `timeout_ms` (10,000), `rate_limit = { count, minutes }` (or `seconds`; 20 per minute: DingTalk's and WeCom's own limit) |
//! | `webhook` | `url` (http(s); no credentials, no secret-like query parameter) or `url_env`/`url_file` for a URL that is itself a secret; `bearer_env`/`bearer_file` (optional: `Authorization: Bearer …`) |
//! | `dingtalk` | `access_token_env`/`_file`, `secret_env`/`_file` (the signing secret, `SEC…`); `url` (default `https://oapi.dingtalk.com/robot/send`, without query) |
//! | `wecom` | `key_env`/`_file`; `url` (default `https://qyapi.weixin.qq.com/cgi-bin/webhook/send`, without query) |
//! | `email` | `host`, `port` (587), `username` with `password_env`/`_file`, `from`, `to` (list), `ca_file` (PEM, trusted besides the system's roots) — always STARTTLS |
//!
//! A secret written as a value (`secret = "SEC…"`, `password = …`, `key = …`,
//! `access_token = …`, `bearer = …`) is refused, as is a URL carrying one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::config::{Located, Locator, NotifyConfigError, Problem, RateLimit};
use super::secret::SecretSource;
use crate::lang::Lang;

/// Default DingTalk robot endpoint.
pub const DINGTALK_URL: &str = "https://oapi.dingtalk.com/robot/send";
/// Default WeCom (企业微信) group robot endpoint.
pub const WECOM_URL: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_RATE: RateLimit = RateLimit {
    count: 20,
    window: Duration::from_secs(60),
};

/// The kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A JSON POST to any URL.
    Webhook,
    /// A DingTalk (钉钉) custom robot with a signing secret.
    #[serde(rename = "dingtalk")]
    DingTalk,
    /// A WeCom (企业微信) group robot.
    #[serde(rename = "wecom")]
    WeCom,
    /// Mail over SMTP with STARTTLS.
    Email,
}

impl ChannelKind {
    /// The name used in the configuration.
    pub const fn code(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::DingTalk => "dingtalk",
            ChannelKind::WeCom => "wecom",
            ChannelKind::Email => "email",
        }
    }
}

type Opt<T> = Option<Spanned<T>>;

/// One `[[notify.channel]]` table as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSection {
    name: Spanned<String>,
    kind: Spanned<ChannelKind>,
    lang: Option<Lang>,
    timeout_ms: Opt<u64>,
    rate_limit: Option<RateLimit>,
    url: Opt<String>,
    url_env: Opt<String>,
    url_file: Opt<PathBuf>,
    bearer_env: Opt<String>,
    bearer_file: Opt<PathBuf>,
    access_token_env: Opt<String>,
    access_token_file: Opt<PathBuf>,
    secret_env: Opt<String>,
    secret_file: Opt<PathBuf>,
    key_env: Opt<String>,
    key_file: Opt<PathBuf>,
    host: Opt<String>,
    port: Opt<u16>,
    username: Opt<String>,
    password_env: Opt<String>,
    password_file: Opt<PathBuf>,
    from: Opt<String>,
    to: Opt<Vec<Spanned<String>>>,
    ca_file: Opt<PathBuf>,
    // Refused: secrets written as values.
    secret: Opt<toml::Value>,
    password: Opt<toml::Value>,
    key: Opt<toml::Value>,
    access_token: Opt<toml::Value>,
    bearer: Opt<toml::Value>,
    token: Opt<toml::Value>,
}

/// A secret's source and where the configuration names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// The variable or file.
    pub source: SecretSource,
    /// Its key in the configuration.
    pub at: Located,
}

/// A checked channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSpec {
    /// Its name (routes and `lantian alarms test-notify` use it).
    pub name: String,
    /// The language of its messages.
    pub lang: Lang,
    /// Time allowed for one send (connect, request, answer).
    pub timeout: Duration,
    /// Messages per window; more wait for the next window.
    pub rate_limit: RateLimit,
    /// Where and how it sends.
    pub target: Target,
    /// The channel's table in the configuration.
    pub at: Located,
}

/// Where a channel sends, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A JSON POST.
    Webhook {
        /// The URL: written, or a secret.
        url: UrlSource,
        /// A bearer token sent as `Authorization`.
        bearer: Option<SecretRef>,
    },
    /// A DingTalk robot.
    DingTalk {
        /// The endpoint, without the access token.
        url: url::Url,
        /// The robot's access token (a query parameter of the request).
        access_token: SecretRef,
        /// The signing secret.
        secret: SecretRef,
    },
    /// A WeCom group robot.
    WeCom {
        /// The endpoint, without the key.
        url: url::Url,
        /// The robot's key (a query parameter of the request).
        key: SecretRef,
    },
    /// Mail.
    Email(EmailTarget),
}

/// A webhook's URL.
#[derive(Debug, Clone, PartialEq)]
pub enum UrlSource {
    /// Written in the configuration (checked to carry no secret).
    Written(url::Url),
    /// Itself a secret (a URL with a token in its path or query).
    Secret(SecretRef),
}

/// An SMTP relay and the message's addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailTarget {
    /// The relay's host name (also the name its certificate must have).
    pub host: String,
    /// Its submission port (587).
    pub port: u16,
    /// The login, with its password.
    pub login: Option<(String, SecretRef)>,
    /// The sender.
    pub from: lettre::message::Mailbox,
    /// The recipients.
    pub to: Vec<lettre::message::Mailbox>,
    /// A PEM file of certificate authorities trusted besides the system's.
    pub ca_file: Option<PathBuf>,
}

/// Query parameter names that carry credentials.
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "token",
    "key",
    "secret",
    "sign",
    "signature",
    "password",
    "pass",
    "pwd",
    "apikey",
    "api_key",
    "auth",
    "code",
];

struct Checker<'a, 'l> {
    loc: &'a Locator<'l>,
    index: usize,
    kind: ChannelKind,
    base: &'a Path,
}

impl Checker<'_, '_> {
    fn field(&self, key: &str) -> String {
        format!("notify.channel[{}].{key}", self.index)
    }

    fn error<T>(&self, v: &Spanned<T>, key: &str, problem: Problem) -> NotifyConfigError {
        self.loc.error(v.span(), self.field(key), problem)
    }

    /// The source of secret `key` from `key_env` / `key_file`; `None` when neither is given.
    fn secret(
        &self,
        key: &'static str,
        env: &Opt<String>,
        file: &Opt<PathBuf>,
    ) -> Result<Option<SecretRef>, NotifyConfigError> {
        match (env, file) {
            (Some(_), Some(f)) => {
                Err(self.error(f, &format!("{key}_file"), Problem::TwoSources { key }))
            }
            (Some(e), None) => {
                if e.get_ref().trim().is_empty() {
                    return Err(self.error(
                        e,
                        &format!("{key}_env"),
                        Problem::BadValue("names no variable".into()),
                    ));
                }
                Ok(Some(SecretRef {
                    source: SecretSource::Env(e.get_ref().clone()),
                    at: self.loc.at(e.span(), self.field(&format!("{key}_env"))),
                }))
            }
            (None, Some(f)) => Ok(Some(SecretRef {
                source: SecretSource::File(self.base.join(f.get_ref())),
                at: self.loc.at(f.span(), self.field(&format!("{key}_file"))),
            })),
            (None, None) => Ok(None),
        }
    }

    fn required_secret(
        &self,
        table: &std::ops::Range<usize>,
        key: &'static str,
        env: &Opt<String>,
        file: &Opt<PathBuf>,
    ) -> Result<SecretRef, NotifyConfigError> {
        self.secret(key, env, file)?.ok_or_else(|| {
            self.loc.error(
                table.clone(),
                self.field(&format!("{key}_env")),
                Problem::MissingSecret { key },
            )
        })
    }

    /// A written URL: http(s), no `user:password@`, no credential-like query parameter and,
    /// when `bare`, no query at all (the secret is added by the channel).
    fn url(
        &self,
        v: &Spanned<String>,
        key: &str,
        bare: bool,
    ) -> Result<url::Url, NotifyConfigError> {
        let bad = |why: String| self.error(v, key, Problem::BadUrl(why));
        let url =
            url::Url::parse(v.get_ref().trim()).map_err(|e| bad(format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!("`{}:` is not http or https", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials in the URL would be kept in clear in the configuration; use `url_env` or `url_file`".into(),
            ));
        }
        if bare && url.query().is_some() {
            return Err(bad(format!(
                "give the endpoint without query: the {} channel adds its token from `*_env` or `*_file`",
                self.kind.code()
            )));
        }
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(n, _)| SECRET_PARAMETERS.contains(&n.to_ascii_lowercase().as_str()))
        {
            return Err(bad(format!(
                "the query parameter `{name}` looks like a secret, which would be kept in clear in the configuration; put the whole URL in `url_env` or `url_file`"
            )));
        }
        Ok(url)
    }

    fn mailbox(
        &self,
        v: &Spanned<String>,
        key: &str,
    ) -> Result<lettre::message::Mailbox, NotifyConfigError> {
        v.get_ref()
            .trim()
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                self.error(
                    v,
                    key,
                    Problem::BadAddress {
                        value: v.get_ref().clone(),
                        reason: e.to_string(),
                    },
                )
            })
    }
}

impl ChannelSpec {
    /// Checks the `index`-th channel table.
    pub(super) fn check(
        table: Spanned<ChannelSection>,
        index: usize,
        loc: &Locator<'_>,
        base: &Path,
    ) -> Result<ChannelSpec, NotifyConfigError> {
        let span = table.span();
        let c = table.into_inner();
        let ck = Checker {
            loc,
            index,
            kind: *c.kind.get_ref(),
            base,
        };
        for (v, written, key) in [
            (&c.secret, "secret", "secret"),
            (&c.password, "password", "password"),
            (&c.key, "key", "key"),
            (&c.access_token, "access_token", "access_token"),
            (&c.bearer, "bearer", "bearer"),
            (&c.token, "token", "bearer"),
        ] {
            if let Some(v) = v {
                return Err(ck.error(v, written, Problem::LiteralSecret { key }));
            }
        }
        let name = c.name.get_ref().trim().to_string();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(ck.error(
                &c.name,
                "name",
                Problem::BadValue("a channel name is one word".into()),
            ));
        }
        let timeout = match &c.timeout_ms {
            Some(t) if *t.get_ref() == 0 => {
                return Err(ck.error(
                    t,
                    "timeout_ms",
                    Problem::BadValue("must be at least 1".into()),
                ));
            }
            Some(t) => Duration::from_millis(*t.get_ref()),
            None => DEFAULT_TIMEOUT,
        };
        let rate_limit = c.rate_limit.unwrap_or(DEFAULT_RATE);
        check_keys_of_kind(&ck, &c)?;
        let target = match ck.kind {
            ChannelKind::Webhook => webhook(&ck, &c, &span)?,
            ChannelKind::DingTalk => dingtalk(&ck, &c, &span)?,
            ChannelKind::WeCom => wecom(&ck, &c, &span)?,
            ChannelKind::Email => Target::Email(email(&ck, &c, &span)?),
        };
        Ok(ChannelSpec {
            name,
            lang: c.lang.unwrap_or_default(),
            timeout,
            rate_limit,
            target,
            at: loc.at(span, format!("notify.channel[{index}]")),
        })
    }

    /// The kind of channel.
    pub fn kind(&self) -> ChannelKind {
        match self.target {
            Target::Webhook { .. } => ChannelKind::Webhook,
            Target::DingTalk { .. } => ChannelKind::DingTalk,
            Target::WeCom { .. } => ChannelKind::WeCom,
            Target::Email(_) => ChannelKind::Email,
        }
    }
}

/// The span of a key, when written.
fn at<T>(v: &Opt<T>) -> Option<std::ops::Range<usize>> {
    v.as_ref().map(Spanned::span)
}

/// Refuses a key that the channel's kind does not take.
fn check_keys_of_kind(ck: &Checker<'_, '_>, c: &ChannelSection) -> Result<(), NotifyConfigError> {
    use ChannelKind::{DingTalk, Email, WeCom, Webhook};
    // A key, where it is written (if it is), and the kinds that take it.
    type KeyUse = (
        &'static str,
        Option<std::ops::Range<usize>>,
        &'static [ChannelKind],
    );
    let keys: [KeyUse; 19] = [
        ("url", at(&c.url), &[Webhook, DingTalk, WeCom]),
        ("url_env", at(&c.url_env), &[Webhook]),
        ("url_file", at(&c.url_file), &[Webhook]),
        ("bearer_env", at(&c.bearer_env), &[Webhook]),
        ("bearer_file", at(&c.bearer_file), &[Webhook]),
        ("access_token_env", at(&c.access_token_env), &[DingTalk]),
        ("access_token_file", at(&c.access_token_file), &[DingTalk]),
        ("secret_env", at(&c.secret_env), &[DingTalk]),
        ("secret_file", at(&c.secret_file), &[DingTalk]),
        ("key_env", at(&c.key_env), &[WeCom]),
        ("key_file", at(&c.key_file), &[WeCom]),
        ("host", at(&c.host), &[Email]),
        ("port", at(&c.port), &[Email]),
        ("username", at(&c.username), &[Email]),
        ("password_env", at(&c.password_env), &[Email]),
        ("password_file", at(&c.password_file), &[Email]),
        ("from", at(&c.from), &[Email]),
        ("to", at(&c.to), &[Email]),
        ("ca_file", at(&c.ca_file), &[Email]),
    ];
    for (key, span, kinds) in keys {
        if let Some(span) = span
            && !kinds.contains(&ck.kind)
        {
            return Err(ck.loc.error(
                span,
                ck.field(key),
                Problem::NotForKind {
                    kind: ck.kind.code(),
                },
            ));
        }
    }
    Ok(())
}

fn webhook(
    ck: &Checker<'_, '_>,
    c: &ChannelSection,
    span: &std::ops::Range<usize>,
) -> Result<Target, NotifyConfigError> {
    let secret_url = ck.secret("url", &c.url_env, &c.url_file)?;
    let url = match (&c.url, secret_url) {
        (Some(u), None) => UrlSource::Written(ck.url(u, "url", false)?),
        (None, Some(s)) => UrlSource::Secret(s),
        (Some(u), Some(_)) => {
            return Err(ck.error(
                u,
                "url",
                Problem::BadValue("give `url` or `url_env`/`url_file`, not both".into()),
            ));
        }
        (None, None) => {
            return Err(ck
                .loc
                .error(span.clone(), ck.field("url"), Problem::Missing("url")));
        }
    };
    Ok(Target::Webhook {
        url,
        bearer: ck.secret("bearer", &c.bearer_env, &c.bearer_file)?,
    })
}

fn robot_url(
    ck: &Checker<'_, '_>,
    c: &ChannelSection,
    default: &str,
) -> Result<url::Url, NotifyConfigError> {
    match &c.url {
        Some(u) => ck.url(u, "url", true),
        None => Ok(url::Url::parse(default).expect("a valid default")),
    }
}

fn dingtalk(
    ck: &Checker<'_, '_>,
    c: &ChannelSection,
    span: &std::ops::Range<usize>,
) -> Result<Target, NotifyConfigError> {
    Ok(Target::DingTalk {
        url: robot_url(ck, c, DINGTALK_URL)?,
        access_token: ck.required_secret(
            span,
            "access_token",
            &c.access_token_env,
            &c.access_token_file,
        )?,
        secret: ck.required_secret(span, "secret", &c.secret_env, &c.secret_file)?,
    })
}

fn wecom(
    ck: &Checker<'_, '_>,
    c: &ChannelSection,
    span: &std::ops::Range<usize>,
) -> Result<Target, NotifyConfigError> {
    Ok(Target::WeCom {
        url: robot_url(ck, c, WECOM_URL)?,
        key: ck.required_secret(span, "key", &c.key_env, &c.key_file)?,
    })
}

fn email(
    ck: &Checker<'_, '_>,
    c: &ChannelSection,
    span: &std::ops::Range<usize>,
) -> Result<EmailTarget, NotifyConfigError> {
    let missing = |key: &'static str| {
        ck.loc
            .error(span.clone(), ck.field(key), Problem::Missing(key))
    };
    let host = c.host.as_ref().ok_or_else(|| missing("host"))?;
    if host.get_ref().trim().is_empty() || host.get_ref().contains(['/', ':', ' ']) {
        return Err(ck.error(
            host,
            "host",
            Problem::BadValue("expected a host name (the port is `port`)".into()),
        ));
    }
    let password = ck.secret("password", &c.password_env, &c.password_file)?;
    let login = match (&c.username, password) {
        (Some(u), Some(p)) => Some((u.get_ref().clone(), p)),
        (None, None) => None,
        (Some(u), None) => {
            return Err(ck.error(
                u,
                "password_env",
                Problem::MissingSecret { key: "password" },
            ));
        }
        (None, Some(p)) => {
            return Err(NotifyConfigError {
                at: p.at,
                problem: Problem::Missing("username"),
            });
        }
    };
    let from = ck.mailbox(c.from.as_ref().ok_or_else(|| missing("from"))?, "from")?;
    let to_list = c.to.as_ref().ok_or_else(|| missing("to"))?;
    if to_list.get_ref().is_empty() {
        return Err(ck.error(
            to_list,
            "to",
            Problem::BadValue("lists no recipient".into()),
        ));
    }
    let to = to_list
        .get_ref()
        .iter()
        .map(|t| ck.mailbox(t, "to"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EmailTarget {
        host: host.get_ref().trim().to_string(),
        port: c.port.as_ref().map_or(587, |p| *p.get_ref()),
        login,
        from,
        to,
        ca_file: c.ca_file.as_ref().map(|f| ck.base.join(f.get_ref())),
    })
}
