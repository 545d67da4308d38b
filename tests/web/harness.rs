//! A running web platform for a test, and a client that keeps its session by hand (so that
//! tests see every cookie and header).

use std::path::PathBuf;

use lantian::store::{Store, StoreUrl};
use lantian::web::{Role, Server, ServerParts, WebConfig};
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The password every test user gets.
pub(crate) const PASSWORD: &str = "a long test password";

/// A server over a fresh store.
pub(crate) struct Web {
    pub(crate) server: Server,
    pub(crate) base: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Web {
    /// A server with `settings`, a store prepared by `fill`, and one user per role named
    /// after it (`leader`, `analyst`, `maintainer`, `admin`).
    pub(crate) async fn start_with(settings: WebConfig, fill: impl FnOnce(&mut dyn Store)) -> Web {
        Web::start_in(tempfile::tempdir().unwrap(), settings, fill, |_| {}).await
    }

    /// [`Web::start_with`] in `dir`, with `parts` changed by `change` before it starts (the
    /// alarm hook, the HJ 212 loggers).
    pub(crate) async fn start_in(
        dir: tempfile::TempDir,
        settings: WebConfig,
        fill: impl FnOnce(&mut dyn Store),
        change: impl FnOnce(&mut ServerParts),
    ) -> Web {
        let db = dir.path().join("store.db");
        let url = StoreUrl::Sqlite(db);
        let mut store = lantian::store::open(&url).unwrap();
        fill(store.as_mut());
        let mut parts = ServerParts {
            settings,
            store: (url, store),
            registry: None,
            accounts: dir.path().join("web.db"),
            report_dir: dir.path().join("reports"),
            alarm_hook: None,
            loggers: None,
        };
        change(&mut parts);
        let server = Server::start(parts, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        for role in Role::ALL {
            server
                .state
                .accounts
                .add_user(role.code(), role, PASSWORD, "test")
                .unwrap();
        }
        let base = format!("http://{}", server.addr);
        Web { server, base, dir }
    }

    /// A server with the default settings over an empty store.
    pub(crate) async fn start() -> Web {
        Web::start_with(WebConfig::default(), |_| {}).await
    }

    /// The report folder.
    #[allow(dead_code)]
    pub(crate) fn report_dir(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// A client without a session.
    pub(crate) fn anonymous(&self) -> Client {
        // reqwest is built without a provider of its own (as in the library).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            cookie: None,
            csrf: None,
            token: None,
        }
    }

    /// A client logged in as `user` (one of the role users) through `POST /api/v1/session`.
    pub(crate) async fn login(&self, user: &str) -> Client {
        self.login_with(user, PASSWORD).await
    }

    /// A client logged in as `user` with `password`.
    pub(crate) async fn login_with(&self, user: &str, password: &str) -> Client {
        let mut client = self.anonymous();
        let response = client
            .send(
                Method::POST,
                "/api/v1/session",
                Some(serde_json::json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        client.cookie = Some(session_cookie(&response.headers).expect("a session cookie"));
        client.csrf = response.json()["csrf"].as_str().map(str::to_string);
        client
    }
}

/// `name=value` of the session cookie a response sets.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lantian_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// A client with an optional session (cookie + CSRF token) or API token.
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) cookie: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) token: Option<String>,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The `code` of a JSON error.
    pub(crate) fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

impl Client {
    /// A request with the session cookie, CSRF header (for state-changing methods) or token.
    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if method != Method::GET
            && let Some(csrf) = &self.csrf
        {
            request = request.header("x-csrf-token", csrf);
        }
        request
    }

    /// Sends a request (with a JSON body when given) and reads the reply.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        read(request).await
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
}

/// Sends and reads a request (an event stream's body is not read: it does not end).
pub(crate) async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the server answers");
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|c| c.as_bytes().starts_with(b"text/event-stream"));
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: if streaming {
            String::new()
        } else {
            response.text().await.unwrap()
        },
    }
}
