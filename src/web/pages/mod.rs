//! The platform's pages (server-rendered HTML, embedded assets), built by the pages slice on
//! [`crate::web::AppState`]. Every page takes a [`crate::web::auth::PageUser`] (or
//! [`crate::web::auth::Page`]`<need::…>`), which sends a logged-out browser to `/login`;
//! forms carry the session's CSRF token ([`crate::web::auth::CurrentUser::csrf_token`]) in the
//! field [`crate::web::auth::CSRF_FIELD`], scripts in the header
//! [`crate::web::auth::CSRF_HEADER`].

use axum::Router;

use super::state::AppState;

/// The pages' routes (merged into [`crate::web::router`]; `/login`'s `POST` and `/logout`
/// are the server's, the login page's `GET` is a page's).
pub fn routes() -> Router<AppState> {
    Router::new()
}
