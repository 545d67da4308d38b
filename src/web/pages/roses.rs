//! The station page's roses: the wind rose (how often the wind blows from each of 16 sectors,
//! stacked by speed) and the pollution rose (the same sectors, stacked by the PM2.5 band of
//! each hour, in the AQI categories' colours), from the station's hourly wind and PM2.5. Calm
//! hours (below 0.5 m/s) have no direction and are counted apart.

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::aqi::Category;
use crate::chart::{Chart, DrawResult, font};
use crate::lang::Lang;
use crate::quality::Flag;
use crate::store::Record;
use crate::units::Parameter;

/// Sectors of a rose.
const SECTORS: usize = 16;
/// Below this speed (m/s) the wind is calm.
const CALM: f64 = 0.5;

/// One band of a rose's stacks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    /// Its legend.
    pub(crate) label: String,
    /// Its colour.
    pub(crate) colour: (u8, u8, u8),
    /// Hours in each sector.
    pub(crate) counts: [u32; SECTORS],
}

/// A rose: stacked bands of hours per sector, as a share of all hours with a direction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoseChart {
    /// Title.
    pub(crate) title: String,
    /// The bands, innermost first.
    pub(crate) bands: Vec<Band>,
    /// Calm hours (not drawn).
    pub(crate) calm: u32,
}

impl RoseChart {
    /// Hours with a direction.
    pub(crate) fn hours(&self) -> u32 {
        self.bands.iter().flat_map(|b| b.counts).sum()
    }
}

/// The hours with a valid wind direction and speed, with the valid value of `other` when asked.
fn wind_hours(
    readings: &[Record],
    other: Option<Parameter>,
) -> Vec<(DateTime<Utc>, f64, f64, Option<f64>)> {
    use std::collections::BTreeMap;
    let mut by_hour: BTreeMap<DateTime<Utc>, [Option<f64>; 3]> = BTreeMap::new();
    for r in readings.iter().filter(|r| r.flag == Flag::Normal) {
        let slot = match r.parameter {
            Parameter::WindDirection => 0,
            Parameter::WindSpeed => 1,
            p if Some(p) == other => 2,
            _ => continue,
        };
        by_hour.entry(r.time).or_default()[slot] = Some(r.value);
    }
    by_hour
        .into_iter()
        .filter_map(|(t, [wd, ws, v])| Some((t, wd?, ws?, v)))
        .collect()
}

/// The sector of a direction (0 = north, clockwise).
fn sector(direction: f64) -> usize {
    let width = 360.0 / SECTORS as f64;
    let d = direction.rem_euclid(360.0);
    ((d + width / 2.0) / width) as usize % SECTORS
}

/// Stacks hours into bands by `band_of` (an index into `bands`).
fn stack(
    hours: impl Iterator<Item = (f64, f64, Option<f64>)>,
    mut bands: Vec<Band>,
    band_of: impl Fn(f64, Option<f64>) -> Option<usize>,
) -> (Vec<Band>, u32) {
    let mut calm = 0;
    for (wd, ws, v) in hours {
        if ws < CALM {
            calm += 1;
            continue;
        }
        if let Some(b) = band_of(ws, v).and_then(|i| bands.get_mut(i)) {
            b.counts[sector(wd)] += 1;
        }
    }
    (bands, calm)
}

fn band(label: String, colour: (u8, u8, u8)) -> Band {
    Band {
        label,
        colour,
        counts: [0; SECTORS],
    }
}

/// The wind rose of `readings` (hourly, one station).
pub(crate) fn wind_rose(readings: &[Record], lang: Lang) -> RoseChart {
    let limits = [2.0, 4.0, 6.0];
    let colours = [
        (0xC6, 0xDB, 0xEF),
        (0x6B, 0xAE, 0xD6),
        (0x21, 0x71, 0xB5),
        (0x08, 0x30, 0x6B),
    ];
    let labels = ["0.5–2 m/s", "2–4 m/s", "4–6 m/s", "≥6 m/s"];
    let bands = labels
        .iter()
        .zip(colours)
        .map(|(l, c)| band((*l).to_string(), c))
        .collect();
    let hours = wind_hours(readings, None)
        .into_iter()
        .map(|(_, wd, ws, _)| (wd, ws, None));
    let (bands, calm) = stack(hours, bands, |ws, _| {
        Some(limits.iter().take_while(|l| ws >= **l).count())
    });
    RoseChart {
        title: lang.pick("风玫瑰", "Wind rose").to_string(),
        bands,
        calm,
    }
}

/// The pollution rose of PM2.5 in `readings` (hourly, one station): bands at HJ 633's PM2.5
/// breakpoints, coloured as the AQI categories they border.
pub(crate) fn pollution_rose(readings: &[Record], lang: Lang) -> RoseChart {
    let limits = [35.0, 75.0, 115.0, 150.0, 250.0];
    let labels = ["<35", "35–75", "75–115", "115–150", "150–250", "≥250"];
    let bands = labels
        .iter()
        .zip(Category::ALL)
        .map(|(l, c)| {
            let rgb = c.colour();
            band(format!("PM2.5 {l}"), (rgb.0, rgb.1, rgb.2))
        })
        .collect();
    let hours = wind_hours(readings, Some(Parameter::Pm25))
        .into_iter()
        .map(|(_, wd, ws, v)| (wd, ws, v));
    let (bands, calm) = stack(hours, bands, |_, v| {
        v.map(|v| limits.iter().take_while(|l| v >= **l).count())
    });
    RoseChart {
        title: lang
            .pick("污染玫瑰 (PM2.5)", "Pollution rose (PM2.5)")
            .to_string(),
        bands,
        calm,
    }
}

impl Chart for RoseChart {
    const NAME: &'static str = "station-rose";
    fn size(&self) -> (u32, u32) {
        (420, 470)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let total = f64::from(self.hours().max(1));
        let mut top = [0.0f64; SECTORS];
        let mut stacks = Vec::new();
        for b in &self.bands {
            let mut layer = Vec::new();
            for (s, count) in b.counts.iter().enumerate() {
                let lo = top[s];
                top[s] += f64::from(*count) / total * 100.0;
                layer.push((s, lo, top[s]));
            }
            stacks.push((b.colour, layer));
        }
        let max = top.iter().copied().fold(0.0f64, f64::max).max(5.0) * 1.08;
        let (area, legend) = root.split_vertically(380);
        let mut chart = ChartBuilder::on(&area)
            .caption(&self.title, font(16))
            .margin(6)
            .build_cartesian_2d(-max..max, -max..max)?;
        let width = 360.0 / SECTORS as f64;
        for ring in 1..=4 {
            let r = max / 1.08 * f64::from(ring) / 4.0;
            let pts: Vec<(f64, f64)> = (0..=72)
                .map(|i| (f64::from(i) * 5.0).to_radians())
                .map(|a| (r * a.sin(), r * a.cos()))
                .collect();
            chart.draw_series(LineSeries::new(pts, RGBColor(0xCC, 0xCC, 0xCC)))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{r:.0}%"),
                (
                    r * std::f64::consts::FRAC_1_SQRT_2,
                    -r * std::f64::consts::FRAC_1_SQRT_2,
                ),
                font(10).pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
        }
        for (colour, layer) in &stacks {
            for &(s, lo, hi) in layer {
                if hi <= lo {
                    continue;
                }
                let centre = s as f64 * width;
                let mut pts = Vec::new();
                for k in 0..=6 {
                    let a =
                        (centre - width * 0.42 + width * 0.84 * f64::from(k) / 6.0).to_radians();
                    pts.push((hi * a.sin(), hi * a.cos()));
                }
                for k in (0..=6).rev() {
                    let a =
                        (centre - width * 0.42 + width * 0.84 * f64::from(k) / 6.0).to_radians();
                    pts.push((lo * a.sin(), lo * a.cos()));
                }
                chart.draw_series(std::iter::once(Polygon::new(
                    pts,
                    RGBColor(colour.0, colour.1, colour.2).filled(),
                )))?;
            }
        }
        for (label, a) in [("N", 0.0f64), ("E", 90.0), ("S", 180.0), ("W", 270.0)] {
            let r = max * 0.96;
            let a = a.to_radians();
            chart.draw_series(std::iter::once(Text::new(
                label,
                (r * a.sin(), r * a.cos()),
                font(13).pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
        let calm = lang.pick("静风", "calm");
        let mut x = 8;
        let mut y = 8;
        for b in &self.bands {
            let (r, g, bl) = b.colour;
            legend.draw(&Rectangle::new(
                [(x, y), (x + 12, y + 12)],
                RGBColor(r, g, bl).filled(),
            ))?;
            legend.draw(&Text::new(b.label.clone(), (x + 16, y), font(11)))?;
            x += 136;
            if x > 300 {
                x = 8;
                y += 18;
            }
        }
        legend.draw(&Text::new(
            format!("{calm}: {} h · n = {}", self.calm, self.hours()),
            (8, y + 22),
            font(11),
        ))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn hour(h: i64, parameter: Parameter, value: f64) -> Record {
        Record {
            station: "s1".into(),
            parameter,
            resolution: crate::store::Resolution::Hour,
            time: DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap() + TimeDelta::hours(h),
            value,
            flag: Flag::Normal,
            count: 60,
        }
    }

    #[test]
    fn hours_fall_in_their_sector_and_band() {
        let readings = vec![
            hour(1, Parameter::WindDirection, 358.0),
            hour(1, Parameter::WindSpeed, 3.0),
            hour(1, Parameter::Pm25, 80.0),
            hour(2, Parameter::WindDirection, 91.0),
            hour(2, Parameter::WindSpeed, 7.0),
            hour(2, Parameter::Pm25, 10.0),
            hour(3, Parameter::WindDirection, 200.0),
            hour(3, Parameter::WindSpeed, 0.2),
            // No speed this hour: left out.
            hour(4, Parameter::WindDirection, 10.0),
        ];
        let wind = wind_rose(&readings, Lang::En);
        assert_eq!(wind.calm, 1);
        assert_eq!(wind.hours(), 2);
        assert_eq!(wind.bands[1].counts[0], 1, "358° at 3 m/s: north, 2–4");
        assert_eq!(wind.bands[3].counts[4], 1, "91° at 7 m/s: east, ≥6");
        let pollution = pollution_rose(&readings, Lang::En);
        assert_eq!(pollution.bands[2].counts[0], 1, "80 µg/m³: 75–115");
        assert_eq!(pollution.bands[0].counts[4], 1);
        let svg = crate::chart::render(&pollution, Lang::En, None).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("calm: 1 h"),
            "{svg}"
        );
        assert_eq!(sector(340.0), 15);
        assert_eq!(sector(349.0), 0);
        assert_eq!(sector(-5.0), 0);
    }
}
