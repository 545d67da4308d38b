//! The demo's notification receiver: a webhook endpoint on a free loopback port that appends
//! every JSON message it is sent, one line each, to a file, so that someone trying lantian
//! sees what the duty officer's phone would have received without configuring a channel.
//!
//! It speaks just enough HTTP/1.1 for the `webhook` channel (one `POST` with a
//! `Content-Length` per connection, answered `200` once the line is written, then closed) and
//! is bounded like every listener of lantian: loopback only, [`MAX_CONNECTIONS`] at once,
//! [`MAX_HEADER`] and [`MAX_BODY`] bytes, [`READ_TIMEOUT`] per request.

use std::fs::File;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// Connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 16;
/// Largest request head (request line and headers).
pub const MAX_HEADER: usize = 16 << 10;
/// Largest body.
pub const MAX_BODY: usize = 1 << 20;
/// Time allowed to read one request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The receiver could not start.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct ReceiverError {
    /// The file or the address.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// A running receiver.
pub struct Receiver {
    addr: SocketAddr,
    file: PathBuf,
    received: Arc<AtomicU64>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver on a free loopback port appending to `file` (created when missing).
    pub async fn start(file: &Path) -> Result<Receiver, ReceiverError> {
        let error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReceiverError { path, source }
        };
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .map_err(error(file))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(error(Path::new("127.0.0.1:0")))?;
        let addr = listener
            .local_addr()
            .map_err(error(Path::new("127.0.0.1:0")))?;
        let received = Arc::new(AtomicU64::new(0));
        let (shutdown, stop) = watch::channel(false);
        let task = tokio::spawn(serve(
            listener,
            Arc::new(Mutex::new(out)),
            received.clone(),
            stop,
        ));
        Ok(Receiver {
            addr,
            file: file.to_path_buf(),
            received,
            shutdown,
            task,
        })
    }

    /// The URL to post to.
    pub fn url(&self) -> String {
        format!("http://{}/notify", self.addr)
    }

    /// The file it appends to.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Messages written so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Stops accepting (requests being read finish) and returns the messages written.
    pub async fn stop(self) -> u64 {
        let _ = self.shutdown.send(true);
        let received = self.received.clone();
        let _ = self.task.await;
        received.load(Ordering::Relaxed)
    }
}

/// Accepts connections until told to stop.
async fn serve(
    listener: TcpListener,
    out: Arc<Mutex<File>>,
    received: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut running = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => break,
            p = slots.clone().acquire_owned() => p,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("demo receiver: accepting a connection: {e}");
                    continue;
                }
            },
        };
        let (out, received) = (out.clone(), received.clone());
        running.spawn(async move {
            if let Err(e) = handle(stream, &out, &received).await {
                tracing::warn!("demo receiver: request from {peer}: {e}");
            }
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no request within {READ_TIMEOUT:?}")]
    Timeout,
    #[error("{1}")]
    Refused(&'static str, String),
}

/// Reads one request, writes its JSON body as a line, answers and closes.
async fn handle(
    mut stream: TcpStream,
    out: &Mutex<File>,
    received: &AtomicU64,
) -> Result<(), RequestError> {
    let outcome = match tokio::time::timeout(READ_TIMEOUT, read_body(&mut stream)).await {
        Err(_) => Err(RequestError::Timeout),
        Ok(Err(e)) => Err(e),
        Ok(Ok((path, body))) => record(out, &path, &body).map_err(RequestError::from),
    };
    let status = match &outcome {
        Ok(()) => {
            received.fetch_add(1, Ordering::Relaxed);
            "200 OK"
        }
        Err(RequestError::Refused(status, _)) => status,
        Err(_) => "400 Bad Request",
    };
    let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await?;
    outcome
}

/// Reads a `POST` and its body: the path, and the body as JSON.
async fn read_body(stream: &mut TcpStream) -> Result<(String, serde_json::Value), RequestError> {
    let refuse = |status, why: &str| RequestError::Refused(status, why.to_string());
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEADER {
            return Err(refuse(
                "431 Request Header Fields Too Large",
                "request head too long",
            ));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(refuse("400 Bad Request", "connection closed in the head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| refuse("400 Bad Request", "head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or_default().split(' ');
    if request.next() != Some("POST") {
        return Err(refuse("405 Method Not Allowed", "only POST is taken"));
    }
    let path = request.next().unwrap_or("/").to_string();
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .ok_or_else(|| refuse("411 Length Required", "no Content-Length"))?;
    if length > MAX_BODY {
        return Err(refuse("413 Content Too Large", "body too large"));
    }
    let mut body = buf.split_off(head_end);
    body.truncate(length);
    if body.len() < length {
        let start = body.len();
        body.resize(length, 0);
        stream.read_exact(&mut body[start..]).await?;
    }
    let json = serde_json::from_slice(&body)
        .map_err(|e| RequestError::Refused("400 Bad Request", format!("body is not JSON: {e}")))?;
    Ok((path, json))
}

/// Appends `{"received": …, "path": …, "message": …}` as one line.
fn record(out: &Mutex<File>, path: &str, message: &serde_json::Value) -> std::io::Result<()> {
    let line = serde_json::json!({
        "received": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        "path": path,
        "message": message,
    });
    let mut file = out.lock().unwrap_or_else(PoisonError::into_inner);
    writeln!(file, "{line}")?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn send(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn posts_become_lines_and_bad_requests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n.jsonl");
        let r = Receiver::start(&file).await.unwrap();
        let addr = r.addr;
        let body = r#"{"msgtype":"text","text":{"content":"PM2.5 超标"}}"#;
        let post = format!(
            "POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert!(
            send(addr, post.as_bytes())
                .await
                .starts_with("HTTP/1.1 200")
        );
        let not_json = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        assert!(
            send(addr, not_json.as_bytes())
                .await
                .starts_with("HTTP/1.1 400")
        );
        let no_length = "POST / HTTP/1.1\r\n\r\n{}";
        assert!(
            send(addr, no_length.as_bytes())
                .await
                .starts_with("HTTP/1.1 411")
        );
        let get = "GET / HTTP/1.1\r\n\r\n";
        assert!(send(addr, get.as_bytes()).await.starts_with("HTTP/1.1 405"));
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(
            send(addr, huge.as_bytes())
                .await
                .starts_with("HTTP/1.1 413")
        );
        assert_eq!(r.stop().await, 1);
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["path"], "/notify");
        assert_eq!(lines[0]["message"]["text"]["content"], "PM2.5 超标");
    }
}
