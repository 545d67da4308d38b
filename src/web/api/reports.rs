//! `/api/v1/reports`: the archive of generated reports (daily, ranking, device health) in the
//! report folder, and their files — nothing outside that folder: a path is taken only as
//! plain names (no `..`, no absolute or hidden parts) and must resolve inside it.

use std::path::{Component, Path, PathBuf};

use axum::Json;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::params::{Paged, Params};
use crate::report::index_page::scan;
use crate::web::auth::{Require, need};
use crate::web::error::ApiError;
use crate::web::state::AppState;

/// The policy of a report's own page: its inline styles, its images, no scripts at all, no
/// framing by other sites.
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
     sandbox; frame-ancestors 'self'";

/// `GET /api/v1/reports?kind=daily|ranking|health&limit=&offset=`: the reports in the folder,
/// newest first, with their other files (CSV, PNGs).
pub(super) async fn list(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Paged<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let page = params.page()?;
    let kind = params.one("kind")?.map(str::to_string);
    let dir = state.report_dir.clone();
    let entries = tokio::task::spawn_blocking(move || {
        if !dir.exists() {
            return Ok(Vec::new());
        }
        scan(&dir).map_err(|e| ApiError::unavailable("reports", e))
    })
    .await
    .map_err(|e| ApiError::unavailable("reports", e))??;
    Ok(Json(
        page.of(entries
            .into_iter()
            .filter(|e| kind.as_deref().is_none_or(|k| k == e.kind))
            .map(|e| {
                json!({
                    "file": e.file,
                    "kind": e.kind,
                    "period": e.period,
                    "date": e.sort,
                    "title": e.title,
                    "files": e.files,
                })
            })
            .collect()),
    ))
}

/// The file `relative` names inside `root`, if it is a plain path of names to a regular file
/// there.
pub fn inside(root: &Path, relative: &str) -> Option<PathBuf> {
    let path = Path::new(relative);
    let plain = path.components().all(|c| match c {
        Component::Normal(name) => name.to_str().is_some_and(|n| !n.starts_with('.')),
        _ => false,
    });
    if !plain || relative.is_empty() || relative.contains('\\') {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let file = root.join(path).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /api/v1/reports/files/{path}`: a file of the report folder (`?download=true` as an
/// attachment).
pub(super) async fn file(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    UrlPath(relative): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let download = params.get::<bool>("download")?.unwrap_or(false);
    let root = state.report_dir.clone();
    let wanted = relative.clone();
    let (path, bytes) = tokio::task::spawn_blocking(move || {
        let path = inside(&root, &wanted)
            .ok_or_else(|| ApiError::not_found(format!("no report file `{wanted}`")))?;
        let bytes = std::fs::read(&path).map_err(|e| ApiError::unavailable("report file", e))?;
        Ok::<_, ApiError>((path, bytes))
    })
    .await
    .map_err(|e| ApiError::unavailable("report file", e))??;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(REPORT_POLICY),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    if download {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("report")
            .replace(['"', '\\'], "_");
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn nothing_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("reports");
        std::fs::create_dir_all(root.join("daily-2026-12-01")).unwrap();
        std::fs::write(root.join("daily-2026-12-01.html"), "x").unwrap();
        std::fs::write(root.join("daily-2026-12-01/aqi.png"), "x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "x").unwrap();
        std::fs::write(root.join(".hidden"), "x").unwrap();
        assert!(inside(&root, "daily-2026-12-01.html").is_some());
        assert!(inside(&root, "daily-2026-12-01/aqi.png").is_some());
        for bad in [
            "../secret.txt",
            "daily-2026-12-01/../../secret.txt",
            "/etc/passwd",
            ".hidden",
            "",
            "daily-2026-12-01",
            "..\\secret.txt",
        ] {
            assert!(inside(&root, bad).is_none(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.html"))
                .unwrap();
            assert!(
                inside(&root, "link.html").is_none(),
                "a link out of the folder"
            );
        }
    }
}
