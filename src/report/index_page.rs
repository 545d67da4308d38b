//! The index page (`index.html` in the output folder): every report found there, newest
//! first.
//!
//! Reports are recognised by the `<meta name="lantian:kind">` their pages carry; the period
//! they cover (`lantian:period`) and the date they sort by (`lantian:sort`: the day, or a
//! period's last day) come from the same place, the title from `<title>`. The page is rebuilt
//! from the folder after every report, so it also lists reports written by earlier runs.

use std::path::{Path, PathBuf};

use super::html::Html;
use super::i18n::Words;
use super::{ReportError, write_file};
use crate::lang::Lang;

/// A report found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File name of the HTML.
    pub file: String,
    /// `daily`, `ranking`, `health`.
    pub kind: String,
    /// The period as written in the page.
    pub period: String,
    /// Sort key (ISO date).
    pub sort: String,
    /// The page title.
    pub title: String,
    /// Other files of the report (CSV, PNGs), relative to the folder.
    pub files: Vec<String>,
}

/// The `content` of `<meta name="{name}" content="…">` in `head` (unescaped for `&amp;`).
fn meta(head: &str, name: &str) -> Option<String> {
    let key = format!("<meta name=\"{name}\" content=\"");
    let start = head.find(&key)? + key.len();
    let end = head[start..].find('"')? + start;
    Some(unescape(&head[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every report in `dir`, newest first (then by kind and file name).
pub fn scan(dir: &Path) -> Result<Vec<Entry>, ReportError> {
    let io = |source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io)? {
        let path = item.map_err(io)?.path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        if !file.ends_with(".html") || file == "index.html" {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let head = &text[..text.find("</head>").unwrap_or(text.len())];
        let Some(kind) = meta(head, "lantian:kind") else {
            continue;
        };
        let title = head
            .find("<title>")
            .and_then(|s| {
                head[s + 7..]
                    .find("</title>")
                    .map(|e| &head[s + 7..s + 7 + e])
            })
            .map(unescape)
            .unwrap_or_else(|| file.clone());
        let stem = file.trim_end_matches(".html");
        let mut files = Vec::new();
        if dir.join(format!("{stem}.csv")).exists() {
            files.push(format!("{stem}.csv"));
        }
        if let Ok(images) = std::fs::read_dir(dir.join(stem)) {
            let mut names: Vec<String> = images
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".png"))
                .map(|n| format!("{stem}/{n}"))
                .collect();
            names.sort();
            files.extend(names);
        }
        out.push(Entry {
            period: meta(head, "lantian:period").unwrap_or_default(),
            sort: meta(head, "lantian:sort").unwrap_or_default(),
            kind,
            title,
            file,
            files,
        });
    }
    out.sort_by(|a, b| {
        b.sort
            .cmp(&a.sort)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.file.cmp(&b.file))
    });
    Ok(out)
}

fn kind_name(lang: Lang, kind: &str) -> String {
    match kind {
        "daily" => lang.pick("日报", "daily").into(),
        "ranking" => lang.pick("排名", "ranking").into(),
        "health" => lang.pick("设备运行", "device health").into(),
        other => other.into(),
    }
}

/// Rebuilds `dir/index.html`; returns its path.
pub(super) fn update(dir: &Path, lang: Lang) -> Result<PathBuf, ReportError> {
    let entries = scan(dir)?;
    let t = lang.text();
    let mut h = Html::document(lang, t.index_title, &[]);
    h.element("div", &[("class", "masthead")], "lantian");
    h.open("div", &[("class", "rule")]);
    h.close("div");
    h.element("h1", &[], t.index_title);
    h.section("reports", t.index_title);
    h.open("table", &[("class", "data")]);
    h.open("thead", &[]);
    h.open("tr", &[]);
    for head in [t.period, t.kind, t.report, t.files] {
        h.element("th", &[], head);
    }
    h.close("tr");
    h.close("thead");
    h.open("tbody", &[]);
    for e in &entries {
        h.open("tr", &[]);
        h.element("td", &[("class", "c")], &e.period);
        h.element("td", &[("class", "c")], &kind_name(lang, &e.kind));
        h.open("td", &[]);
        h.element("a", &[("href", &e.file)], &e.title);
        h.close("td");
        h.open("td", &[]);
        for (i, f) in e.files.iter().enumerate() {
            if i > 0 {
                h.text(" · ");
            }
            let label = f.rsplit('/').next().unwrap_or(f);
            h.element("a", &[("href", f)], label);
        }
        h.close("td");
        h.close("tr");
    }
    h.close("tbody");
    h.close("table");
    if entries.is_empty() {
        h.p(t.none_found);
    }
    h.end_section();
    let path = dir.join("index.html");
    write_file(&path, h.finish().as_bytes())?;
    Ok(path)
}
