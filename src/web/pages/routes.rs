//! The pages' routes and handlers: each reads the store on a blocking thread through the
//! server's [`StorePool`](crate::web::StorePool), renders its template and answers HTML.
//! Pages need a login ([`Page`]`<need::Read>`: to `/login` without one); the alarm steps need
//! [`need::Maintain`], and their forms' CSRF tokens are checked by the server's middleware
//! before a handler runs. Assets and the login page are served without a login (they hold no
//! data).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use serde::Deserialize;

use super::admin::{AUDIT_SHOWN, AdminPage};
use super::alarms::{AlarmList, AlarmPage, AlarmsPage, Handling, alarm_history, alarm_list};
use super::assets::{asset, category_css};
use super::health::{DeviceFilter, health_page};
use super::rankings::{RankingsPage, default_period, parse_by};
use super::station::{Span, station_page};
use super::view::{Frame, LoginPage};
use super::{PageError, overview_live, overview_page};
use crate::alarms::AlarmError;
use crate::assess::{GroupBy, Period};
use crate::lang::Lang;
use crate::report::i18n::Words;
use crate::report::{RankingFigures, ranking_figures};
use crate::store::AlarmIdPrefix;
use crate::web::alarm_steps::{self, AlarmStep as Step};
use crate::web::auth::{CSRF_FIELD, CurrentUser, Page, need};
use crate::web::error::{ApiError, ErrorCode};
use crate::web::role::Permission;
use crate::web::state::AppState;

/// The pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/overview/live", get(live))
        .route("/health", get(health))
        .route("/stations/{id}", get(station))
        .route("/alarms", get(alarms))
        .route("/alarms/{id}", get(alarm))
        .route("/alarms/{id}/{step}", post(alarm_step))
        .route("/rankings", get(rankings))
        .route("/rankings.csv", get(rankings_csv))
        .route("/admin", get(admin))
        .route("/login", get(login))
        .route("/assets/aqi.css", get(aqi_css))
        .route("/assets/{name}", get(static_asset))
        .merge(super::analyst_routes::routes())
        .merge(super::public::routes())
}

/// A page's failure, answered as a short text with its status (never a panic, never a 500 for
/// bad input).
#[derive(Debug)]
pub(super) struct PageFailure(pub(super) StatusCode, pub(super) String);

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.1,
        )
            .into_response()
    }
}

impl From<ApiError> for PageFailure {
    fn from(e: ApiError) -> Self {
        PageFailure(e.code.status(), e.message)
    }
}

impl From<PageError> for PageFailure {
    fn from(e: PageError) -> Self {
        PageFailure::from(api_error(e))
    }
}

/// A page's error as the API would answer it: an unknown alarm 404, an ambiguous id or empty
/// text 400, a step the alarm's state refuses 409, the store 503.
fn api_error(e: PageError) -> ApiError {
    let message = e.to_string();
    match e {
        PageError::Alarm(AlarmError::NotFound(_)) => ApiError::not_found(message),
        PageError::Alarm(
            AlarmError::Ambiguous { .. } | AlarmError::EmptyText { .. } | AlarmError::BadActor(_),
        ) => ApiError::bad_request(message),
        PageError::Alarm(
            AlarmError::Closed { .. }
            | AlarmError::AlreadyAcknowledged { .. }
            | AlarmError::AlreadyAssigned { .. }
            | AlarmError::AlreadyOpen { .. }
            | AlarmError::Contended { .. },
        ) => ApiError::new(ErrorCode::Conflict, message),
        other => ApiError::unavailable("page", other),
    }
}

/// The language of a page (`?lang=zh|en`, Chinese by default).
#[derive(Debug, Deserialize)]
pub(super) struct LangQuery {
    pub(super) lang: Option<String>,
}

impl LangQuery {
    pub(super) fn lang(&self) -> Result<Lang, PageFailure> {
        match &self.lang {
            None => Ok(Lang::Zh),
            Some(code) => code
                .parse()
                .map_err(|e| PageFailure(StatusCode::BAD_REQUEST, format!("lang: {e}"))),
        }
    }
}

/// The frame of a page for `user`.
pub(super) fn frame(lang: Lang, active: &'static str, path: &str, user: &CurrentUser) -> Frame {
    Frame {
        admin: user.can(Permission::Admin),
        export: user.can(Permission::Export),
        ..Frame::new(
            lang,
            active,
            path,
            Some(user.name.clone()),
            user.csrf_token().map(str::to_string),
        )
    }
}

/// Runs `f` over a store handle on a blocking thread.
pub(super) async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut dyn crate::store::Store) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageFailure> {
    Ok(state
        .store
        .with(move |store| f(store).map_err(api_error))
        .await?)
}

/// `GET /`: the overview.
async fn overview(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Query(q): Query<LangQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let frame = frame(lang, "overview", "/", &user);
    let cache = state.overview.clone();
    Ok(Html(
        with_store(&state, move |store| overview_page(store, &cache, frame)).await?,
    ))
}

/// `GET /overview/live`: the overview's live part (fetched by `live.js` on every event).
async fn live(
    State(state): State<AppState>,
    _: Page<need::Read>,
    Query(q): Query<LangQuery>,
) -> Result<Html<String>, PageFailure> {
    let lang = q.lang()?;
    let cache = state.overview.clone();
    Ok(Html(
        with_store(&state, move |store| overview_live(store, &cache, lang)).await?,
    ))
}

/// `GET /health`'s query.
#[derive(Debug, Deserialize)]
struct HealthQuery {
    lang: Option<String>,
    problems: Option<String>,
}

/// `GET /health[?problems=1]`: the devices.
async fn health(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Query(q): Query<HealthQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = LangQuery { lang: q.lang }.lang()?;
    let filter = match q.problems.as_deref() {
        None | Some("0") => DeviceFilter::All,
        Some("1") => DeviceFilter::Problems,
        Some(other) => {
            return Err(PageFailure(
                StatusCode::BAD_REQUEST,
                format!("problems: `{other}` is neither 0 nor 1"),
            ));
        }
    };
    let frame = frame(lang, "health", "/health", &user);
    let registry = state.registry.clone();
    let page = with_store(&state, move |store| {
        Ok(health_page(store, registry.as_deref(), filter, frame)?)
    })
    .await?;
    Ok(Html(page.render().map_err(PageError::from)?))
}

/// `GET /alarms`'s query.
#[derive(Debug, Deserialize)]
struct AlarmsQuery {
    lang: Option<String>,
    list: Option<String>,
}

/// `GET /alarms[?list=closed]`: the alarms.
async fn alarms(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Query(q): Query<AlarmsQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = LangQuery { lang: q.lang }.lang()?;
    let list = match q.list.as_deref() {
        None | Some("active") => AlarmList::Active,
        Some("closed") => AlarmList::RecentlyClosed,
        Some(other) => {
            return Err(PageFailure(
                StatusCode::BAD_REQUEST,
                format!("list: `{other}` is neither active nor closed"),
            ));
        }
    };
    let frame = frame(lang, "alarms", "/alarms", &user);
    let tz = state.zone;
    let alarms = with_store(&state, move |store| {
        Ok(alarm_list(store, list, Utc::now())?)
    })
    .await?;
    let page = AlarmsPage {
        frame,
        list,
        alarms,
        tz,
    };
    Ok(Html(page.render().map_err(PageError::from)?))
}

/// An alarm's id from the path.
fn alarm_id(id: &str) -> Result<AlarmIdPrefix, PageFailure> {
    id.parse()
        .map_err(|e| PageFailure(StatusCode::BAD_REQUEST, format!("alarm id: {e}")))
}

/// `GET /alarms/{id}`: one alarm, its log, and the forms for maintainers.
async fn alarm(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let id = alarm_id(&id)?;
    render_alarm(&state, &user, lang, id, None).await
}

/// Renders one alarm's page.
async fn render_alarm(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: AlarmIdPrefix,
    flash: Option<String>,
) -> Result<Html<String>, PageFailure> {
    let path = format!("/alarms/{id}");
    let frame = frame(lang, "alarms", &path, user);
    let handling = match (user.can(Permission::Maintain), user.csrf_token()) {
        (true, Some(token)) => Some(Handling {
            field: CSRF_FIELD,
            token: token.to_string(),
        }),
        _ => None,
    };
    let (alarm, actions) = with_store(state, move |store| {
        alarm_history(store, &id).map_err(PageError::from)
    })
    .await?;
    let page = AlarmPage {
        frame,
        alarm,
        actions,
        handling,
        flash,
        tz: state.zone,
    };
    Ok(Html(page.render().map_err(PageError::from)?))
}

/// An alarm form's fields (the CSRF field is the middleware's).
#[derive(Debug, Deserialize)]
struct StepForm {
    #[serde(default)]
    text: String,
}

/// `POST /alarms/{id}/{acknowledge|assign|comment|close}`: a maintainer's step, then back to
/// the alarm's page.
async fn alarm_step(
    State(state): State<AppState>,
    page: Page<need::Maintain>,
    Path((id, step)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let id = alarm_id(&id)?;
    let text = form.text.trim().to_string();
    let needs_text = |what: &str| {
        if text.is_empty() {
            Err(PageFailure(
                StatusCode::BAD_REQUEST,
                format!("{what}: the text is empty"),
            ))
        } else {
            Ok(text.clone())
        }
    };
    let step = match step.as_str() {
        "acknowledge" => Step::Acknowledge,
        "assign" => Step::Assign(needs_text("assign")?),
        "comment" => Step::Comment(needs_text("comment")?),
        "close" => Step::Close(needs_text("close")?),
        other => {
            return Err(PageFailure(
                StatusCode::NOT_FOUND,
                format!("no alarm step `{other}` (acknowledge, assign, comment, close)"),
            ));
        }
    };
    let alarm = alarm_steps::take(&state, user.actor(), id, step)
        .await?
        .alarm;
    Ok(Redirect::to(&format!("/alarms/{}?lang={}", alarm.id(), lang.code())).into_response())
}

/// `GET /login[?error=…&next=…]`: the login form (posted to the server's `POST /login`).
#[derive(Debug, Deserialize)]
struct LoginQuery {
    lang: Option<String>,
    error: Option<String>,
    next: Option<String>,
}

async fn login(Query(q): Query<LoginQuery>) -> Result<Html<String>, PageFailure> {
    let lang = LangQuery { lang: q.lang }.lang()?;
    let page = LoginPage::new(
        lang,
        q.error.as_deref(),
        q.next.unwrap_or_else(|| "/".into()),
    );
    Ok(Html(page.render().map_err(PageError::from)?))
}

/// `GET /assets/aqi.css`: the AQI categories' colours.
async fn aqi_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        category_css(),
    )
        .into_response()
}

/// `GET /assets/{name}`: an embedded asset (404 for any other name: nothing is read from disk).
async fn static_asset(Path(name): Path<String>) -> Response {
    match asset(&name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.media_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            a.bytes,
        )
            .into_response(),
        None => PageFailure(StatusCode::NOT_FOUND, format!("no asset `{name}`")).into_response(),
    }
}

/// `GET /rankings` and `/rankings.csv`'s query.
#[derive(Debug, Deserialize)]
struct RankingQuery {
    lang: Option<String>,
    period: Option<String>,
    by: Option<String>,
}

impl RankingQuery {
    /// The period asked (`None`: the default) and the grouping (stations by default).
    fn read(&self) -> Result<(Option<Period>, GroupBy), PageFailure> {
        let bad = |m: String| PageFailure(StatusCode::BAD_REQUEST, m);
        let period = match self.period.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(p.parse().map_err(|e| bad(format!("period: {e}")))?),
        };
        let by = match self.by.as_deref() {
            None => GroupBy::Station,
            Some(code) => parse_by(code).ok_or_else(|| {
                bad(format!(
                    "by: `{code}` is none of station, district, network"
                ))
            })?,
        };
        Ok((period, by))
    }
}

/// The ranking asked for, with the period as asked (or the default's).
async fn ranking(
    state: &AppState,
    period: Option<Period>,
    by: GroupBy,
) -> Result<(String, RankingFigures), PageFailure> {
    with_store(state, move |store| {
        let period = match period {
            Some(p) => p,
            None => default_period(store)?,
        };
        Ok((period.to_string(), ranking_figures(store, period, by)?))
    })
    .await
}

/// `GET /rankings[?period=…&by=…]`: the ranking table.
async fn rankings(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Query(q): Query<RankingQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = LangQuery {
        lang: q.lang.clone(),
    }
    .lang()?;
    let (period, by) = q.read()?;
    let (asked, figures) = ranking(&state, period, by).await?;
    let page = RankingsPage {
        frame: frame(lang, "rankings", "/rankings", &user),
        rt: lang.text(),
        asked,
        by,
        figures,
        can_export: user.can(Permission::Export),
    };
    Ok(Html(page.render().map_err(PageError::from)?))
}

/// `GET /rankings.csv[?period=…&by=…]`: the ranking report's CSV (analysts: export).
async fn rankings_csv(
    State(state): State<AppState>,
    _: Page<need::Export>,
    Query(q): Query<RankingQuery>,
) -> Result<Response, PageFailure> {
    let (period, by) = q.read()?;
    let (_, figures) = ranking(&state, period, by).await?;
    let csv = figures.csv().map_err(|e| {
        PageFailure(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("ranking CSV: {e}"),
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", figures.stem()),
            ),
        ],
        csv,
    )
        .into_response())
}

/// `GET /stations/{id}`'s query.
#[derive(Debug, Deserialize)]
struct StationQuery {
    lang: Option<String>,
    span: Option<String>,
}

/// `GET /stations/{id}[?span=24h|7d|30d]`: one station.
async fn station(
    State(state): State<AppState>,
    page: Page<need::Read>,
    Path(id): Path<String>,
    Query(q): Query<StationQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = LangQuery { lang: q.lang }.lang()?;
    let span = match q.span.as_deref() {
        None => Span::default(),
        Some(code) => Span::parse(code).ok_or_else(|| {
            PageFailure(
                StatusCode::BAD_REQUEST,
                format!("span: `{code}` is none of 24h, 7d, 30d"),
            )
        })?,
    };
    let frame = frame(lang, "overview", &format!("/stations/{id}"), &user);
    let target = id.clone();
    let page = with_store(&state, move |store| {
        station_page(store, &target, span, frame)
    })
    .await?;
    match page {
        Some(page) => Ok(Html(page.render().map_err(PageError::from)?)),
        None => Err(PageFailure(
            StatusCode::NOT_FOUND,
            format!("no station `{id}` in the store"),
        )),
    }
}

/// `GET /admin`: the users and the audit log (administrators).
async fn admin(
    State(state): State<AppState>,
    page: Page<need::Admin>,
    Query(q): Query<LangQuery>,
) -> Result<Html<String>, PageFailure> {
    let user = page.user;
    let lang = q.lang()?;
    let accounts = state.accounts.clone();
    let (users, audit) = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::web::AccountError>((
            accounts.users()?,
            accounts.audit_log(None, AUDIT_SHOWN)?,
        ))
    })
    .await
    .map_err(|e| ApiError::unavailable("accounts", e))?
    .map_err(ApiError::from)?;
    let page = AdminPage {
        frame: frame(lang, "admin", "/admin", &user),
        users,
        audit,
        tz: state.zone,
    };
    Ok(Html(page.render().map_err(PageError::from)?))
}
