//! The analysts' pages and the public map over real HTTP: the reports page (archive,
//! generation by analysts only, with CSRF, audited, and nothing written or read outside the
//! report folder whatever the form says), the data explorer (charts, the streamed CSV it links
//! to, the AQI of an uploaded CSV as `lantian aqi` computes it, bounded), and the public AQI
//! map (absent by default; without login, AQI, category and primary pollutant only, limited).

use lantian::aqi::csv::{AqiCsvOptions, CategoryNames, Mode, aqi_csv};
use lantian::web::WebConfig;
use reqwest::{Method, StatusCode};

use crate::harness::{Client, Reply, Web, read};
use crate::seed;

/// Posts an urlencoded form with its CSRF field (not the header).
async fn post_form(client: &Client, path: &str, fields: &[(&str, &str)]) -> Reply {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("csrf", client.csrf.as_deref().unwrap_or(""));
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    let request = bare_post(client, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish());
    read(request).await
}

/// A `POST` with `client`'s session cookie and no CSRF header (a browser's form sends the
/// token as a field).
fn bare_post(client: &Client, path: &str) -> reqwest::RequestBuilder {
    let mut request = client
        .http
        .request(Method::POST, format!("{}{path}", client.base));
    if let Some(cookie) = &client.cookie {
        request = request.header("cookie", cookie);
    }
    request
}

/// Posts a multipart form: `csrf` first, then `fields`, then the file.
async fn post_upload(
    client: &Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    file: &[u8],
) -> Reply {
    let boundary = "lantian-test-boundary-7d1c";
    let mut body = Vec::new();
    let mut part = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    part("csrf", csrf);
    for (k, v) in fields {
        part(k, v);
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = bare_post(client, path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    read(request).await
}

fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the element with `id` (its inner HTML, unescaped).
fn inner(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = start + html[start..].find('>').unwrap() + 1;
    let close = open + html[open..].find("</").unwrap();
    unescape(&html[open..close])
}

#[tokio::test]
async fn reports_are_generated_by_analysts_only_inside_their_folder() {
    let web = Web::start_with(WebConfig::default(), |s| {
        seed::fill(s);
    })
    .await;
    let leader = web.login("leader").await;
    let page = leader.get("/reports?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("No reports in the report folder yet"));
    assert!(
        !page.text.contains("report-generate"),
        "no form for a leader"
    );
    let refused = post_form(
        &leader,
        "/reports/generate",
        &[("kind", "ranking"), ("period", "2026-11")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);

    let analyst = web.login("analyst").await;
    let mut no_token = web.login("analyst").await;
    no_token.csrf = Some("0".repeat(64));
    let refused = post_form(
        &no_token,
        "/reports/generate",
        &[("kind", "ranking"), ("period", "2026-11")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "csrf");

    let written = post_form(
        &analyst,
        "/reports/generate?lang=en",
        &[
            ("kind", "ranking"),
            ("period", "2026-11"),
            ("by", "station"),
        ],
    )
    .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text);
    let file = inner(&written.text, "report-written");
    assert!(web.report_dir().join(&file).is_file(), "{file}");
    assert!(
        written.text.contains(&format!("data-file=\"{file}\"")),
        "listed"
    );
    let view = analyst.get(&format!("/api/v1/reports/files/{file}")).await;
    assert_eq!(view.status, StatusCode::OK);
    let audit = web.server.state.accounts.audit_log(None, 10).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "report" && e.actor == "analyst" && e.target == "ranking 2026-11"),
        "{audit:?}"
    );

    // Bad inputs are refused naming the field, and nothing is written anywhere.
    let before: Vec<_> = std::fs::read_dir(web.dir.path()).unwrap().collect();
    for (fields, field) in [
        (vec![("kind", "daily"), ("date", "../../../tmp/x")], "date:"),
        (
            vec![("kind", "health"), ("date", "2026-11-01/../../x")],
            "date:",
        ),
        (vec![("kind", "ranking"), ("period", "../../x")], "period:"),
        (
            vec![("kind", "../national"), ("date", "2026-11-01")],
            "kind:",
        ),
        (
            vec![("kind", "ranking"), ("period", "2026-11"), ("by", "/etc")],
            "by:",
        ),
    ] {
        let bad = post_form(&analyst, "/reports/generate?lang=en", &fields).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(
            inner(&bad.text, "report-error").contains(field),
            "{fields:?}: {}",
            bad.text
        );
    }
    let after: Vec<_> = std::fs::read_dir(web.dir.path()).unwrap().collect();
    assert_eq!(before.len(), after.len());
    web.server.stop().await;
}

#[tokio::test]
async fn the_explorer_charts_links_the_stream_and_computes_an_uploaded_csv() {
    let web = Web::start_with(WebConfig::default(), |s| {
        seed::fill(s);
    })
    .await;
    let leader = web.login("leader").await;
    assert_eq!(leader.get("/explore").await.status, StatusCode::FORBIDDEN);
    let analyst = web.login("analyst").await;
    let page = analyst
        .get("/explore?lang=en&station=A&station=B&parameter=pm25&resolution=hour&from=2026-11-01&to=2026-11-03")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.text.matches("<figure class=\"chart\"").count(), 2);
    assert!(
        page.text
            .contains("data-station=\"B\" data-parameter=\"pm25\"")
    );
    let csv_link = unescape(&inner(&page.text, "downloads")[..])
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(csv_link.starts_with("/api/v1/series?") && csv_link.ends_with("format=csv"));
    let csv = analyst.get(&csv_link).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.text.lines().count(),
        1 + 2 * 39,
        "header + 39 hours (01:00Z on the 1st to 15:00Z on the 2nd) × 2 stations: {}",
        csv.text
    );
    let bad = analyst
        .get("/explore?lang=en&station=A&parameter=pm25&from=2026-11-03&to=2026-11-01")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(inner(&bad.text, "explore-error").contains("before"));
    let bad = analyst.get("/explore?lang=en&parameter=benzene").await;
    assert!(inner(&bad.text, "explore-error").contains("benzene"));

    // The upload: as `lantian aqi` (the library function it calls) computes it.
    let input = "time,station,pm25,pm10,so2,no2,co,o3\n\
                 2026-03-01 01:00,A,80,120,10,40,0.8,60\n\
                 2026-03-01 02:00,A,x,120,10,40,0.8,60\n\
                 2026-03-01 03:00,A,20,30,5,20,0.4,200\n";
    let mut expected = Vec::new();
    let options = AqiCsvOptions {
        standard: "hj633-2012".parse().unwrap(),
        mode: Mode::Hourly,
        names: CategoryNames::En,
    };
    aqi_csv(input.as_bytes(), &mut expected, options, &mut |_| {}).unwrap();
    let csrf = analyst.csrf.clone().unwrap();
    let fields = [
        ("standard", "hj633-2012"),
        ("mode", "hourly"),
        ("as", "page"),
    ];
    let shown = post_upload(
        &analyst,
        "/explore/aqi?lang=en",
        &csrf,
        &fields,
        input.as_bytes(),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(
        inner(&shown.text, "aqi-csv"),
        String::from_utf8(expected.clone()).unwrap()
    );
    assert!(
        shown.text.contains("data-line=\"3\" data-field=\"pm25\""),
        "{}",
        shown.text
    );
    let fields = [
        ("standard", "hj633-2012"),
        ("mode", "hourly"),
        ("as", "csv"),
    ];
    let file = post_upload(
        &analyst,
        "/explore/aqi?lang=en",
        &csrf,
        &fields,
        input.as_bytes(),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("in-aqi.csv")
    );
    assert_eq!(file.text, String::from_utf8(expected).unwrap());
    // A bad header names its column; a wrong token, a leader and a huge file are refused.
    let refused = post_upload(
        &analyst,
        "/explore/aqi?lang=en",
        &csrf,
        &fields[..2],
        b"time,pm25[furlong]\n1,2\n",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        inner(&refused.text, "aqi-error").contains("column 2 `pm25[furlong]`"),
        "{}",
        refused.text
    );
    let wrong = post_upload(
        &analyst,
        "/explore/aqi",
        &"0".repeat(64),
        &fields,
        input.as_bytes(),
    )
    .await;
    assert_eq!(wrong.code(), "csrf");
    let leader_csrf = leader.csrf.clone().unwrap();
    let leader_upload = post_upload(
        &leader,
        "/explore/aqi",
        &leader_csrf,
        &fields,
        input.as_bytes(),
    )
    .await;
    assert_eq!(leader_upload.status, StatusCode::FORBIDDEN);
    let huge = vec![b'1'; 4 * 1024 * 1024];
    let too_big = post_upload(&analyst, "/explore/aqi", &csrf, &fields, &huge).await;
    assert!(too_big.status.is_client_error(), "{}", too_big.status);
    web.server.stop().await;
}

#[tokio::test]
async fn the_public_map_is_off_by_default() {
    let web = Web::start_with(WebConfig::default(), |s| {
        seed::fill(s);
    })
    .await;
    let anonymous = web.anonymous();
    for path in ["/public/map", "/public/map.json"] {
        assert_eq!(
            anonymous.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    web.server.stop().await;
}

#[tokio::test]
async fn the_public_map_shows_aqi_only_without_login_and_is_limited() {
    let settings = WebConfig {
        public_map: true,
        ..WebConfig::default()
    };
    let web = Web::start_with(settings, |s| {
        seed::fill(s);
        let stations: Vec<String> = seed::STATIONS.iter().map(|s| s.to_string()).collect();
        let days = lantian::assess::DateRange {
            first: seed::start().date_naive(),
            last: (seed::start() + chrono::TimeDelta::hours(seed::HOURS)).date_naive(),
        };
        lantian::compute::recompute_days(
            s,
            lantian::compute::IndexConfig::default(),
            &stations,
            days,
        )
        .unwrap();
    })
    .await;
    let anonymous = web.anonymous();
    let json = anonymous.get("/public/map.json").await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text);
    let map = json.json();
    let stations = map["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 3);
    for s in stations {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "aqi", "id", "lat", "level", "lon", "name", "name_en", "primary"
            ]
        );
        assert!(s["aqi"].as_u64().is_some(), "{s}");
    }
    let page = anonymous.get("/public/map?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("station-map") && !page.text.contains("/stations/"));
    assert!(!page.text.contains("logout"));
    let mut limited = false;
    // 60 a minute per address: the 61st is refused.
    for _ in 0..61 {
        if anonymous.get("/public/map.json").await.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the public map is rate-limited per address");
    web.server.stop().await;
}

#[tokio::test]
async fn the_station_page_lists_its_source_flags_or_says_there_are_none() {
    let web = Web::start_with(WebConfig::default(), |s| {
        seed::fill(s);
        let mut flag = crate::common::store_conformance::source_flags::flag(
            "A",
            &[lantian::units::Parameter::Pm25],
            0,
        );
        flag.start = seed::start() + chrono::TimeDelta::hours(40);
        flag.end = flag.start + chrono::TimeDelta::hours(3);
        flag.peak.time = flag.start + chrono::TimeDelta::hours(1);
        s.put_source_flags(&[flag]).unwrap();
    })
    .await;
    let leader = web.login("leader").await;
    let a = leader.get("/stations/A?lang=en").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.text.matches("<tr data-source=").count(), 1, "{}", a.text);
    assert!(a.text.contains("id=\"roses\""));
    let b = leader.get("/stations/B?lang=en").await;
    assert!(
        inner(&b.text, "no-flags").contains("has not analysed"),
        "{}",
        b.text
    );
    web.server.stop().await;
}
