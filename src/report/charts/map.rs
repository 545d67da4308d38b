//! The station map: stations by longitude and latitude, coloured by AQI category, with labels placed so they do not collide.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{GREY, rgb};
use crate::aqi::Category;
use crate::chart::labels::{Rect, place};
use crate::chart::{Chart, DrawResult, font};
use crate::lang::{Bi, Lang};

/// Marker radius in pixels.
const RADIUS: i32 = 9;

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
        x1 += pad_x;
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
                RADIUS,
                colour(p).filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (p.lon, p.lat),
                RADIUS,
                RGBColor(0x33, 0x33, 0x33).stroke_width(1),
            )))?;
        }
        // Labels, the worst stations first so that they get the best places.
        let labels: Vec<String> = points
            .iter()
            .rev()
            .map(|p| match p.aqi {
                Some(a) => format!("{} {a}", p.name.get(lang)),
                None => p.name.get(lang).to_string(),
            })
            .collect();
        let anchors: Vec<(i32, i32)> = points
            .iter()
            .rev()
            .map(|p| chart.backend_coord(&(p.lon, p.lat)))
            .collect();
        let area = chart.plotting_area().get_pixel_range();
        draw_labels(root, labels, &anchors, RADIUS, area)?;
        // The legend, beside the map (never over a station).
        let mut entries: Vec<(String, RGBColor)> = Category::ALL
            .iter()
            .map(|&c| {
                let name = Bi::new(c.name_zh(), c.name_en());
                (format!("{} {}", c.roman(), name.get(lang)), rgb(c))
            })
            .collect();
        entries.push((self.no_data.get(lang).to_string(), GREY));
        dot_legend(&side, entries)?;
        Ok(())
    }
}

/// Draws `labels` beside the markers (of `radius`) at `anchors` (pixels), each where it
/// collides least, inside the plotting area `(xs, ys)`.
pub(super) fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: Vec<String>,
    anchors: &[(i32, i32)],
    radius: i32,
    (xs, ys): (std::ops::Range<i32>, std::ops::Range<i32>),
) -> DrawResult<DB> {
    let style = font(15).pos(Pos::new(HPos::Left, VPos::Top));
    let sizes = labels
        .iter()
        .map(|l| root.estimate_text_size(l, &style))
        .collect::<Result<Vec<_>, _>>()?;
    let bounds = Rect {
        left: xs.start,
        top: ys.start,
        right: xs.end,
        bottom: ys.end,
    };
    for (label, r) in labels
        .into_iter()
        .zip(place(anchors, &sizes, radius, bounds))
    {
        root.draw(&Text::new(label, (r.left, r.top), style.clone()))?;
    }
    Ok(())
}

/// A legend of coloured dots with their names, one a line, beside a map.
pub(super) fn dot_legend<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    entries: Vec<(String, RGBColor)>,
) -> DrawResult<DB> {
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
