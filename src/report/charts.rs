//! Charts with plotters: each chart draws once to an SVG string (inlined in the HTML, labels
//! in the report's language) and once to a PNG file (labels in English).
//!
//! # Fonts
//!
//! plotters is built without system font libraries; text is laid out with `ab_glyph` and an
//! embedded font, DejaVu Sans (`assets/fonts/DejaVuSans.ttf`, from Debian's
//! `fonts-dejavu-core` 2.37, Bitstream Vera licence in `assets/fonts/DejaVuSans-LICENSE.txt`),
//! registered once as the `sans-serif` family ([`ensure_fonts`]). DejaVu has no CJK glyphs and
//! a CJK font is far too large to embed, so:
//!
//! - **SVG** keeps text as text: the browser renders Chinese names with the reader's fonts
//!   (the report's CSS lists CJK system fonts), so the SVG uses the configured language;
//! - **PNG** is rasterised here, so PNG charts always use English names and labels.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use unicode_width::UnicodeWidthStr;

use super::i18n::{Bi, Lang};
use crate::aqi::Category;

/// The embedded font (DejaVu Sans 2.37).
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("chart `{chart}`: {message}")]
pub struct ChartError {
    /// Which chart.
    pub chart: &'static str,
    /// What went wrong (plotters' message).
    pub message: String,
}

/// Registers the embedded font as the `sans-serif` family (once per process).
pub fn ensure_fonts() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError {
            chart: "font",
            message: "the embedded font could not be read".into(),
        })
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// A short name for errors and file names.
    const NAME: &'static str;
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws the chart with labels in `lang`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, lang: Lang)
    -> DrawResult<DB>;
}

/// Draws `chart` as an SVG string in `lang` and, when `png` is given, as a PNG file (English).
pub fn render<C: Chart>(chart: &C, lang: Lang, png: Option<&Path>) -> Result<String, ChartError> {
    ensure_fonts()?;
    let fail = |e: &dyn std::fmt::Display| ChartError {
        chart: C::NAME,
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        chart.draw(&root, lang).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    if let Some(path) = png {
        let root = BitMapBackend::new(path, chart.size()).into_drawing_area();
        chart.draw(&root, Lang::En).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

/// The series legend, boxed on a translucent white background.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    opacity: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(opacity))
        .border_style(RGBColor(0x99, 0x99, 0x99))
        .label_font(font(15))
        .draw()
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size).into_font())
}

fn rgb(c: Category) -> RGBColor {
    let c = c.colour();
    RGBColor(c.0, c.1, c.2)
}

/// No-data grey.
const GREY: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
/// Pollutant colours of stacked bars (SO2, NO2, PM10, PM2.5, CO, O3).
const POLLUTANT_COLOURS: [RGBColor; 6] = [
    RGBColor(0x8C, 0x6D, 0x31),
    RGBColor(0xD6, 0x61, 0x6B),
    RGBColor(0x9C, 0x9E, 0xDE),
    RGBColor(0x39, 0x3B, 0x79),
    RGBColor(0x63, 0x79, 0x39),
    RGBColor(0x31, 0x82, 0xBD),
];

/// Pixels for a label area wide enough for `names` at font size ~12.
fn label_width<'a>(names: impl Iterator<Item = &'a str>) -> u32 {
    let w = names.map(UnicodeWidthStr::width).max().unwrap_or(4);
    u32::try_from(w).unwrap_or(30).clamp(3, 30) * 9 + 14
}

/// The 24-hour AQI curve of the network (hours 01–24, hour-ending) over the category bands,
/// with the range of the stations' hourly AQI behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct AqiCurve {
    /// Title.
    pub title: Bi,
    /// The network's hourly AQI, hour `h` (1–24) at index `h − 1`.
    pub network: [Option<u32>; 24],
    /// The lowest and highest station AQI of each hour.
    pub range: [Option<(u32, u32)>; 24],
    /// Legend of the curve and of the range.
    pub legend: [Bi; 2],
    /// Axis descriptions (x, y).
    pub axes: [Bi; 2],
}

impl Chart for AqiCurve {
    const NAME: &'static str = "aqi-24h";
    fn size(&self) -> (u32, u32) {
        (960, 400)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let top = self
            .range
            .iter()
            .flatten()
            .map(|r| r.1)
            .chain(self.network.iter().flatten().copied())
            .max()
            .unwrap_or(0);
        let ymax = f64::from((top + 30).max(150).div_ceil(50) * 50);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.get(lang), font(24))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(0.5f64..24.5f64, 0f64..ymax)?;
        // Category bands, labelled on the right.
        for c in Category::ALL {
            let (lo, hi) = c.aqi_range();
            let lo = f64::from(lo);
            if lo >= ymax {
                break;
            }
            let hi = (f64::from(hi.min(1000)) + 1.0).min(ymax);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.5, lo), (24.5, hi)],
                rgb(c).mix(0.16).filled(),
            )))?;
            let name = Bi::new(c.name_zh(), c.name_en());
            chart.draw_series(std::iter::once(Text::new(
                name.get(lang).to_string(),
                (24.4, (lo + hi) / 2.0),
                font(15)
                    .color(&RGBColor(0x55, 0x55, 0x55))
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            )))?;
        }
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(0xE0, 0xE0, 0xE0))
            .bold_line_style(RGBColor(0xC8, 0xC8, 0xC8))
            .x_labels(24)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 && (1.0..=24.0).contains(x) {
                    format!("{:02}", x.round() as i64)
                } else {
                    String::new()
                }
            })
            .x_desc(self.axes[0].get(lang))
            .y_desc(self.axes[1].get(lang))
            .label_style(font(16))
            .axis_desc_style(font(17))
            .draw()?;
        chart
            .draw_series(self.range.iter().enumerate().filter_map(|(i, r)| {
                let (lo, hi) = (*r)?;
                let x = i as f64 + 1.0;
                Some(Rectangle::new(
                    [(x - 0.28, f64::from(lo)), (x + 0.28, f64::from(hi))],
                    RGBColor(0x70, 0x70, 0x70).mix(0.35).filled(),
                ))
            }))?
            .label(self.legend[1].get(lang))
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    RGBColor(0x70, 0x70, 0x70).mix(0.35).filled(),
                )
            });
        // The curve, broken where an hour has no AQI.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in self.network.iter().enumerate() {
            match v {
                Some(a) => runs
                    .last_mut()
                    .map(|r| r.push((i as f64 + 1.0, f64::from(*a))))
                    .unwrap_or(()),
                None => runs.push(Vec::new()),
            }
        }
        let mut first = true;
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            let series = chart.draw_series(LineSeries::new(run, BLACK.stroke_width(2)))?;
            if first {
                series.label(self.legend[0].get(lang)).legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2))
                });
                first = false;
            }
        }
        chart.draw_series(self.network.iter().enumerate().filter_map(|(i, v)| {
            let a = (*v)?;
            Some(Circle::new(
                (i as f64 + 1.0, f64::from(a)),
                4,
                rgb(Category::from_aqi(a)).filled(),
            ))
        }))?;
        chart.draw_series(self.network.iter().enumerate().filter_map(|(i, v)| {
            Some(Circle::new(
                (i as f64 + 1.0, f64::from((*v)?)),
                4,
                BLACK.stroke_width(1),
            ))
        }))?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 0.85)?;
        Ok(())
    }
}

/// One station on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    /// Name.
    pub name: Bi,
    /// Longitude (°E).
    pub lon: f64,
    /// Latitude (°N).
    pub lat: f64,
    /// The day's AQI (`None`: grey).
    pub aqi: Option<u32>,
}

/// Stations by longitude and latitude, coloured by their AQI category, with names.
#[derive(Debug, Clone, PartialEq)]
pub struct StationMap {
    /// Title.
    pub title: Bi,
    /// The stations with coordinates.
    pub points: Vec<MapPoint>,
    /// Legend entry for stations without an AQI.
    pub no_data: Bi,
}

impl StationMap {
    /// Longitude and latitude ranges with the map's aspect (a degree of longitude is
    /// cos(latitude) of a degree of latitude) fitted to the plotting area.
    fn extent(&self, area: (f64, f64)) -> ((f64, f64), (f64, f64)) {
        let lons = self.points.iter().map(|p| p.lon);
        let lats = self.points.iter().map(|p| p.lat);
        let (mut x0, mut x1) = lons.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (mut y0, mut y1) = lats.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        if x0 > x1 {
            return ((0.0, 1.0), (0.0, 1.0));
        }
        let pad_x = ((x1 - x0) * 0.08).max(0.02);
        let pad_y = ((y1 - y0) * 0.08).max(0.02);
        x0 -= pad_x;
        x1 += pad_x * 2.5; // room for the names on the right
        y0 -= pad_y;
        y1 += pad_y;
        let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
        let (w, h) = area;
        let ratio = (x1 - x0) * k / (y1 - y0);
        if ratio < w / h {
            let want = (y1 - y0) * w / h / k;
            let grow = (want - (x1 - x0)) / 2.0;
            (x0, x1) = (x0 - grow, x1 + grow);
        } else {
            let want = (x1 - x0) * k * h / w;
            let grow = (want - (y1 - y0)) / 2.0;
            (y0, y1) = (y0 - grow, y1 + grow);
        }
        ((x0, x1), (y0, y1))
    }
}

impl Chart for StationMap {
    const NAME: &'static str = "map";
    fn size(&self) -> (u32, u32) {
        (960, 640)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (w, h) = self.size();
        let legend_width = 180;
        let (plot, side) = root.split_horizontally(w - legend_width);
        let ((x0, x1), (y0, y1)) =
            self.extent((f64::from(w - legend_width) - 90.0, f64::from(h) - 100.0));
        let mut chart = ChartBuilder::on(&plot)
            .caption(self.title.get(lang), font(24))
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xF0, 0xF0, 0xF0))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .x_label_formatter(&|x| format!("{x:.2}°E"))
            .y_label_formatter(&|y| format!("{y:.2}°N"))
            .label_style(font(15))
            .draw()?;
        let colour = |p: &MapPoint| p.aqi.map(|a| rgb(Category::from_aqi(a))).unwrap_or(GREY);
        // Worst last, so that it is drawn on top.
        let mut points: Vec<&MapPoint> = self.points.iter().collect();
        points.sort_by_key(|p| p.aqi.unwrap_or(0));
        for p in &points {
            chart.draw_series(std::iter::once(Circle::new(
                (p.lon, p.lat),
                9,
                colour(p).filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (p.lon, p.lat),
                9,
                RGBColor(0x33, 0x33, 0x33).stroke_width(1),
            )))?;
            let label = match p.aqi {
                Some(a) => format!("{} {a}", p.name.get(lang)),
                None => p.name.get(lang).to_string(),
            };
            chart.draw_series(std::iter::once(
                EmptyElement::at((p.lon, p.lat))
                    + Text::new(
                        label,
                        (12, 0),
                        font(15).pos(Pos::new(HPos::Left, VPos::Center)),
                    ),
            ))?;
        }
        // The legend, beside the map (never over a station).
        let mut entries: Vec<(String, RGBColor)> = Category::ALL
            .iter()
            .map(|&c| {
                let name = Bi::new(c.name_zh(), c.name_en());
                (format!("{} {}", c.roman(), name.get(lang)), rgb(c))
            })
            .collect();
        entries.push((self.no_data.get(lang).to_string(), GREY));
        for (i, (label, colour)) in entries.into_iter().enumerate() {
            let y = 90 + 24 * i32::try_from(i).unwrap_or(0);
            side.draw(&Circle::new((14, y), 7, colour.filled()))?;
            side.draw(&Circle::new(
                (14, y),
                7,
                RGBColor(0x33, 0x33, 0x33).stroke_width(1),
            ))?;
            side.draw(&Text::new(
                label,
                (28, y),
                font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}

/// One row of a ranking bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Name (with the rank).
    pub name: Bi,
    /// The six sub-indices (SO2, NO2, PM10, PM2.5, CO, O3), stacked.
    pub parts: [f64; 6],
    /// The comprehensive index.
    pub total: f64,
}

/// Horizontal stacked bars of the comprehensive index, best at the top.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingBars {
    /// Title.
    pub title: Bi,
    /// Rows in rank order.
    pub rows: Vec<BarRow>,
    /// Axis description.
    pub axis: Bi,
}

/// Names of the six pollutants in charts.
pub const POLLUTANT_LABELS: [&str; 6] = ["SO2", "NO2", "PM10", "PM2.5", "CO", "O3"];

impl Chart for RankingBars {
    const NAME: &'static str = "ranking";
    fn size(&self) -> (u32, u32) {
        let n = u32::try_from(self.rows.len()).unwrap_or(60);
        (960, 120 + 26 * n.max(3))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let n = self.rows.len().max(1);
        let xmax = self.rows.iter().map(|r| r.total).fold(1.0f64, f64::max) * 1.12;
        let names: Vec<&str> = self.rows.iter().map(|r| r.name.get(lang)).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.get(lang), font(24))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(label_width(names.iter().copied()))
            .build_cartesian_2d(0f64..xmax, (0..n).into_segmented())?;
        let row_of = |j: usize| n - 1 - j;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(j) if *j < n => names
                    .get(row_of(*j))
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc(self.axis.get(lang))
            .label_style(font(15))
            .axis_desc_style(font(16))
            .draw()?;
        for (k, colour) in POLLUTANT_COLOURS.iter().enumerate() {
            chart
                .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                    let j = row_of(i);
                    let x0: f64 = r.parts[..k].iter().sum();
                    let mut bar = Rectangle::new(
                        [
                            (x0, SegmentValue::Exact(j)),
                            (x0 + r.parts[k], SegmentValue::Exact(j + 1)),
                        ],
                        colour.filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    bar
                }))?
                .label(POLLUTANT_LABELS[k])
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        chart.draw_series(self.rows.iter().enumerate().map(|(i, r)| {
            Text::new(
                format!("{:.2}", r.total),
                (r.total + xmax * 0.008, SegmentValue::CenterOf(row_of(i))),
                font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 0.9)?;
        Ok(())
    }
}

/// One panel of [`PollutantBars`].
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title (pollutant and unit).
    pub title: Bi,
    /// The reference limit drawn as a red line (the S_i of the index).
    pub limit: f64,
    /// Rows in display order: name and period concentration.
    pub values: Vec<(Bi, Option<f64>)>,
}

/// Six panels of period concentrations, one per pollutant, rows in rank order; bars above the
/// limit are red.
#[derive(Debug, Clone, PartialEq)]
pub struct PollutantBars {
    /// Title.
    pub title: Bi,
    /// Six panels.
    pub panels: Vec<Panel>,
}

impl Chart for PollutantBars {
    const NAME: &'static str = "pollutants";
    fn size(&self) -> (u32, u32) {
        let n = self
            .panels
            .iter()
            .map(|p| p.values.len())
            .max()
            .unwrap_or(1);
        let n = u32::try_from(n).unwrap_or(40);
        (960, 2 * (80 + 18 * n.max(4)) + 50)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(self.title.get(lang), font(24))?;
        for (area, panel) in root.split_evenly((2, 3)).iter().zip(&self.panels) {
            let n = panel.values.len().max(1);
            let top = panel
                .values
                .iter()
                .filter_map(|v| v.1)
                .fold(panel.limit, f64::max);
            let names: Vec<&str> = panel.values.iter().map(|v| v.0.get(lang)).collect();
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title.get(lang), font(17))
                .margin(6)
                .x_label_area_size(22)
                .y_label_area_size(label_width(names.iter().copied()).min(110))
                .build_cartesian_2d(0f64..top * 1.08, (0..n).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
                .y_labels(n)
                .x_labels(4)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(j) if *j < n => names
                        .get(n - 1 - *j)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style(font(12))
                .draw()?;
            chart.draw_series(panel.values.iter().enumerate().filter_map(|(i, (_, v))| {
                let v = (*v)?;
                let j = n - 1 - i;
                let colour = if v > panel.limit {
                    RGBColor(0xC0, 0x50, 0x4D)
                } else {
                    RGBColor(0x4F, 0x81, 0xBD)
                };
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(j)),
                        (v, SegmentValue::Exact(j + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(2, 2, 0, 0);
                Some(bar)
            }))?;
            chart.draw_series(LineSeries::new(
                vec![
                    (panel.limit, SegmentValue::Exact(0)),
                    (panel.limit, SegmentValue::Exact(n)),
                ],
                RED.stroke_width(1),
            ))?;
        }
        Ok(())
    }
}
