//! The national ranking's map: each city at its stations' mean longitude and latitude,
//! coloured by its comprehensive index in five classes of equal counts (quintiles of the
//! month's indices), the best and worst three and the chosen city named.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::GREY;
use super::map::{dot_legend, draw_labels};
use crate::chart::{Chart, DrawResult, font};
use crate::lang::{Bi, Lang};

/// Marker radius in pixels (the chosen city's is larger).
const RADIUS: i32 = 6;

/// Class colours, best to worst (ColorBrewer RdYlGn, reversed; distinct in grey print).
const CLASSES: [RGBColor; 5] = [
    RGBColor(0x1A, 0x96, 0x41),
    RGBColor(0xA6, 0xD9, 0x6A),
    RGBColor(0xFF, 0xFF, 0xBF),
    RGBColor(0xFD, 0xAE, 0x61),
    RGBColor(0xD7, 0x19, 0x1C),
];

/// One city on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct CityPoint {
    /// Name (the English one is the city's pinyin-less name as listed when no other exists).
    pub name: Bi,
    /// Longitude (°E).
    pub lon: f64,
    /// Latitude (°N).
    pub lat: f64,
    /// Comprehensive index (`None`: grey).
    pub index: Option<f64>,
    /// Named on the map (best and worst, the chosen city).
    pub labelled: bool,
    /// The chosen city (drawn larger, outlined).
    pub focus: bool,
}

/// Cities by longitude and latitude, coloured by their comprehensive index.
#[derive(Debug, Clone, PartialEq)]
pub struct CityMap {
    /// Title.
    pub title: Bi,
    /// The cities with coordinates.
    pub points: Vec<CityPoint>,
    /// Legend entry for cities without an index.
    pub no_data: Bi,
}

impl CityMap {
    /// The upper bounds of the five classes (quintiles of the indices; the last is the
    /// maximum).
    pub fn class_bounds(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.points.iter().filter_map(|p| p.index).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return Vec::new();
        }
        (1..=CLASSES.len())
            .map(|k| v[(k * v.len()).div_ceil(CLASSES.len()) - 1])
            .collect()
    }

    fn colour(bounds: &[f64], index: Option<f64>) -> RGBColor {
        match index {
            None => GREY,
            Some(i) => {
                let class = bounds
                    .iter()
                    .position(|b| i <= *b)
                    .unwrap_or(CLASSES.len() - 1);
                CLASSES[class.min(CLASSES.len() - 1)]
            }
        }
    }
}

impl Chart for CityMap {
    const NAME: &'static str = "city-map";
    fn size(&self) -> (u32, u32) {
        (960, 720)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (w, _) = self.size();
        let legend_width = 200;
        let (plot, side) = root.split_horizontally(w - legend_width);
        let lons = self.points.iter().map(|p| p.lon);
        let lats = self.points.iter().map(|p| p.lat);
        let (x0, x1) = lons.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (y0, y1) = lats.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let ((x0, x1), (y0, y1)) = if x0 > x1 {
            ((0.0, 1.0), (0.0, 1.0))
        } else {
            ((x0 - 1.0, x1 + 1.0), (y0 - 1.0, y1 + 1.0))
        };
        let mut chart = ChartBuilder::on(&plot)
            .caption(self.title.get(lang), font(22))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xF0, 0xF0, 0xF0))
            .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
            .x_label_formatter(&|x| format!("{x:.0}°E"))
            .y_label_formatter(&|y| format!("{y:.0}°N"))
            .label_style(font(14))
            .draw()?;
        let bounds = self.class_bounds();
        // Worst last, so that it is drawn on top; the chosen city on top of all.
        let mut points: Vec<&CityPoint> = self.points.iter().collect();
        points.sort_by(|a, b| {
            (a.focus, a.index.unwrap_or(0.0))
                .partial_cmp(&(b.focus, b.index.unwrap_or(0.0)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let ink = RGBColor(0x33, 0x33, 0x33);
        for p in &points {
            let r = if p.focus { RADIUS + 4 } else { RADIUS };
            let c = Self::colour(&bounds, p.index);
            chart.draw_series(std::iter::once(Circle::new((p.lon, p.lat), r, c.filled())))?;
            let outline = ink.stroke_width(if p.focus { 3 } else { 1 });
            chart.draw_series(std::iter::once(Circle::new((p.lon, p.lat), r, outline)))?;
        }
        let named: Vec<&&CityPoint> = points.iter().rev().filter(|p| p.labelled).collect();
        let labels: Vec<String> = named
            .iter()
            .map(|p| match p.index {
                Some(i) => format!("{} {i:.2}", p.name.get(lang)),
                None => p.name.get(lang).to_string(),
            })
            .collect();
        let anchors: Vec<(i32, i32)> = named
            .iter()
            .map(|p| chart.backend_coord(&(p.lon, p.lat)))
            .collect();
        let area = chart.plotting_area().get_pixel_range();
        draw_labels(root, labels, &anchors, RADIUS, area)?;
        // The legend: the classes' ranges of the index, then no data.
        let mut entries: Vec<(String, RGBColor)> = Vec::new();
        let mut low = None::<f64>;
        for (b, c) in bounds.iter().zip(CLASSES) {
            let text = match low {
                None => format!("≤ {b:.2}"),
                Some(l) => format!("{l:.2} – {b:.2}"),
            };
            entries.push((text, c));
            low = Some(*b);
        }
        entries.push((self.no_data.get(lang).to_string(), GREY));
        let heading = Bi::new("综合指数", "Composite index");
        side.draw(&Text::new(
            heading.get(lang).to_string(),
            (8, 60),
            font(15).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        dot_legend(&side, entries)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(index: Option<f64>) -> CityPoint {
        CityPoint {
            name: Bi::new("甲", "A"),
            lon: 116.0,
            lat: 40.0,
            index,
            labelled: false,
            focus: false,
        }
    }

    #[test]
    fn classes_are_quintiles_and_colour_by_them() {
        let map = CityMap {
            title: Bi::new("图", "Map"),
            points: (1..=10)
                .map(|i| point(Some(f64::from(i))))
                .chain([point(None)])
                .collect(),
            no_data: Bi::new("无", "None"),
        };
        let b = map.class_bounds();
        assert_eq!(b, [2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(CityMap::colour(&b, Some(1.0)), CLASSES[0]);
        assert_eq!(CityMap::colour(&b, Some(4.5)), CLASSES[2]);
        assert_eq!(CityMap::colour(&b, Some(10.0)), CLASSES[4]);
        assert_eq!(CityMap::colour(&b, None), GREY);
        crate::chart::render(&map, Lang::Zh, None).expect("draws");
    }
}
