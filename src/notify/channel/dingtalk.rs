//! The signature of DingTalk's custom robots (加签), as DingTalk documents it in
//! "Custom robot security settings" (自定义机器人安全设置,
//! <https://open.dingtalk.com/document/robots/customize-robot-security-settings>; in English
//! <https://help.dingtalk.io/open/dingstart/customize-robot-security-settings>):
//!
//! 1. the string to sign is `timestamp + "\n" + secret`, `timestamp` the current time in
//!    milliseconds (within an hour of DingTalk's clock) and `secret` the robot's `SEC…` key;
//! 2. HMAC-SHA256 of it, keyed with the secret, UTF-8 throughout;
//! 3. Base64 of the MAC, then URL-encoded: that is `sign`;
//! 4. `timestamp` and `sign` are added to the robot's URL as query parameters beside
//!    `access_token`.
//!
//! The page gives sample code (Java, Python) but no worked example with a fixed timestamp:
//! the test vector in `tests/notify/dingtalk.rs` is computed by the page's Python sample run
//! by `python3` with a fixed timestamp, and compared with [`sign`].

use base64::Engine;
use hmac::{KeyInit, Mac};

/// Base64 of HMAC-SHA256(`secret`, `timestamp\nsecret`) (step 3 before URL-encoding).
pub(super) fn signature(timestamp_ms: i64, secret: &str) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `sign` query parameter for a request made at `timestamp_ms` (steps 1–3: Base64, then
/// URL-encoded as a form value, as the documentation's `URLEncoder.encode` and
/// `urllib.parse.quote_plus` do).
pub fn sign(timestamp_ms: i64, secret: &str) -> String {
    url::form_urlencoded::byte_serialize(signature(timestamp_ms, secret).as_bytes()).collect()
}
