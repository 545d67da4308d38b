//! Direction roses of the source analysis: the CPF rose (share of high hours per wind sector,
//! with the no-source level and the dominant bearings) and the percentile rose (openair's
//! `percentileRose`: concentration percentiles per sector as nested filled polygons).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{bearing_ray, compass, palette};
use super::cpf::Cpf;
use super::polar::PercentileRose;
use crate::chart::{Chart, DrawResult, font};
use crate::lang::Lang;

/// Rings at round values up to `max`; returns (step, rings).
fn rings(max: f64) -> Vec<f64> {
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (1..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= max * 1.0001)
        .collect()
}

fn ring_labels<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    values: &[f64],
    fmt: impl Fn(f64) -> String,
) -> DrawResult<DB> {
    for &v in values {
        let pts: Vec<(f64, f64)> = (0..=120)
            .map(|i| (i as f64 * 3.0_f64).to_radians())
            .map(|a| (v * a.sin(), v * a.cos()))
            .collect();
        chart.draw_series(LineSeries::new(pts, BLACK.mix(0.3)))?;
        let d = v * std::f64::consts::FRAC_1_SQRT_2;
        chart.draw_series(std::iter::once(Text::new(
            fmt(v),
            (d, -d),
            font(11).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    Ok(())
}

/// A wedge of a rose: sector centred on `centre` (degrees), `width` wide, out to `r`.
fn wedge(centre: f64, width: f64, r: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(0.0, 0.0)];
    for k in 0..=8 {
        let a = (centre - width / 2.0 + width * k as f64 / 8.0).to_radians();
        pts.push((r * a.sin(), r * a.cos()));
    }
    pts
}

/// The CPF rose of one station and pollutant.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CpfRoseChart {
    /// Title.
    pub title: String,
    /// The CPF.
    pub cpf: Cpf,
}

impl Chart for CpfRoseChart {
    const NAME: &'static str = "cpf-rose";
    fn size(&self) -> (u32, u32) {
        (560, 580)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let c = &self.cpf;
        let p0 = 1.0 - c.config.percentile / 100.0;
        let top = c
            .sectors
            .iter()
            .map(|s| s.cpf)
            .fold(p0 * 1.5, f64::max)
            .min(1.0);
        let r = top * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(16))
            .margin(30)
            .build_cartesian_2d(-r * 1.1..r * 1.1, -r * 1.1..r * 1.1)?;
        let w = c.config.sector_deg;
        for s in &c.sectors {
            if s.n == 0 {
                continue;
            }
            let colour = palette((s.cpf / top).min(1.0));
            chart.draw_series(std::iter::once(Polygon::new(
                wedge(s.centre, w * 0.9, s.cpf),
                colour.mix(0.85).filled(),
            )))?;
        }
        ring_labels(&mut chart, &rings(top), |v| format!("{:.0}%", v * 100.0))?;
        // The level expected without a source in any direction.
        let pts: Vec<(f64, f64)> = (0..=72)
            .map(|i| (i as f64 * 5.0_f64).to_radians())
            .map(|a| (p0 * a.sin(), p0 * a.cos()))
            .collect();
        chart.draw_series(DashedLineSeries::new(pts, 6, 4, RED.stroke_width(2)))?;
        compass(&mut chart, r)?;
        for b in c.bearings() {
            let label = format!("{:.0}° z={:.1}", b.bearing_deg, b.z);
            bearing_ray(&mut chart, r, b.bearing_deg, label, 0.85)?;
        }
        let (_, h) = root.dim_in_pixel();
        root.draw(&Text::new(
            format!(
                "CPF: share of hours above the {:.0}th percentile ({:.3}); red dashes: {:.0}% (no source)",
                c.config.percentile,
                c.threshold,
                p0 * 100.0
            ),
            (10, h as i32 - 18),
            font(11),
        ))?;
        Ok(())
    }
}

/// The percentile rose of one station and pollutant.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PercentileRoseChart {
    /// Title.
    pub title: String,
    /// Unit of the concentrations.
    pub unit: String,
    /// The rose.
    pub rose: PercentileRose,
}

impl Chart for PercentileRoseChart {
    const NAME: &'static str = "percentile-rose";
    fn size(&self) -> (u32, u32) {
        (640, 580)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (plot, legend) = root.split_horizontally(540);
        let q = &self.rose;
        let top = q
            .sectors
            .iter()
            .filter_map(|s| s.2.as_ref())
            .flat_map(|v| v.iter().copied())
            .fold(0.0, f64::max)
            .max(1e-9);
        let r = top * 1.05;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(16))
            .margin(30)
            .build_cartesian_2d(-r * 1.1..r * 1.1, -r * 1.1..r * 1.1)?;
        let np = q.percentiles.len();
        let colour = |k: usize| {
            palette(if np > 1 {
                k as f64 / (np - 1) as f64
            } else {
                1.0
            })
        };
        // Highest percentile first, so that lower ones are drawn on top.
        for k in (0..np).rev() {
            // Sectors without data are left out (16-point compass data fill one in two).
            let pts: Vec<(f64, f64)> = q
                .sectors
                .iter()
                .filter_map(|(centre, _, v)| {
                    let val = v.as_ref()?[k].max(0.0);
                    let a = centre.to_radians();
                    Some((val * a.sin(), val * a.cos()))
                })
                .collect();
            if pts.is_empty() {
                continue;
            }
            chart.draw_series(std::iter::once(Polygon::new(
                pts.clone(),
                colour(k).mix(0.9).filled(),
            )))?;
            let mut closed = pts;
            closed.push(closed[0]);
            chart.draw_series(LineSeries::new(closed, BLACK.mix(0.4)))?;
        }
        ring_labels(&mut chart, &rings(top), |v| format!("{v:.0}"))?;
        compass(&mut chart, r)?;
        legend.draw(&Text::new(
            format!("percentile ({})", self.unit),
            (0, 60),
            font(12),
        ))?;
        for (k, p) in q.percentiles.iter().enumerate().rev() {
            let y = 85 + (np - 1 - k) as i32 * 22;
            legend.draw(&Rectangle::new([(4, y), (22, y + 14)], colour(k).filled()))?;
            legend.draw(&Text::new(format!("{p:.0}th"), (28, y), font(12)))?;
        }
        Ok(())
    }
}
