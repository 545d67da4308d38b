//! The station page's time-series chart: one parameter (or the AQI) over the last day, week or
//! month, drawn with the chart module ([`crate::chart::render`]: SVG, text in the page's
//! language), broken where values are missing, the AQI over its categories' colours.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::aqi::Category;
use crate::chart::{Chart, DrawResult, font};
use crate::lang::Lang;

/// A series of one quantity against time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeriesChart {
    /// Title (the quantity and its unit).
    pub(crate) title: String,
    /// The span's start and end.
    pub(crate) from: DateTime<Utc>,
    /// End.
    pub(crate) to: DateTime<Utc>,
    /// The values, in time order (`None`: missing or flagged).
    pub(crate) points: Vec<(DateTime<Utc>, Option<f64>)>,
    /// The AQI's category bands behind the line.
    pub(crate) aqi_bands: bool,
    /// The zone of the time labels.
    pub(crate) tz: Tz,
}

impl SeriesChart {
    /// Hours from the start.
    fn x(&self, t: DateTime<Utc>) -> f64 {
        (t - self.from).num_seconds() as f64 / 3600.0
    }

    /// The runs of consecutive values (a missing value breaks the line).
    fn runs(&self) -> Vec<Vec<(f64, f64)>> {
        let mut runs = vec![Vec::new()];
        for (t, v) in &self.points {
            match v {
                Some(v) if v.is_finite() => {
                    if let Some(run) = runs.last_mut() {
                        run.push((self.x(*t), *v));
                    }
                }
                _ => runs.push(Vec::new()),
            }
        }
        runs.retain(|r| !r.is_empty());
        runs
    }
}

impl Chart for SeriesChart {
    const NAME: &'static str = "station-series";
    fn size(&self) -> (u32, u32) {
        (720, 260)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, _: Lang) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let values = self
            .points
            .iter()
            .filter_map(|p| p.1)
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo, hi) };
        let pad = ((hi - lo) * 0.1).max(0.5);
        let (y0, y1) = if self.aqi_bands {
            (0.0, (hi + pad).max(100.0))
        } else {
            ((lo - pad).min(0.0f64.max(lo - pad)), hi + pad)
        };
        let width = self.x(self.to).max(1.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(18))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..width, y0..y1)?;
        if self.aqi_bands {
            for c in Category::ALL {
                let (a, b) = c.aqi_range();
                let (a, b) = (f64::from(a), (f64::from(b) + 1.0).min(y1));
                if a >= y1 {
                    break;
                }
                let rgb = c.colour();
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, a), (width, b)],
                    RGBColor(rgb.0, rgb.1, rgb.2).mix(0.18).filled(),
                )))?;
            }
        }
        let (from, tz) = (self.from, self.tz);
        let days = width > 48.0;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xE6, 0xE6, 0xE6))
            .bold_line_style(RGBColor(0xCC, 0xCC, 0xCC))
            .x_labels(8)
            .x_label_formatter(&|x| {
                let t = (from + chrono::TimeDelta::seconds((x * 3600.0) as i64)).with_timezone(&tz);
                if days {
                    t.format("%m-%d").to_string()
                } else {
                    t.format("%H:%M").to_string()
                }
            })
            .label_style(font(13))
            .draw()?;
        for run in self.runs() {
            chart.draw_series(LineSeries::new(
                run,
                RGBColor(0x1F, 0x5F, 0xA8).stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_gap_breaks_the_line() {
        let from = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let at = |h: i64| from + TimeDelta::hours(h);
        let chart = SeriesChart {
            title: "PM2.5 (µg/m³)".into(),
            from,
            to: at(4),
            points: vec![
                (at(1), Some(10.0)),
                (at(2), None),
                (at(3), Some(30.0)),
                (at(4), Some(f64::NAN)),
            ],
            aqi_bands: false,
            tz: chrono_tz::Asia::Shanghai,
        };
        assert_eq!(chart.runs(), vec![vec![(1.0, 10.0)], vec![(3.0, 30.0)]]);
        let svg = crate::chart::render(&chart, Lang::En, None).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("PM2.5"), "{svg}");
    }
}
