//! Every endpoint of the API table: authentication, role checks, token scopes, paging, bad
//! parameters, streaming, alarm steps, the OpenAPI document.

use lantian::web::api::{Needs, endpoints};
use lantian::web::{Permission, Role};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Client, Web, read};
use crate::seed;

/// A path of the table with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "00000000abcd")
        .replace("{step}", "comment")
        .replace("{name}", "nobody-here")
        .replace("{path}", "no-such-report.html")
}

async fn ask(client: &Client, method: &Method, path: &str) -> crate::harness::Reply {
    let body = (*method != Method::GET).then(|| json!({}));
    client
        .send(method.clone(), &format!("/api/v1{path}"), body)
        .await
}

#[tokio::test]
async fn every_endpoint_needs_a_login_and_the_right_role() {
    let web = Web::start().await;
    let anonymous = web.anonymous();
    let mut users = Vec::new();
    for role in Role::ALL {
        users.push((role, web.login(role.code()).await));
    }
    let table = endpoints();
    assert!(table.len() >= 20, "the table lists the API");
    for e in &table {
        let path = concrete(e.path);
        if e.needs != Needs::Nothing {
            let reply = ask(&anonymous, &e.method, &path).await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::UNAUTHORIZED, "unauthenticated".to_string()),
                "{} {path} without a login: {}",
                e.method,
                reply.text
            );
        }
        if e.path == "/session" && e.method == Method::DELETE {
            continue; // would log the users out
        }
        for (role, client) in &users {
            let reply = ask(client, &e.method, &path).await;
            let allowed = match e.needs {
                Needs::Permission(p) => role.grants(p),
                Needs::Login | Needs::Nothing => true,
            };
            if allowed {
                assert!(
                    !matches!(
                        reply.status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                    ) || reply.code() == "csrf",
                    "{} {path} as {role}: {} {}",
                    e.method,
                    reply.status,
                    reply.text
                );
                assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            } else {
                assert_eq!(
                    (reply.status, reply.code()),
                    (StatusCode::FORBIDDEN, "forbidden".to_string()),
                    "{} {path} as {role}: {}",
                    e.method,
                    reply.text
                );
            }
        }
    }
    web.server.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_table() {
    let web = Web::start().await;
    let client = web.login("leader").await;
    let reply = client.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for e in endpoints() {
        let method = e.method.as_str().to_ascii_lowercase();
        let operation = &doc["paths"][format!("/api/v1{}", e.path)][&method];
        assert!(operation.is_object(), "{method} {} missing", e.path);
        for (name, _) in e.query {
            assert!(
                operation["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == *name),
                "{} lacks {name}",
                e.path
            );
        }
    }
    web.server.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let web = Web::start_with(Default::default(), |s| {
        seed::fill(s);
    })
    .await;
    let client = web.login("admin").await;
    for (path, names) in [
        ("/series?resolution=weekly", "resolution=weekly"),
        ("/series?from=yesterday", "from=yesterday"),
        (
            "/series?from=2026-11-02&to=2026-11-01",
            "`from` must be before `to`",
        ),
        ("/series?parameter=pm99", "parameter=pm99"),
        ("/series?format=xml", "format=xml"),
        ("/aqi?resolution=minute", "hourly or daily"),
        ("/rankings", "`period` is required"),
        ("/rankings?period=2026-13", "period=2026-13"),
        ("/rankings?period=2026-11&by=province", "by=province"),
        (
            "/rankings?period=2026-11&end=2026-11-03",
            "`end` only applies",
        ),
        ("/alarms?severity=huge", "severity=huge"),
        ("/alarms?limit=0", "limit=0"),
        ("/alarms?limit=5&limit=6", "more than once"),
        ("/jobs?offset=-1", "offset=-1"),
        ("/alarms/zz", "zz"),
        ("/health?problems=maybe", "problems=maybe"),
    ] {
        let reply = client.get(&format!("/api/v1{path}")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.code(), "bad_request", "{path}");
        assert!(
            reply.json()["message"].as_str().unwrap().contains(names),
            "{path}: {}",
            reply.text
        );
    }
    for (method, path, body) in [
        (Method::POST, "/users", "{\"name\": 5}"),
        (Method::POST, "/tokens", "not json"),
        (Method::POST, "/session", "{}"),
    ] {
        let reply = read(
            client
                .request(method, &format!("/api/v1{path}"))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.code(), "bad_request", "{path}");
    }
    web.server.stop().await;
}

#[tokio::test]
async fn lists_page_and_series_stream_in_json_and_csv() {
    let web = Web::start_with(Default::default(), |s| {
        seed::fill(s);
    })
    .await;
    let analyst = web.login("analyst").await;
    let first = analyst
        .get("/api/v1/jobs?from=2026-11-01&to=2026-11-03&limit=2")
        .await
        .json();
    assert_eq!(first["total"], 5);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["next_offset"], 2);
    let last = analyst
        .get("/api/v1/jobs?from=2026-11-01&to=2026-11-03&limit=2&offset=4")
        .await
        .json();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last.get("next_offset").is_none());
    assert!(
        last["items"][0]["scheduled"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let range = "from=2026-11-01T08:00:00%2B08:00&to=2026-11-03T09:00:00%2B08:00";
    let series = analyst
        .get(&format!(
            "/api/v1/series?station=A,B&parameter=pm25&{range}"
        ))
        .await;
    assert_eq!(series.status, StatusCode::OK, "{}", series.text);
    let records = series.json()["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 2 * seed::HOURS as usize);
    assert_eq!(records[0]["time"], "2026-11-01T09:00:00+08:00");
    assert_eq!(records[0]["unit"], "ug/m3");
    let csv = analyst
        .get(&format!("/api/v1/series?{range}&format=csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "station,parameter,resolution,time,value,unit,flag,count"
    );
    assert_eq!(lines.len(), 1 + 3 * 2 * seed::HOURS as usize);
    // Leaders read but do not export.
    let leader = web.login("leader").await;
    let refused = leader
        .get(&format!("/api/v1/series?{range}&format=csv"))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let stations = leader.get("/api/v1/stations").await.json();
    assert_eq!(stations.as_array().unwrap().len(), 3);
    web.server.stop().await;
}

#[tokio::test]
async fn token_scopes_limit_what_a_token_does() {
    let web = Web::start_with(Default::default(), |s| {
        seed::fill(s);
    })
    .await;
    let analyst = web.login("analyst").await;
    let issued = analyst
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "grafana", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let token = issued.json()["token"].as_str().unwrap().to_string();
    let id = issued.json()["info"]["id"].as_str().unwrap().to_string();
    // Never beyond the role.
    let beyond = analyst
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "x", "scopes": ["maintain"]})),
        )
        .await;
    assert_eq!(beyond.status, StatusCode::FORBIDDEN);
    let listed = analyst.get("/api/v1/tokens").await.json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("hash").is_none())
    );
    let mut machine = web.anonymous();
    machine.token = Some(token.clone());
    assert_eq!(machine.get("/api/v1/stations").await.status, StatusCode::OK);
    let csv = machine.get("/api/v1/series?format=csv").await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN);
    assert!(
        csv.text.contains("lacks the scope `export`"),
        "{}",
        csv.text
    );
    // A token makes no tokens, and needs no CSRF token (no cookie, no ambient authority).
    let more = machine
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "y", "scopes": ["read"]})),
        )
        .await;
    assert_eq!(more.status, StatusCode::FORBIDDEN, "{}", more.text);
    let revoked = analyst
        .send(Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    assert_eq!(
        machine.get("/api/v1/stations").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut forged = web.anonymous();
    forged.token = Some(format!("{}0", &token[..token.len() - 1]));
    assert_eq!(
        forged.get("/api/v1/stations").await.status,
        StatusCode::UNAUTHORIZED
    );
    let log = web.server.state.accounts.audit_log(None, 50).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "token.issue" && e.actor == "analyst")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "token.revoke" && e.target == id)
    );
    web.server.stop().await;
}

#[tokio::test]
async fn maintainers_take_alarm_steps_audited_with_their_name() {
    let mut alarm = String::new();
    let web = Web::start_with(Default::default(), |s| alarm = seed::fill(s)).await;
    let range = "from=2026-11-01&to=2026-11-04";
    let leader = web.login("leader").await;
    let list = leader
        .get(&format!("/api/v1/alarms?{range}&state=open"))
        .await
        .json();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], alarm);
    assert_eq!(list["items"][0]["severity"], "major");
    let short = &alarm[..8];
    let ack = leader
        .send(Method::POST, &format!("/api/v1/alarms/{short}/ack"), None)
        .await;
    assert_eq!(
        ack.status,
        StatusCode::FORBIDDEN,
        "leaders do not handle alarms"
    );
    let maintainer = web.login("maintainer").await;
    let ack = maintainer
        .send(Method::POST, &format!("/api/v1/alarms/{short}/ack"), None)
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    assert_eq!(ack.json()["state"], "acknowledged");
    assert_eq!(ack.json()["acknowledged"]["by"], "maintainer");
    let again = maintainer
        .send(Method::POST, &format!("/api/v1/alarms/{short}/ack"), None)
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "conflict".into())
    );
    let empty = maintainer
        .send(
            Method::POST,
            &format!("/api/v1/alarms/{short}/close"),
            Some(json!({"note": " "})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.text);
    for (step, body) in [
        ("assign", json!({"to": "li.wei"})),
        ("comment", json!({"text": "sensor cleaned"})),
        ("close", json!({"note": "instrument recalibrated"})),
    ] {
        let reply = maintainer
            .send(
                Method::POST,
                &format!("/api/v1/alarms/{short}/{step}"),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{step}: {}", reply.text);
    }
    let shown = leader
        .get(&format!("/api/v1/alarms/{short}?lang=zh"))
        .await
        .json();
    assert_eq!(shown["state"], "closed");
    let actions: Vec<(String, String)> = shown["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["event"].as_str().unwrap().into(),
                a["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    for event in ["acknowledged", "assigned", "commented", "closed"] {
        assert!(
            actions.contains(&(event.to_string(), "maintainer".to_string())),
            "{event} by maintainer in {actions:?}"
        );
    }
    let unknown = leader.get("/api/v1/alarms/ffffffff").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let log = web.server.state.accounts.audit_log(None, 50).unwrap();
    for action in [
        "alarm.acknowledge",
        "alarm.assign",
        "alarm.comment",
        "alarm.close",
    ] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.actor == "maintainer" && e.target == alarm),
            "{action}"
        );
    }
    web.server.stop().await;
}

#[tokio::test]
async fn admins_manage_users_and_others_cannot() {
    let web = Web::start().await;
    let admin = web.login("admin").await;
    let added = admin
        .send(
            Method::POST,
            "/api/v1/users",
            Some(json!({"name": "zhang", "role": "analyst", "password": "a long password 1"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let weak = admin
        .send(
            Method::POST,
            "/api/v1/users",
            Some(json!({"name": "wang", "role": "analyst", "password": "short"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    let zhang = web.login_with("zhang", "a long password 1").await;
    let disabled = admin
        .send(
            Method::POST,
            "/api/v1/users/zhang",
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    assert_eq!(
        zhang.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED,
        "a disabled user's session ends"
    );
    let myself = admin
        .send(
            Method::POST,
            "/api/v1/users/admin",
            Some(json!({"role": "leader"})),
        )
        .await;
    assert_eq!(myself.status, StatusCode::CONFLICT);
    let audit = admin.get("/api/v1/audit?limit=100").await.json();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "user.disable" && e["actor"] == "admin")
    );
    assert!(Permission::ALL.iter().all(|p| Role::Admin.grants(*p)));
    web.server.stop().await;
}

#[tokio::test]
async fn rankings_are_the_numbers_of_lantian_rank() {
    use lantian::assess::{AssessConfig, GroupBy, Period, rank_store, rank_table};
    let web = Web::start_with(Default::default(), |s| {
        seed::fill(s);
    })
    .await;
    let store = lantian::store::open(&lantian::store::StoreUrl::Sqlite(
        web.dir.path().join("store.db"),
    ))
    .unwrap();
    let period: Period = "2026-11".parse().unwrap();
    let expected = rank_store(&*store, period, GroupBy::Station, &AssessConfig::default()).unwrap();
    let leader = web.login("leader").await;
    let reply = leader.get("/api/v1/rankings?period=2026-11").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let rows = reply.json()["rows"].clone();
    let expected_rows: Vec<serde_json::Value> = expected.rows.iter().map(|r| r.to_json()).collect();
    assert_eq!(rows, serde_json::Value::from(expected_rows));
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let csv = leader
        .get("/api/v1/rankings?period=2026-11&by=district&format=csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(
        csv.text.lines().next().unwrap(),
        rank_table::header(GroupBy::District).join(",")
    );
    web.server.stop().await;
}
