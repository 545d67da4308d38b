//! Charts of the source analysis: the polar plot (openair style) and the station map.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::analysis::Located;
use super::cpf::Cpf;
use super::polar::PolarSurface;
use crate::chart::{Chart, DrawResult, font};
use crate::lang::Lang;

/// openair's default palette (blue → green → yellow → red), `t` in 0–1.
pub(super) fn palette(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 6] = [
        (0, 0, 143),
        (0, 112, 255),
        (0, 223, 159),
        (255, 255, 0),
        (255, 128, 0),
        (158, 0, 0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A bivariate polar plot with the CPF bearings drawn as rays.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PolarChart {
    /// Title (station and pollutant).
    pub title: String,
    /// Unit of the colour scale.
    pub unit: String,
    /// The surface.
    pub surface: PolarSurface,
    /// The CPF (its bearings are drawn).
    pub cpf: Option<Cpf>,
}

impl Chart for PolarChart {
    const NAME: &'static str = "polar";
    fn size(&self) -> (u32, u32) {
        (640, 560)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (plot, bar) = root.split_horizontally(540);
        let s = &self.surface;
        let r = s.ws_max;
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, font(16))
            .margin(25)
            .build_cartesian_2d(-r * 1.08..r * 1.08, -r * 1.08..r * 1.08)?;
        let (lo, hi) = s.range().unwrap_or((0.0, 1.0));
        let span = (hi - lo).max(1e-9);
        let step = 2.0 * r / (s.grid - 1) as f64;
        chart.draw_series((0..s.grid * s.grid).filter_map(|k| {
            let v = s.values[k]?;
            let (u, w) = s.uv(k / s.grid, k % s.grid);
            Some(Rectangle::new(
                [
                    (u - step / 2.0, w - step / 2.0),
                    (u + step / 2.0, w + step / 2.0),
                ],
                palette((v - lo) / span).filled(),
            ))
        }))?;
        // Speed rings and axes.
        let ring_step = if r > 12.0 {
            5.0
        } else if r > 6.0 {
            2.0
        } else {
            1.0
        };
        let mut ring = ring_step;
        while ring <= r {
            let pts: Vec<(f64, f64)> = (0..=120)
                .map(|i| (i as f64 * 3.0_f64).to_radians())
                .map(|a| (ring * a.sin(), ring * a.cos()))
                .collect();
            chart.draw_series(LineSeries::new(pts, BLACK.mix(0.35)))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{ring:.0} m/s"),
                (
                    ring * std::f64::consts::FRAC_1_SQRT_2,
                    -ring * std::f64::consts::FRAC_1_SQRT_2,
                ),
                font(11),
            )))?;
            ring += ring_step;
        }
        chart.draw_series(LineSeries::new([(-r, 0.0), (r, 0.0)], BLACK.mix(0.25)))?;
        chart.draw_series(LineSeries::new([(0.0, -r), (0.0, r)], BLACK.mix(0.25)))?;
        compass(&mut chart, r)?;
        if let Some(c) = &self.cpf {
            for b in c.bearings() {
                let label = format!("CPF {:.0}° ({:.0}%)", b.bearing_deg, b.confidence * 100.0);
                bearing_ray(&mut chart, r, b.bearing_deg, label, 0.8)?;
            }
        }
        // Colour bar.
        let (_, h) = bar.dim_in_pixel();
        let (top, bottom) = (60i32, h as i32 - 60);
        for y in top..bottom {
            let t = (bottom - y) as f64 / (bottom - top) as f64;
            bar.draw(&Rectangle::new([(10, y), (35, y + 1)], palette(t).filled()))?;
        }
        for k in 0..=4 {
            let t = k as f64 / 4.0;
            let y = bottom - ((bottom - top) as f64 * t) as i32;
            bar.draw(&Text::new(
                format!("{:.0}", lo + span * t),
                (40, y - 6),
                font(11),
            ))?;
        }
        bar.draw(&Text::new(self.unit.clone(), (8, top - 25), font(12)))?;
        Ok(())
    }
}

/// Compass letters just outside the rim of radius `r`, anchored on the side facing the plot.
pub(super) fn compass<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    r: f64,
) -> DrawResult<DB> {
    for (t, x, y, h, v) in [
        ("N", 0.0, r * 1.01, HPos::Center, VPos::Bottom),
        ("E", r * 1.01, 0.0, HPos::Left, VPos::Center),
        ("S", 0.0, -r * 1.01, HPos::Center, VPos::Top),
        ("W", -r * 1.01, 0.0, HPos::Right, VPos::Center),
    ] {
        let style = font(14).pos(Pos::new(h, v));
        chart.draw_series(std::iter::once(Text::new(t, (x, y), style)))?;
    }
    Ok(())
}

/// A bearing from the centre to the rim of radius `r`, labelled at `at` × `r` on the side
/// facing the centre, so that labels stay inside the rim.
pub(super) fn bearing_ray<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    r: f64,
    bearing_deg: f64,
    label: String,
    at: f64,
) -> DrawResult<DB> {
    let a = bearing_deg.to_radians();
    chart.draw_series(LineSeries::new(
        [(0.0, 0.0), (r * a.sin(), r * a.cos())],
        BLACK.stroke_width(2),
    ))?;
    let h = if a.sin() >= 0.0 {
        HPos::Right
    } else {
        HPos::Left
    };
    chart.draw_series(std::iter::once(Text::new(
        label,
        (r * at * a.sin(), r * at * a.cos()),
        font(12).pos(Pos::new(h, VPos::Bottom)),
    )))?;
    Ok(())
}

/// A station map: stations, their bearing rays, located sources with uncertainty circles and,
/// when known, true sources.
#[derive(Debug, Clone, PartialEq)]
pub struct MapChart {
    /// Title.
    pub title: String,
    /// Stations (id, lat, lon).
    pub stations: Vec<(String, f64, f64)>,
    /// Rays (lat, lon, bearing).
    pub rays: Vec<(f64, f64, f64)>,
    /// Located sources.
    pub located: Vec<Located>,
    /// True sources (name, lat, lon), for the simulator.
    pub truth: Vec<(String, f64, f64)>,
}

impl Chart for MapChart {
    const NAME: &'static str = "source-map";
    fn size(&self) -> (u32, u32) {
        (800, 760)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let lats = self
            .stations
            .iter()
            .map(|s| s.1)
            .chain(self.located.iter().map(|l| l.lat))
            .chain(self.truth.iter().map(|t| t.1));
        let lons = self
            .stations
            .iter()
            .map(|s| s.2)
            .chain(self.located.iter().map(|l| l.lon))
            .chain(self.truth.iter().map(|t| t.2));
        let (la0, la1) = lats.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
        let (lo0, lo1) = lons.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
        let pad = 0.03;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(16))
            .margin(15)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(lo0 - pad..lo1 + pad, la0 - pad..la1 + pad)?;
        chart
            .configure_mesh()
            .x_desc("longitude")
            .y_desc("latitude")
            .label_style(font(11))
            .draw()?;
        let coslat = ((la0 + la1) / 2.0).to_radians().cos();
        let len = 0.08;
        for &(lat, lon, b) in &self.rays {
            let a = b.to_radians();
            chart.draw_series(LineSeries::new(
                [
                    (lon, lat),
                    (lon + len * a.sin() / coslat, lat + len * a.cos()),
                ],
                BLUE.mix(0.35),
            ))?;
        }
        chart.draw_series(
            self.stations
                .iter()
                .map(|s| Circle::new((s.2, s.1), 3, BLACK.filled())),
        )?;
        for l in &self.located {
            let rdeg = l.radius_m / 111_000.0;
            let pts: Vec<(f64, f64)> = (0..=72)
                .map(|i| (i as f64 * 5.0_f64).to_radians())
                .map(|a| (l.lon + rdeg * a.sin() / coslat, l.lat + rdeg * a.cos()))
                .collect();
            chart.draw_series(LineSeries::new(pts, RED.stroke_width(2)))?;
            chart.draw_series(std::iter::once(Cross::new(
                (l.lon, l.lat),
                6,
                RED.stroke_width(2),
            )))?;
        }
        for t in &self.truth {
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (t.2, t.1),
                7,
                GREEN.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                t.0.clone(),
                (t.2, t.1),
                font(11),
            )))?;
        }
        Ok(())
    }
}
