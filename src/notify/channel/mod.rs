//! Sending one message through one channel: a JSON webhook, a DingTalk or WeCom robot, mail
//! over SMTP with STARTTLS. Every send is bounded by the channel's timeout; its error says
//! whether trying again may help ([`SendError::Transient`]) or not ([`SendError::Rejected`]).

mod dingtalk;
mod email;
mod http;

use std::time::Duration;

use super::channel_config::{ChannelSpec, Target, UrlSource};
use super::secret::SecretError;
use crate::lang::Lang;

pub use dingtalk::sign as dingtalk_sign;

/// A message rendered for one channel (see `template.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The idempotency key.
    pub key: String,
    /// The language it is written in.
    pub lang: Lang,
    /// One line: severity, rule, subject.
    pub title: String,
    /// The body, one fact per line (`标签：值`).
    pub lines: Vec<String>,
    /// The alarm's page.
    pub link: Option<String>,
    /// The facts as data, for the webhook's JSON body.
    pub data: serde_json::Value,
}

impl Outgoing {
    /// The body as Markdown (DingTalk, WeCom): a heading, then the lines as paragraphs.
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        for line in &self.lines {
            out.push_str(line);
            out.push_str("\n\n");
        }
        if let Some(link) = &self.link {
            out.push_str(&format!(
                "[{}]({link})\n",
                self.lang.pick("查看告警", "Open the alarm")
            ));
        }
        out.trim_end().to_string()
    }

    /// The body as plain text (mail).
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        if let Some(link) = &self.link {
            out.push('\n');
            out.push_str(link);
            out.push('\n');
        }
        out
    }
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Trying again may work: unreachable, timed out, throttled, a server error, a refusal
    /// that a corrected configuration cures (authentication, a robot's token or signature).
    #[error("{0}")]
    Transient(String),
    /// The receiver refused this message for good (a malformed request, a bad recipient):
    /// sending it again would be refused again.
    #[error("refused: {0}")]
    Rejected(String),
}

/// Why a channel cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// A secret cannot be read (names the configuration's key).
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A URL read from a secret is not one.
    #[error("{at}: the URL read from it does not parse: {reason}")]
    SecretUrl {
        /// The key naming the secret.
        at: super::config::Located,
        /// Why.
        reason: String,
    },
    /// The HTTP client or the SMTP transport cannot be built (TLS set-up, a CA file).
    #[error("channel `{channel}`: {reason}")]
    Setup {
        /// The channel.
        channel: String,
        /// Why.
        reason: String,
    },
}

/// A channel ready to send: its secrets read, its client built.
pub struct Sender {
    name: String,
    timeout: Duration,
    via: Via,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("name", &self.name).finish()
    }
}

enum Via {
    Http(http::HttpChannel),
    Email(email::EmailChannel),
}

impl Sender {
    /// Reads the channel's secrets and builds its client. Makes no connection.
    pub fn new(spec: &ChannelSpec) -> Result<Sender, ChannelError> {
        let via = match &spec.target {
            Target::Webhook { url, bearer } => {
                let url = match url {
                    UrlSource::Written(u) => u.clone(),
                    UrlSource::Secret(s) => {
                        let text = s.source.read(&s.at)?;
                        url::Url::parse(text.expose()).map_err(|e| ChannelError::SecretUrl {
                            at: s.at.clone(),
                            reason: e.to_string(),
                        })?
                    }
                };
                let bearer = bearer.as_ref().map(|b| b.source.read(&b.at)).transpose()?;
                Via::Http(http::HttpChannel::webhook(spec, url, bearer)?)
            }
            Target::DingTalk {
                url,
                access_token,
                secret,
            } => Via::Http(http::HttpChannel::dingtalk(
                spec,
                url.clone(),
                access_token.source.read(&access_token.at)?,
                secret.source.read(&secret.at)?,
            )?),
            Target::WeCom { url, key } => Via::Http(http::HttpChannel::wecom(
                spec,
                url.clone(),
                key.source.read(&key.at)?,
            )?),
            Target::Email(target) => Via::Email(email::EmailChannel::new(spec, target)?),
        };
        Ok(Sender {
            name: spec.name.clone(),
            timeout: spec.timeout,
            via,
        })
    }

    /// The channel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `message`, within the channel's timeout whatever the receiver does.
    pub async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let send = async {
            match &self.via {
                Via::Http(h) => h.send(message).await,
                Via::Email(e) => e.send(message).await,
            }
        };
        match tokio::time::timeout(self.timeout, send).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

/// Makes sure rustls has its process-wide crypto provider (ring) before a reqwest client is
/// built (lantian's reqwest has none built in: that one would pull in aws-lc's C build).
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed one first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
