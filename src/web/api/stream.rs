//! Long reads streamed: the store's paged read runs on a blocking thread and hands each page,
//! encoded, to the response body through a small bounded channel — at most a few pages in
//! memory, whatever the range. A client that goes away stops the read.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::mpsc;

use crate::store::{DataKind, ErrorKind, Operation, PageFn, Store, StoreError};
use crate::web::error::ApiError;
use crate::web::state::StorePool;

/// Pages in flight between the store and the client.
const PAGES_IN_FLIGHT: usize = 4;
/// Records per page of the store's read.
pub const STREAM_PAGE: usize = 5000;

/// How a stream is written: its opening, each page, its closing.
pub trait Encoding<T>: Send + 'static {
    /// The content type.
    fn content_type(&self) -> &'static str;
    /// Before the first page.
    fn head(&mut self) -> String;
    /// One page.
    fn page(&mut self, items: &[T]) -> String;
    /// After the last page.
    fn tail(&mut self) -> String;
}

/// Streams what `read` hands out, encoded by `encoding`.
pub fn stream<T, E>(
    store: &Arc<StorePool>,
    kind: DataKind,
    mut encoding: E,
    read: impl FnOnce(&dyn Store, &mut PageFn<'_, T>) -> Result<(), StoreError> + Send + 'static,
) -> Response
where
    T: Send + 'static,
    E: Encoding<T>,
{
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(PAGES_IN_FLIGHT);
    let content_type = encoding.content_type();
    let store = store.clone();
    tokio::spawn(async move {
        let producer = tx.clone();
        let result = store
            .with(move |s| {
                let read_all = || -> Result<(), StoreError> {
                    let gone = || {
                        StoreError::new(
                            "web client",
                            Operation::Read(kind),
                            ErrorKind::Unavailable,
                            "the client went away",
                        )
                    };
                    let send = |text: String| producer.blocking_send(Ok(Bytes::from(text)));
                    send(encoding.head()).map_err(|_| gone())?;
                    read(s, &mut |page: Vec<T>| {
                        send(encoding.page(&page)).map_err(|_| gone())
                    })?;
                    send(encoding.tail()).map_err(|_| gone())?;
                    Ok(())
                };
                match read_all() {
                    // A client that went away is no fault of the store's.
                    Err(_) if producer.is_closed() => Ok(()),
                    other => other.map_err(ApiError::from),
                }
            })
            .await;
        if let Err(e) = result {
            // The status is sent: end the body short, so that the client sees it incomplete.
            let _ = tx.send(Err(std::io::Error::other(e.message))).await;
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON document `{<head fields>…, "<field>": [items…]}` written as it goes.
pub struct JsonArray<F> {
    head: String,
    first: bool,
    item: F,
}

impl<F> JsonArray<F> {
    /// `{"<prefix fields>", "field": [` … `]}`: `prefix` is JSON object members with a trailing
    /// comma, or empty.
    pub fn new(prefix: String, field: &str, item: F) -> JsonArray<F> {
        JsonArray {
            head: format!("{{{prefix}\"{field}\":["),
            first: true,
            item,
        }
    }
}

impl<T, F> Encoding<T> for JsonArray<F>
where
    F: FnMut(&T) -> serde_json::Value + Send + 'static,
{
    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn head(&mut self) -> String {
        std::mem::take(&mut self.head)
    }

    fn page(&mut self, items: &[T]) -> String {
        let mut out = String::new();
        for item in items {
            if !self.first {
                out.push(',');
            }
            self.first = false;
            out.push_str(&(self.item)(item).to_string());
        }
        out
    }

    fn tail(&mut self) -> String {
        "]}".to_string()
    }
}

/// CSV with a header row, written as it goes.
pub struct Csv<F> {
    header: &'static [&'static str],
    row: F,
}

impl<F> Csv<F> {
    /// CSV of `header`'s columns, each item one row by `row`.
    pub fn new(header: &'static [&'static str], row: F) -> Csv<F> {
        Csv { header, row }
    }
}

impl<T, F> Encoding<T> for Csv<F>
where
    F: FnMut(&T) -> Vec<String> + Send + 'static,
{
    fn content_type(&self) -> &'static str {
        "text/csv; charset=utf-8"
    }

    fn head(&mut self) -> String {
        csv_line(self.header.iter().map(|h| h.to_string()))
    }

    fn page(&mut self, items: &[T]) -> String {
        items
            .iter()
            .map(|item| csv_line((self.row)(item).into_iter()))
            .collect()
    }

    fn tail(&mut self) -> String {
        String::new()
    }
}

/// One CSV line (quoted where needed, by the `csv` crate).
fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(cells);
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
