//! The OpenAPI 3.1 document of `/api/v1`, written from the same table the router is built
//! from ([`super::endpoints`]) — hand-assembled rather than derived with a macro crate
//! (utoipa) because the table already holds every fact the document states (paths, methods,
//! parameters, bodies, what each needs), and a second description beside each handler would
//! be one more thing to keep true. Responses are described by their shape in words and the
//! shared error schema.

use axum::Json;
use serde_json::{Map, Value, json};

use super::{Needs, endpoints};
use crate::web::auth::CurrentUser;

/// The document.
pub fn openapi() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for e in endpoints() {
        let mut parameters: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
            })
            .collect();
        parameters.extend(e.query.iter().map(|(name, description)| {
            json!({"name": name, "in": "query", "required": false,
                   "description": description, "schema": {"type": "string"}})
        }));
        let needs = match e.needs {
            Needs::Nothing => "no login".to_string(),
            Needs::Login => "a login (session or API token)".to_string(),
            Needs::Permission(p) => format!("the permission `{p}` (role, and a token's scopes)"),
        };
        let mut operation = json!({
            "summary": e.summary,
            "description": format!("Needs {needs}."),
            "parameters": parameters,
            "responses": {
                "200": {"description": "success"},
                "400": {"description": "a bad parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "no login", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "403": {"description": "not allowed, or a session's request without its CSRF token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if e.needs == Needs::Nothing {
            operation["security"] = json!([]);
        }
        if !e.body.is_empty() {
            let properties: Map<String, Value> = e
                .body
                .iter()
                .map(|(name, description)| (name.to_string(), json!({"description": description})))
                .collect();
            operation["requestBody"] = json!({
                "content": {"application/json": {"schema": {"type": "object", "properties": properties}}}
            });
        }
        let path = paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| json!({}));
        path[e.method.as_str().to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "lantian",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Air-quality monitoring platform API. Times are RFC 3339 with the network's offset; errors are {code, message}. Browser sessions send their CSRF token in the x-csrf-token header on state-changing requests; machines use API tokens."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ["bad_request", "unauthenticated", "forbidden", "csrf", "not_found", "conflict", "too_many_requests", "locked", "unavailable", "internal"]},
                        "message": {"type": "string"}
                    }
                }
            },
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::web::auth::SESSION_COOKIE},
                "token": {"type": "http", "scheme": "bearer", "description": "lt_<id>_<secret>"}
            }
        },
        "security": [{"session": []}, {"token": []}]
    })
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn document(_user: CurrentUser) -> Json<Value> {
    Json(openapi())
}
