//! The channels that POST JSON: a generic webhook, DingTalk and WeCom robots.
//!
//! - **Webhook**: the message as JSON — `key` (the idempotency key), `title`, `text`,
//!   `lang`, `link`, `alarm_id`, `local_time`, `notification` (the notice: rule, subject,
//!   change, severity, evidence …), `held_back` (the rate limit's summary, or null) — the
//!   idempotency key also as the `Idempotency-Key` header (as the IETF
//!   draft *The Idempotency-Key HTTP Header Field* names it), optionally
//!   `Authorization: Bearer …`. Any 2xx is delivery; 400, 413, 415 and 422 refuse the message
//!   for good; anything else (other 4xx such as 401/403/404/429, 5xx, no answer) is tried
//!   again.
//! - **DingTalk** custom robot (`https://oapi.dingtalk.com/robot/send`): a `markdown` message;
//!   the access token and the signature (`timestamp`, `sign`; see `dingtalk.rs`) as query
//!   parameters.
//! - **WeCom** group robot (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`,
//!   developer.work.weixin.qq.com/document/path/91770): a `markdown` message, at most 4,096
//!   bytes.
//!
//! Both robots answer HTTP 200 with `{"errcode": 0, "errmsg": "ok"}` on success; any other
//! `errcode` (a wrong token or signature, a keyword or IP whitelist not met, throttling:
//! both allow 20 messages a minute) is logged and tried again, since a corrected
//! configuration cures them and the message must not be lost meanwhile. Redirects are not
//! followed (a body must not travel to another host).

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;

use super::{ChannelError, Outgoing, SendError, install_crypto_provider};
use crate::notify::channel_config::ChannelSpec;
use crate::notify::secret::Secret;

/// WeCom's limit of a markdown message's content.
const WECOM_MAX_BYTES: usize = 4096;

pub(super) struct HttpChannel {
    client: reqwest::Client,
    url: url::Url,
    kind: Kind,
}

enum Kind {
    Webhook {
        bearer: Option<Secret>,
    },
    DingTalk {
        access_token: Secret,
        secret: Secret,
    },
    WeCom {
        key: Secret,
    },
}

fn client(spec: &ChannelSpec) -> Result<reqwest::Client, ChannelError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(spec.timeout)
        .connect_timeout(spec.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("lantian/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ChannelError::Setup {
            channel: spec.name.clone(),
            reason: e.to_string(),
        })
}

impl HttpChannel {
    pub(super) fn webhook(
        spec: &ChannelSpec,
        url: url::Url,
        bearer: Option<Secret>,
    ) -> Result<HttpChannel, ChannelError> {
        Ok(HttpChannel {
            client: client(spec)?,
            url,
            kind: Kind::Webhook { bearer },
        })
    }

    pub(super) fn dingtalk(
        spec: &ChannelSpec,
        url: url::Url,
        access_token: Secret,
        secret: Secret,
    ) -> Result<HttpChannel, ChannelError> {
        Ok(HttpChannel {
            client: client(spec)?,
            url,
            kind: Kind::DingTalk {
                access_token,
                secret,
            },
        })
    }

    pub(super) fn wecom(
        spec: &ChannelSpec,
        url: url::Url,
        key: Secret,
    ) -> Result<HttpChannel, ChannelError> {
        Ok(HttpChannel {
            client: client(spec)?,
            url,
            kind: Kind::WeCom { key },
        })
    }

    pub(super) async fn send(&self, m: &Outgoing) -> Result<(), SendError> {
        let mut url = self.url.clone();
        let (body, robot) = match &self.kind {
            Kind::Webhook { .. } => {
                let mut body = json!({
                    "key": m.key,
                    "title": m.title,
                    "text": m.plain(),
                    "lang": m.lang.code(),
                    "link": m.link,
                });
                if let (Some(body), Some(data)) = (body.as_object_mut(), m.data.as_object()) {
                    body.extend(data.clone());
                }
                (body, false)
            }
            Kind::DingTalk {
                access_token,
                secret,
            } => {
                let timestamp = Utc::now().timestamp_millis();
                let sign = super::dingtalk::signature(timestamp, secret.expose());
                url.query_pairs_mut()
                    .append_pair("access_token", access_token.expose())
                    .append_pair("timestamp", &timestamp.to_string())
                    .append_pair("sign", &sign);
                (
                    json!({
                        "msgtype": "markdown",
                        "markdown": { "title": m.title, "text": m.markdown() },
                    }),
                    true,
                )
            }
            Kind::WeCom { key } => {
                url.query_pairs_mut().append_pair("key", key.expose());
                (
                    json!({
                        "msgtype": "markdown",
                        "markdown": { "content": truncate(&m.markdown(), WECOM_MAX_BYTES) },
                    }),
                    true,
                )
            }
        };
        let mut request = self
            .client
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(serde_json::to_vec(&body).expect("JSON"));
        if let Kind::Webhook { bearer } = &self.kind {
            request = request.header("Idempotency-Key", &m.key);
            if let Some(b) = bearer {
                request = request.bearer_auth(b.expose());
            }
        }
        // The URL may carry a secret: errors are reported without it.
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Transient(describe(&e.without_url())))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| SendError::Transient(describe(&e.without_url())))?;
        if !status.is_success() {
            let what = format!("HTTP {status}: {}", truncate(text.trim(), 300));
            return Err(if refuses_for_good(status) {
                SendError::Rejected(what)
            } else {
                SendError::Transient(what)
            });
        }
        if robot {
            check_robot_answer(&text)?;
        }
        Ok(())
    }
}

/// The error and its causes in one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Statuses that refuse the request itself, whatever is configured.
fn refuses_for_good(status: StatusCode) -> bool {
    matches!(status.as_u16(), 400 | 413 | 415 | 422)
}

/// A robot's answer: `errcode` 0, or the robot's error.
fn check_robot_answer(text: &str) -> Result<(), SendError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        errcode: i64,
        #[serde(default)]
        errmsg: String,
    }
    let answer: Answer = serde_json::from_str(text).map_err(|_| {
        SendError::Transient(format!(
            "the robot's answer is not its JSON: {}",
            truncate(text.trim(), 300)
        ))
    })?;
    if answer.errcode == 0 {
        Ok(())
    } else {
        Err(SendError::Transient(format!(
            "robot error {}: {}",
            answer.errcode, answer.errmsg
        )))
    }
}

/// `text` cut to at most `max` bytes at a character boundary (with `…` when cut).
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_a_character() {
        assert_eq!(truncate("abc", 3), "abc");
        let t = truncate("蓝天蓝天", 8);
        assert!(t.len() <= 8 && t.ends_with('…'), "{t}");
        assert_eq!(t, "蓝…");
    }

    #[test]
    fn robot_answers() {
        assert!(check_robot_answer(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let e = check_robot_answer(r#"{"errcode":310000,"errmsg":"sign not match"}"#).unwrap_err();
        assert_eq!(
            e,
            SendError::Transient("robot error 310000: sign not match".into())
        );
        assert!(matches!(
            check_robot_answer("<html>"),
            Err(SendError::Transient(_))
        ));
    }
}
