//! The routes of the reports page and the data explorer. Reading the archive needs a login;
//! generating a report, the explorer and its upload need the export permission (analysts and
//! administrators). Forms carry the session's CSRF token, checked by the server's middleware
//! before a handler runs (the upload's multipart form too).

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::TimeDelta;

use super::PageError;
use super::explore::{
    Charts, ExplorePage, MAX_UPLOAD, Selection, Upload, default_range, explore_charts, upload_aqi,
    upload_options,
};
use super::reports::{GenerateForm, Outcome, ReportsPage, archive, generate, written_file};
use super::routes::{LangQuery, PageFailure, frame, with_store};
use crate::lang::Lang;
use crate::store::Resolution;
use crate::web::api::params::Params;
use crate::web::auth::{CurrentUser, Page, need};
use crate::web::error::ApiError;
use crate::web::role::Permission;
use crate::web::state::AppState;

/// The routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(reports))
        .route("/reports/generate", post(generate_report))
        .route("/explore", get(explore))
        .route(
            "/explore/aqi",
            post(explore_aqi).layer(DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024)),
        )
}

/// Renders the reports page with `outcome`, answered with `status`.
async fn reports_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    outcome: Option<Outcome>,
    status: StatusCode,
) -> Result<Response, PageFailure> {
    let dir = state.report_dir.clone();
    let entries = tokio::task::spawn_blocking(move || archive(&dir))
        .await
        .map_err(|e| ApiError::unavailable("reports", e))?
        .map_err(|e| ApiError::unavailable("reports", e))?;
    let latest = with_store(state, |store| {
        Ok(store.readings_span(Resolution::Hour)?.map(|span| span.last))
    })
    .await?;
    let generate = match (user.can(Permission::Export), user.csrf_token()) {
        (true, Some(token)) => Some(token.to_string()),
        _ => None,
    };
    let page = ReportsPage::new(
        frame(lang, "reports", "/reports", user),
        entries,
        generate,
        outcome,
        (latest, state.zone),
    );
    Ok((status, Html(page.render().map_err(PageError::from)?)).into_response())
}

/// `GET /reports`: the archive, and the generation form for analysts.
async fn reports(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageFailure> {
    let lang = q.lang()?;
    reports_page(&state, &page.user, lang, None, StatusCode::OK).await
}

/// `POST /reports/generate`: writes the report asked (off the async runtime), audits it, and
/// shows the page with the result or why there is none.
async fn generate_report(
    State(state): State<AppState>,
    page: Page<need::Export>,
    Query(q): Query<LangQuery>,
    Form(form): Form<GenerateForm>,
) -> Result<Response, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let request = match form.request() {
        Ok(r) => r,
        Err(why) => {
            let outcome = Some(Outcome::Failed(why));
            return reports_page(&state, &user, lang, outcome, StatusCode::BAD_REQUEST).await;
        }
    };
    let registry = state.registry.clone();
    let dir = state.report_dir.clone();
    let asked = request.clone();
    let result = state
        .store
        .with(move |store| {
            Ok::<_, ApiError>(
                generate(store, registry.as_deref(), &asked, &dir, lang)
                    .map(|files| written_file(&files, &dir)),
            )
        })
        .await?;
    let (outcome, status, detail) = match result {
        Ok(file) => (Outcome::Written(file.clone()), StatusCode::OK, file),
        Err(e) => (
            Outcome::Failed(e.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("failed: {e}"),
        ),
    };
    let accounts = state.accounts.clone();
    let (actor, target) = (user.actor().to_string(), request.describe());
    tokio::task::spawn_blocking(move || accounts.audit(&actor, "report", &target, &detail))
        .await
        .map_err(|e| ApiError::unavailable("audit", e))?
        .map_err(ApiError::from)?;
    reports_page(&state, &user, lang, Some(outcome), status).await
}

/// The explorer's selection from its query (the API's own reading of it), `None` when nothing
/// is asked.
fn selection(query: Option<&str>, zone: chrono_tz::Tz) -> Result<Option<Selection>, ApiError> {
    let params = Params::parse(query);
    if params.one("from")?.is_none()
        && params.one("to")?.is_none()
        && params.list::<String>("station")?.is_empty()
        && params.list::<String>("parameter")?.is_empty()
    {
        return Ok(None);
    }
    let resolution = params
        .get::<Resolution>("resolution")?
        .unwrap_or(Resolution::Hour);
    if resolution == Resolution::Sample {
        return Err(ApiError::bad_request(
            "resolution: minute, hour or day (samples are for the API)",
        ));
    }
    let (from, to) = params.range(zone, TimeDelta::days(1), None)?;
    let stations: Vec<String> = params.list("station")?;
    let parameters = params.list("parameter")?;
    let mut api = url::form_urlencoded::Serializer::new(String::new());
    for s in &stations {
        api.append_pair("station", s);
    }
    for p in &parameters {
        api.append_pair("parameter", crate::units::Parameter::code(*p));
    }
    api.append_pair("resolution", resolution.code());
    api.append_pair("from", &from.to_rfc3339());
    api.append_pair("to", &to.to_rfc3339());
    Ok(Some(Selection {
        stations,
        parameters,
        resolution,
        from,
        to,
        query: api.finish(),
    }))
}

/// Renders the explorer.
async fn explore_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    query: Option<String>,
    upload: Option<Upload>,
) -> Result<Response, PageFailure> {
    let zone = state.zone;
    let (selection, error) = match selection(query.as_deref(), zone) {
        Ok(s) => (s, None),
        Err(e) => (None, Some(e.message)),
    };
    let asked = selection.clone();
    let (stations, latest, charts) = with_store(state, move |store| {
        let stations = store.stations()?;
        let latest = store.readings_span(Resolution::Hour)?.map(|span| span.last);
        let charts = match &asked {
            Some(s) => explore_charts(store, s, zone)?,
            None => Charts::NotAsked,
        };
        Ok((stations, latest, charts))
    })
    .await?;
    let (from, to) = selection
        .as_ref()
        .map_or_else(|| default_range(latest), |s| (s.from, s.to));
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ExplorePage {
        frame: frame(lang, "explore", "/explore", user),
        csrf: user.csrf_token().unwrap_or_default().to_string(),
        stations,
        selection,
        error,
        charts,
        upload,
        from_text: local(from),
        to_text: local(to),
    };
    Ok((status, Html(page.render().map_err(PageError::from)?)).into_response())
}

/// `GET /explore?station=…&parameter=…&resolution=…&from=…&to=…`: the explorer.
async fn explore(
    State(state): State<AppState>,
    page: Page<need::Export>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageFailure> {
    let lang = LangQuery {
        lang: Params::parse(query.as_deref())
            .one("lang")
            .ok()
            .flatten()
            .map(str::to_string),
    }
    .lang()?;
    explore_page(&state, &page.user, lang, query, None).await
}

/// The upload form's fields.
#[derive(Debug, Default)]
struct UploadForm {
    standard: String,
    mode: String,
    download: bool,
    name: String,
    file: Option<Vec<u8>>,
}

/// Reads the multipart form (the body is bounded by the route's limit).
async fn read_upload(mut multipart: Multipart) -> Result<UploadForm, String> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        match field.name().unwrap_or("") {
            "standard" => form.standard = field.text().await.map_err(|e| e.body_text())?,
            "mode" => form.mode = field.text().await.map_err(|e| e.body_text())?,
            "as" => form.download = field.text().await.map_err(|e| e.body_text())? == "csv",
            "file" => {
                form.name = field.file_name().unwrap_or("upload.csv").to_string();
                form.file = Some(field.bytes().await.map_err(|e| e.body_text())?.to_vec());
            }
            _ => {}
        }
    }
    Ok(form)
}

/// `POST /explore/aqi` (multipart: `standard`, `mode`, `file`, `as=page|csv`): the uploaded
/// CSV with its AQI, on the page (with each bad row's line and field) or as a CSV file.
async fn explore_aqi(
    State(state): State<AppState>,
    page: Page<need::Export>,
    Query(q): Query<LangQuery>,
    multipart: Multipart,
) -> Result<Response, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let form = read_upload(multipart).await;
    let upload = match form {
        Err(why) => Upload::Refused(why),
        Ok(UploadForm { file: None, .. }) => Upload::Refused("file: no CSV file chosen".into()),
        Ok(form) => match upload_options(&form.standard, &form.mode, lang) {
            Err(why) => Upload::Refused(why),
            Ok(options) => {
                let download = form.download;
                let (name, bytes) = (form.name, form.file.unwrap_or_default());
                let upload = tokio::task::spawn_blocking(move || upload_aqi(name, &bytes, options))
                    .await
                    .map_err(|e| ApiError::unavailable("aqi", e))?;
                if let (true, Upload::Computed { name, csv, .. }) = (download, &upload) {
                    let stem = name.trim_end_matches(".csv").replace(['"', '\\', '/'], "_");
                    return Ok((
                        [
                            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                            (
                                header::CONTENT_DISPOSITION,
                                format!("attachment; filename=\"{stem}-aqi.csv\""),
                            ),
                        ],
                        csv.clone(),
                    )
                        .into_response());
                }
                upload
            }
        },
    };
    let refused = matches!(upload, Upload::Refused(_));
    let mut response = explore_page(&state, &user, lang, None, Some(upload)).await?;
    if refused {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
