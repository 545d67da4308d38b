//! A small, safe HTML writer for the reports.
//!
//! Text and attribute values are always escaped; the only unescaped content is the inline SVG
//! that [`super::charts`] produces (plotters escapes the text inside it). The output is
//! XHTML-compatible (void elements are self-closed, every element is closed, attributes are
//! quoted) so that any XML parser — and [`check_well_formed`] — can check it.
//!
//! The page style ([`STYLE`]) imitates a bureau's publication: a red masthead with the issuing
//! unit, a red rule, a centred title, numbered sections, ruled tables, and an A4 print layout.
//! Everything is inline: no external style sheet, script, font or image.

use crate::lang::Lang;

mod check;
pub use check::{NotWellFormed, check_well_formed};

/// The inline style sheet of every report (A4, print-friendly).
///
/// The font stacks put CJK system fonts (Noto/Source Han, Microsoft YaHei, PingFang, SimSun)
/// after the Latin ones, so Chinese names render wherever the reader's system has a CJK font;
/// nothing is downloaded.
pub const STYLE: &str = r#"
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
:root { --red: #C00000; --rule: #444; --muted: #666; --band: #F3F3F3; }
* { box-sizing: border-box; }
html { background: #E8E8E8; }
body { margin: 0; color: #111; font-size: 10.5pt; line-height: 1.55;
  font-family: "DejaVu Serif", "Times New Roman", "Noto Serif CJK SC", "Source Han Serif SC",
    "Songti SC", "SimSun", "WenQuanYi Zen Hei", serif; }
.page { width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 14mm 15mm 16mm 15mm;
  background: #FFF; box-shadow: 0 0 4px rgba(0,0,0,.25); }
h1, h2, h3, .masthead, th, .kpi, .meta, svg text, nav, .badge {
  font-family: "DejaVu Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC",
    "PingFang SC", "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei", sans-serif; }
.masthead { text-align: center; color: var(--red); font-size: 22pt; font-weight: bold;
  letter-spacing: .08em; margin: 0 0 2mm 0; }
.rule { border: 0; border-top: 2.5px solid var(--red); border-bottom: 0.8px solid var(--red);
  height: 4px; margin: 0 0 4mm 0; }
.meta { display: flex; justify-content: space-between; color: var(--muted); font-size: 9pt;
  margin-bottom: 3mm; }
h1 { text-align: center; font-size: 17pt; margin: 2mm 0 4mm 0; }
h2 { font-size: 12.5pt; border-left: 4px solid var(--red); padding-left: 2.5mm;
  margin: 6mm 0 2.5mm 0; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm 0; }
section { page-break-inside: auto; }
p { margin: 1.5mm 0; text-align: justify; }
.summary { border: 1px solid #C9C9C9; background: #FAFAF5; padding: 3mm 4mm; margin: 2mm 0 3mm 0; }
.summary p { text-indent: 2em; margin: 0; }
.kpis { display: flex; gap: 3mm; margin: 2mm 0 3mm 0; flex-wrap: wrap; }
.kpi { flex: 1 1 0; min-width: 32mm; border: 1px solid #CCC; padding: 2mm 3mm; text-align: center; }
.kpi .v { font-size: 20pt; font-weight: bold; line-height: 1.2; }
.kpi .v.t { font-size: 12.5pt; line-height: 1.35; padding: 1.6mm 0; }
.kpi .k { font-size: 8.5pt; color: var(--muted); }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 3mm 0; font-size: 9pt;
  page-break-inside: auto; }
caption { caption-side: top; text-align: left; font-size: 9pt; color: var(--muted);
  padding-bottom: 1mm; }
th, td { border: 0.6px solid #999; padding: 0.8mm 1.6mm; vertical-align: middle; }
td { white-space: nowrap; }
td.wrap { white-space: normal; min-width: 40mm; }
td.narrow { white-space: normal; max-width: 30mm; }
th { background: #E9E9E9; font-weight: bold; text-align: center; font-size: 8.5pt; }
tr { page-break-inside: avoid; }
tbody tr:nth-child(even) td { background-color: var(--band); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.c { text-align: center; white-space: nowrap; }
td.cat, td.cat:nth-child(n) { text-align: center; white-space: nowrap; }
td.good { color: #006100; }
td.bad { color: #9C0006; font-weight: bold; }
.badge { display: inline-block; padding: 0.3mm 2mm; border-radius: 1mm; font-size: 9pt; }
figure { margin: 2mm 0 3mm 0; text-align: center; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 1mm; }
.placeholder { border: 1px dashed #AAA; color: var(--muted); padding: 3mm 4mm; background: #FCFCFC; }
.note { font-size: 8.5pt; color: var(--muted); }
.bar { display: inline-block; height: 2.2mm; background: #5B8DB8; vertical-align: middle; }
.bar.low { background: #C0504D; }
footer { margin-top: 8mm; border-top: 0.6px solid #999; padding-top: 2mm; font-size: 8pt;
  color: var(--muted); }
nav ul { list-style: none; padding: 0; }
a { color: #1F4E79; }
@media print {
  html { background: none; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Escapes text for element content and attribute values (`& < > " '`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in XHTML.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
}

/// The HTML void elements this writer may emit (self-closed).
const VOID: [&str; 4] = ["meta", "br", "hr", "col"];

/// A report document being written.
#[derive(Debug)]
pub struct Html {
    buf: String,
    open: Vec<&'static str>,
}

impl Html {
    /// Starts a document: doctype, `<html lang>`, head with charset, viewport, title, the
    /// `meta` entries (`<meta name content>`, e.g. `lantian:kind` for `index_page`) and
    /// the inline [`STYLE`], then `<body><div class="page">`.
    pub fn document(lang: Lang, title: &str, meta: &[(&str, &str)]) -> Html {
        let mut h = Html {
            buf: String::with_capacity(64 * 1024),
            open: Vec::new(),
        };
        h.buf.push_str("<!DOCTYPE html>\n");
        h.open("html", &[("lang", lang.html_lang())]);
        h.open("head", &[]);
        h.void("meta", &[("charset", "utf-8")]);
        h.void(
            "meta",
            &[
                ("name", "viewport"),
                ("content", "width=device-width, initial-scale=1"),
            ],
        );
        h.void("meta", &[("name", "generator"), ("content", "lantian")]);
        for (name, content) in meta {
            h.void("meta", &[("name", name), ("content", content)]);
        }
        h.element("title", &[], title);
        h.open("style", &[]);
        h.buf.push_str(STYLE);
        h.close("style");
        h.close("head");
        h.open("body", &[]);
        h.open("div", &[("class", "page")]);
        h
    }

    /// Opens `tag` with escaped attributes.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&str, &str)]) {
        self.start_tag(tag, attrs);
        self.buf.push('>');
        self.open.push(tag);
    }

    /// Writes a void element (`<meta … />`).
    pub fn void(&mut self, tag: &'static str, attrs: &[(&str, &str)]) {
        debug_assert!(VOID.contains(&tag), "{tag} is not a void element");
        self.start_tag(tag, attrs);
        self.buf.push_str(" />");
    }

    fn start_tag(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (k, v) in attrs {
            debug_assert!(
                k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "attribute name {k}"
            );
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, v);
            self.buf.push('"');
        }
    }

    /// Closes `tag`, which must be the innermost open element.
    pub fn close(&mut self, tag: &'static str) {
        let top = self.open.pop();
        debug_assert_eq!(top, Some(tag), "closing {tag}");
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        if matches!(
            tag,
            "p" | "div" | "section" | "table" | "tr" | "h1" | "h2" | "h3" | "figure" | "li"
        ) {
            self.buf.push('\n');
        }
    }

    /// Escaped text.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.buf, text);
    }

    /// `<tag attrs>text</tag>`.
    pub fn element(&mut self, tag: &'static str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        self.text(text);
        self.close(tag);
    }

    /// A paragraph of text.
    pub fn p(&mut self, text: &str) {
        self.element("p", &[], text);
    }

    /// Opens `<section id><h2>heading</h2>`; close it with [`Html::end_section`].
    pub fn section(&mut self, id: &str, heading: &str) {
        self.open("section", &[("id", id)]);
        self.element("h2", &[], heading);
    }

    /// Closes the section opened by [`Html::section`].
    pub fn end_section(&mut self) {
        self.close("section");
    }

    /// The masthead: issuing unit in red, the red rule, the title and a line of metadata
    /// (left and right).
    pub fn masthead(&mut self, issuer: &str, title: &str, meta_left: &str, meta_right: &str) {
        self.element("div", &[("class", "masthead")], issuer);
        self.open("div", &[("class", "rule")]);
        self.close("div");
        self.element("h1", &[], title);
        self.open("div", &[("class", "meta")]);
        self.element("span", &[], meta_left);
        self.element("span", &[], meta_right);
        self.close("div");
    }

    /// A placeholder for a section whose data is not available yet (no invented content).
    pub fn placeholder(&mut self, text: &str) {
        self.element("div", &[("class", "placeholder")], text);
    }

    /// A figure with an inline SVG chart (from [`super::charts`], trusted) and a caption.
    pub fn figure(&mut self, svg: &str, caption: &str) {
        self.open("figure", &[]);
        self.raw_svg(svg);
        self.element("figcaption", &[], caption);
        self.close("figure");
    }

    /// Inserts an SVG document produced by plotters, without its XML prolog if any.
    fn raw_svg(&mut self, svg: &str) {
        let start = svg.find("<svg").unwrap_or(0);
        self.buf.push_str(&svg[start..]);
    }

    /// A table, or the paragraph `none` when it has no rows (a finding-list that found
    /// nothing says so rather than showing an empty table).
    pub fn table_or(&mut self, table: &Table, none: &str) {
        if table.rows.is_empty() {
            self.p(none);
        } else {
            self.table(table);
        }
    }

    /// A table.
    pub fn table(&mut self, table: &Table) {
        let class = table.class.unwrap_or("data");
        self.open("table", &[("class", class)]);
        if let Some(caption) = &table.caption {
            self.element("caption", &[], caption);
        }
        self.open("thead", &[]);
        self.open("tr", &[]);
        for h in &table.head {
            self.element("th", &[], h);
        }
        self.close("tr");
        self.close("thead");
        self.open("tbody", &[]);
        for row in &table.rows {
            self.open("tr", &[]);
            for cell in row {
                let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(3);
                if let Some(c) = cell.class {
                    attrs.push(("class", c));
                }
                if let Some(s) = &cell.style {
                    attrs.push(("style", s));
                }
                if let Some(t) = &cell.title {
                    attrs.push(("title", t));
                }
                self.element("td", &attrs, &cell.text);
            }
            self.close("tr");
        }
        self.close("tbody");
        self.close("table");
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while let Some(tag) = self.open.last().copied() {
            self.close(tag);
        }
        self.buf.push('\n');
        self.buf
    }
}

/// One table cell: text plus an optional CSS class, inline style and tooltip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// The text (escaped when written).
    pub text: String,
    /// CSS class (`num`, `c`, `cat`, `good`, `bad`).
    pub class: Option<&'static str>,
    /// Inline style (e.g. a category's background colour).
    pub style: Option<String>,
    /// Tooltip.
    pub title: Option<String>,
}

/// The inline style of an AQI category: its colour as the background, the text in black or
/// white for contrast.
pub fn category_style(category: crate::aqi::Category) -> String {
    let ink = if category.level() >= 4 {
        "#FFF"
    } else {
        "#000"
    };
    format!("background-color:{};color:{ink}", category.colour().hex())
}

impl Cell {
    /// A plain text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A right-aligned number cell.
    pub fn num(text: impl Into<String>) -> Cell {
        Cell::text(text).class("num")
    }

    /// A centred cell.
    pub fn centre(text: impl Into<String>) -> Cell {
        Cell::text(text).class("c")
    }

    /// Sets the CSS class.
    pub fn class(mut self, class: &'static str) -> Cell {
        self.class = Some(class);
        self
    }

    /// A cell filled with an AQI category's colour (text in black or white for contrast).
    pub fn category(text: impl Into<String>, category: crate::aqi::Category) -> Cell {
        Cell {
            text: text.into(),
            class: Some("cat"),
            style: Some(category_style(category)),
            title: None,
        }
    }

    /// An AQI, coloured by its category; `—` (centred) without one.
    pub fn aqi(aqi: Option<u32>) -> Cell {
        match aqi {
            Some(a) => Cell::category(a.to_string(), crate::aqi::Category::from_aqi(a)),
            None => Cell::centre("—"),
        }
    }

    /// A rank, centred; `—` without one.
    pub fn rank(rank: Option<u32>) -> Cell {
        Cell::centre(rank.map_or_else(|| "—".to_string(), |r| r.to_string()))
    }
}

/// A table: header cells and rows of [`Cell`]s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// CSS class of the table (default `data`).
    pub class: Option<&'static str>,
    /// Caption (above the table).
    pub caption: Option<String>,
    /// Column headings.
    pub head: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these headings.
    pub fn new<S: AsRef<str>>(head: &[S]) -> Table {
        Table {
            head: head.iter().map(|s| s.as_ref().to_string()).collect(),
            ..Table::default()
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape(r#"<b>"A&B"</b> 'x'"#),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt; &#39;x&#39;"
        );
        let mut h = Html::document(Lang::Zh, "t<1>", &[("lantian:kind", "daily")]);
        h.element("p", &[("title", "a\"b")], "x & y");
        let doc = h.finish();
        assert!(doc.contains("<title>t&lt;1&gt;</title>"));
        assert!(doc.contains(r#"<p title="a&quot;b">x &amp; y</p>"#));
        assert!(doc.contains(r#"<html lang="zh-CN">"#));
        check_well_formed(&doc).unwrap();
    }

    #[test]
    fn tables_sections_and_svg_are_well_formed() {
        let mut h = Html::document(Lang::En, "Report", &[]);
        h.masthead("Bureau", "Daily", "2024-01-01", "No. 1");
        h.section("s1", "One");
        let mut t = Table::new(&["a", "b"]);
        t.push(vec![
            Cell::num("1"),
            Cell::category("good", crate::aqi::Category::Good),
        ]);
        h.table(&t);
        h.figure(
            r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>&lt;</text></svg>"#,
            "fig",
        );
        h.end_section();
        let doc = h.finish();
        check_well_formed(&doc).unwrap();
        assert!(!doc.contains("<?xml"));
    }
}
