//! HTTP to the server: writes (gzip, retries with capped back-off) and InfluxQL queries.
//!
//! The client is reqwest's *blocking* one, as the store traits are synchronous. reqwest's blocking client must not wait on a thread that drives a tokio
//! runtime, so when a call comes from inside a runtime (e.g. a command's `async fn` calling
//! the store directly) the request is made on a short-lived helper thread; on plain threads
//! and tokio's blocking pool (where the collectors' sink calls the store) it runs in place.

use std::io::{BufReader, Write as _};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::StatusCode;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};

use super::InfluxError;
use super::config::{Api, InfluxConfig, Token};
use super::line_protocol::Precision;
use super::query::{Document, Series};

/// First back-off after a failed attempt; doubled after each, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Largest request body (before compression) the store builds; a batch is split there even
/// when it has fewer points than the configured `batch`.
pub const MAX_BODY: usize = 1 << 20;

/// The HTTP side of an InfluxDB store.
pub struct Client {
    http: Http,
    write_url: String,
    query_url: String,
    database: String,
    auth: Option<HeaderValue>,
    gzip: bool,
    retries: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("write_url", &self.write_url)
            .field("query_url", &self.query_url)
            .finish_non_exhaustive()
    }
}

/// Makes sure rustls has its process-wide crypto provider (ring), which reqwest needs before
/// it builds a client (lantian's reqwest has no built-in provider: that one would pull in
/// aws-lc's C build). Called by [`Client::new`]; call it before building other reqwest
/// clients in the same process.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed one first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Runs `f` where reqwest's blocking client may wait: in place, or on a helper thread when
/// the current thread is inside a tokio runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(f)
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        })
    } else {
        f()
    }
}

impl Client {
    /// A client for the server of `config`, sending `token`. Makes no request.
    pub fn new(
        config: &InfluxConfig,
        token: Option<&Token>,
        precision: Precision,
    ) -> Result<Client, InfluxError> {
        install_crypto_provider();
        let base = config.base.as_str().trim_end_matches('/');
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let write_url = match config.api {
            Api::V1 => format!(
                "{base}/write?db={}&precision={}",
                enc(&config.database),
                precision.code()
            ),
            Api::V2 => {
                let mut u = format!(
                    "{base}/api/v2/write?bucket={}&precision={}",
                    enc(config.bucket.as_deref().unwrap_or_default()),
                    precision.code()
                );
                if let Some(org) = &config.org {
                    u.push_str("&org=");
                    u.push_str(&enc(org));
                }
                u
            }
        };
        let auth = match token {
            None => None,
            Some(t) => {
                let secret = t.expose();
                let value = match (config.api, secret.split_once(':')) {
                    (Api::V1, Some((user, password))) => {
                        format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
                    }
                    _ => format!("Token {secret}"),
                };
                let mut v = HeaderValue::from_str(&value).map_err(|_| InfluxError::BadToken)?;
                v.set_sensitive(true);
                Some(v)
            }
        };
        let config_timeout = config.timeout;
        let http = off_runtime(move || {
            Http::builder()
                .timeout(config_timeout)
                .connect_timeout(config_timeout.min(Duration::from_secs(10)))
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
        })
        .map_err(InfluxError::Client)?;
        Ok(Client {
            http,
            write_url,
            query_url: format!("{base}/query"),
            database: config.database.clone(),
            auth,
            gzip: config.gzip,
            retries: config.retries,
        })
    }

    /// The write endpoint (no secret in it).
    pub fn write_url(&self) -> &str {
        &self.write_url
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Some(v) => request.header(AUTHORIZATION, v.clone()),
            None => request,
        }
    }

    /// Sends one body of lines, retrying connection errors, timeouts, 429 and 5xx with capped
    /// exponential back-off. A 4xx other than 429 fails at once with the server's message.
    pub fn write(&self, lines: &str) -> Result<(), InfluxError> {
        let body: Vec<u8> = if self.gzip {
            let mut gz = GzEncoder::new(
                Vec::with_capacity(lines.len() / 4 + 64),
                Compression::fast(),
            );
            gz.write_all(lines.as_bytes())
                .and_then(|()| gz.finish())
                .map_err(|e| InfluxError::Compress(e.to_string()))?
        } else {
            lines.as_bytes().to_vec()
        };
        self.with_retries(&self.write_url, || {
            let mut req = self
                .http
                .post(&self.write_url)
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(body.clone());
            if self.gzip {
                req = req.header(CONTENT_ENCODING, "gzip");
            }
            self.authorized(req).send()
        })
        .map(drop)
    }

    /// Runs InfluxQL `q` against the database with millisecond epochs, chunked, and returns
    /// the response body (one JSON document per chunk).
    pub fn query(&self, q: &str) -> Result<String, InfluxError> {
        self.query_with(q, &[("db", self.database.as_str())])
    }

    /// Runs InfluxQL `q` with extra parameters (`db`, …), e.g. `CREATE DATABASE` without a
    /// database.
    pub fn query_with(&self, q: &str, params: &[(&str, &str)]) -> Result<String, InfluxError> {
        let response = self.send_query(q, "10000", params)?;
        off_runtime(move || response.text()).map_err(|source| InfluxError::Http {
            endpoint: self.query_url.clone(),
            attempts: 1,
            source,
        })
    }

    /// Runs InfluxQL `q` against the database with millisecond epochs, in chunks of at most
    /// `chunk_size` points that are read from the connection one at a time
    /// ([`Chunks::next_chunk`]): a long result is never held in memory whole.
    pub fn query_chunks(&self, q: &str, chunk_size: usize) -> Result<Chunks, InfluxError> {
        let size = chunk_size.max(1).to_string();
        let response = self.send_query(q, &size, &[("db", self.database.as_str())])?;
        Ok(Chunks {
            reader: BufReader::new(response),
            text: Vec::new(),
            query: q.to_string(),
        })
    }

    fn send_query(
        &self,
        q: &str,
        chunk_size: &str,
        params: &[(&str, &str)],
    ) -> Result<Response, InfluxError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("q", q),
            ("epoch", "ms"),
            ("chunked", "true"),
            ("chunk_size", chunk_size),
        ];
        form.extend_from_slice(params);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        self.with_retries(&self.query_url, || {
            let req = self
                .http
                .post(&self.query_url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone());
            self.authorized(req).send()
        })
    }

    /// `GET /ping`: whether the server answers (204 or 200).
    pub fn ping(&self) -> Result<(), InfluxError> {
        let url = self.query_url.trim_end_matches("/query").to_string() + "/ping";
        self.with_retries(&url, || self.authorized(self.http.get(&url)).send())
            .map(drop)
    }

    fn with_retries(
        &self,
        endpoint: &str,
        send: impl Fn() -> reqwest::Result<Response> + Sync,
    ) -> Result<Response, InfluxError> {
        let mut delay = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = off_runtime(|| match send() {
                Ok(r) if r.status().is_success() => Ok(Ok(r)),
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().unwrap_or_default();
                    Ok(Err((status, server_message(&text))))
                }
                Err(e) => Err(e),
            });
            let retry = match outcome {
                Ok(Ok(response)) => return Ok(response),
                Ok(Err((status, message))) => {
                    let retryable =
                        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
                    if !retryable || attempt > self.retries {
                        return Err(InfluxError::Server {
                            endpoint: endpoint.to_string(),
                            status: status.as_u16(),
                            message,
                        });
                    }
                    format!("HTTP {status}: {message}")
                }
                Err(source) => {
                    let retryable = source.is_connect()
                        || source.is_timeout()
                        || source.is_request()
                        || source.is_body();
                    if !retryable || attempt > self.retries {
                        return Err(InfluxError::Http {
                            endpoint: endpoint.to_string(),
                            attempts: attempt,
                            source,
                        });
                    }
                    source.to_string()
                }
            };
            tracing::warn!(
                "InfluxDB {endpoint}: attempt {attempt} failed ({retry}); retrying in {delay:?}"
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(MAX_BACKOFF);
        }
    }
}

/// The chunks of a query's answer, read from the connection one at a time.
pub struct Chunks {
    reader: BufReader<Response>,
    /// The text of the chunk being read.
    text: Vec<u8>,
    query: String,
}

impl Chunks {
    /// The series of the next chunk (`None` after the last); an error the server reports in
    /// the answer becomes [`InfluxError::Query`].
    ///
    /// The servers end each chunk's JSON document with a line break (compact JSON has none
    /// inside); the text is read up to one and parsed from memory, which is several times
    /// faster than parsing from the connection byte by byte. A document that spans lines is
    /// read on until it is complete.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Series>>, InfluxError> {
        use std::io::BufRead as _;
        self.text.clear();
        let (reader, text) = (&mut self.reader, &mut self.text);
        let doc = off_runtime(move || -> Result<Option<Document>, String> {
            loop {
                let read = reader.read_until(b'\n', text).map_err(|e| e.to_string())?;
                if text.iter().all(u8::is_ascii_whitespace) {
                    if read == 0 {
                        return Ok(None);
                    }
                    text.clear();
                    continue;
                }
                match serde_json::from_slice::<Document>(text) {
                    Ok(doc) => return Ok(Some(doc)),
                    Err(e) if e.is_eof() && read > 0 => continue,
                    Err(e) => return Err(e.to_string()),
                }
            }
        });
        match doc {
            Ok(None) => Ok(None),
            Ok(Some(doc)) => doc.into_series(&self.query).map(Some),
            Err(e) => Err(InfluxError::Corrupt {
                reason: format!("unreadable /query response: {e}"),
            }),
        }
    }
}

/// The message of an error response: 1.x `{"error": "…"}`, 2.x/3.x `{"code": …, "message":
/// "…"}`, or the body itself.
pub fn server_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        for key in ["error", "message"] {
            if let Some(m) = v.get(key).and_then(|m| m.as_str()) {
                return m.to_string();
            }
        }
    }
    let body = body.trim();
    if body.is_empty() {
        "(no message)".to_string()
    } else {
        body.chars().take(500).collect()
    }
}

/// Standard base64 (for HTTP basic authentication).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("user:pa:ss", "dXNlcjpwYTpzcw=="),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn server_messages_of_each_flavour() {
        assert_eq!(
            server_message(r#"{"error":"database not found: \"x\""}"#),
            "database not found: \"x\""
        );
        assert_eq!(
            server_message(r#"{"code":"invalid","message":"unable to parse 'x': bad"}"#),
            "unable to parse 'x': bad"
        );
        assert_eq!(server_message("  plain text\n"), "plain text");
        assert_eq!(server_message(""), "(no message)");
    }

    #[test]
    fn endpoints_and_auth_headers() {
        let env = |name: &str| (name == "T").then(|| "admin:pw".to_string());
        let c = InfluxConfig::parse("influx+http://h:8086/pre?db=my%20db&token_env=T").unwrap();
        let token = c.token_with_env(env).unwrap();
        let client = Client::new(&c, token.as_ref(), Precision::Milliseconds).unwrap();
        assert_eq!(
            client.write_url(),
            "http://h:8086/pre/write?db=my+db&precision=ms"
        );
        assert_eq!(client.query_url, "http://h:8086/pre/query");
        let auth = client.auth.as_ref().unwrap();
        assert_eq!(auth.to_str().unwrap(), "Basic YWRtaW46cHc=");
        assert!(auth.is_sensitive());
        assert!(!format!("{client:?}").contains("YWRtaW46cHc"));

        let c = InfluxConfig::parse("influx+https://h?org=o&bucket=b&token_env=T").unwrap();
        let token = c.token_with_env(env).unwrap();
        let client = Client::new(&c, token.as_ref(), Precision::Nanoseconds).unwrap();
        assert_eq!(
            client.write_url(),
            "https://h/api/v2/write?bucket=b&precision=ns&org=o"
        );
        assert_eq!(client.auth.unwrap().to_str().unwrap(), "Token admin:pw");
    }
}
