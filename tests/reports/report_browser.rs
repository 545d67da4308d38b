//! The daily and device-health reports in a real browser: Debian's Chromium, headless, loads
//! each page without console errors and shows every section (its DOM after loading holds each
//! heading and the inline charts). A page with a deliberate console error proves the check can
//! fail.
//!
//! Skipped with a message when Chromium is missing; fails instead when `CI` or
//! `LANTIAN_REQUIRE_PEERS` is set (`scripts/test` installs it).

use crate::fixture;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lantian::report::i18n::Words;
use lantian::report::{Lang, ReportConfig, daily_report, health_report};

/// Runs headless Chromium on `page` with `mode` (`--dump-dom` or `--screenshot=…`); returns
/// (stdout, stderr). Killed after 90 s.
fn chromium(exe: &Path, profile: &Path, page: &Path, mode: &str) -> (String, String) {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1000,3000",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (out.join().unwrap(), err.join().unwrap())
}

/// Console messages and uncaught exceptions Chromium logged.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// Loads `page` in Chromium: no console errors, every heading of `headings` in its DOM (as
/// `<h2>`), and a screenshot to `shot` that decodes. Returns the DOM.
fn load(exe: &Path, page: &Path, headings: &[&str], shot: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let (dom, stderr) = chromium(exe, profile.path(), page, "--dump-dom");
    assert!(
        console_errors(&stderr).is_empty(),
        "console errors: {:?}",
        console_errors(&stderr)
    );
    for heading in headings {
        assert!(
            dom.contains(&format!("<h2>{heading}</h2>")),
            "{}: heading {heading} missing from the DOM",
            page.display()
        );
    }
    let profile = tempfile::tempdir().unwrap();
    let (_, stderr) = chromium(
        exe,
        profile.path(),
        page,
        &format!("--screenshot={}", shot.display()),
    );
    assert!(console_errors(&stderr).is_empty(), "{stderr}");
    fixture::assert_png(shot);
    dom
}

#[test]
fn daily_report_loads_in_chromium_and_shows_its_sections() {
    let Some(exe) = crate::common::peers::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    for lang in [Lang::Zh, Lang::En] {
        let cfg = ReportConfig {
            out_dir: dir.path().join(lang.code()),
            lang,
        };
        let files = daily_report(&store, "测试市监测网", fixture::day(), &cfg).unwrap();
        let t = lang.text();
        let headings = [
            t.summary,
            t.overview,
            t.categories,
            t.primary,
            t.towns,
            t.stations,
            t.ytd,
            t.curve,
            t.map,
            t.events,
            t.forecast,
            t.completeness,
        ];
        let shot = dir.path().join(format!("daily-{lang}.png"));
        let dom = load(&exe, &files.html, &headings, &shot);
        assert!(dom.contains(t.daily_title));
        assert_eq!(dom.matches("<svg").count(), 2, "two inline charts");
        assert!(dom.contains(&format!("<html lang=\"{}\">", lang.html_lang())));
    }
}

#[test]
fn health_report_loads_in_chromium_with_its_charts() {
    let Some(exe) = crate::common::peers::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = crate::report_health::store(dir.path());
    let devices = crate::report_health::devices();
    for lang in [Lang::Zh, Lang::En] {
        let cfg = ReportConfig {
            out_dir: dir.path().join(lang.code()),
            lang,
        };
        let files = health_report(&store, "测试市监测网", fixture::day(), &devices, &cfg).unwrap();
        let t = lang.text();
        let headings = [
            t.visit_first,
            t.uptime,
            t.capture_section,
            t.alarms,
            t.checks,
        ];
        let shot = dir.path().join(format!("health-{lang}.png"));
        let dom = load(&exe, &files.html, &headings, &shot);
        assert_eq!(dom.matches("<svg").count(), 2, "two inline charts");
        assert!(dom.contains(t.states_chart) && dom.contains(t.capture_chart));
    }
}

#[test]
fn the_console_check_sees_errors() {
    let Some(exe) = crate::common::peers::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('report-broken'); undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_, stderr) = chromium(&exe, profile.path(), &page, "--dump-dom");
    let errors = console_errors(&stderr);
    assert!(
        errors.iter().any(|l| l.contains("report-broken")),
        "not seen: {stderr}"
    );
    assert!(
        errors.iter().any(|l| l.contains("Uncaught")),
        "not seen: {stderr}"
    );
}
