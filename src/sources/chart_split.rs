//! The local/regional chart of a network: each station's mean concentration of one pollutant
//! split into the regional background and the local excess, and its episodes by source type.

use enum_map::EnumMap;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::analysis::Analysis;
use super::excess::EpisodeScope;
use super::signature::SourceType;
use crate::chart::{Chart, DrawResult, font};
use crate::lang::Lang;
use crate::units::Parameter;

/// Colours of the source types, in [`SourceType::ALL`] order.
const TYPE_COLOURS: [RGBColor; SourceType::ALL.len()] = [
    RGBColor(90, 90, 90),
    RGBColor(214, 39, 40),
    RGBColor(188, 140, 60),
    RGBColor(44, 160, 44),
    RGBColor(31, 119, 180),
    RGBColor(200, 200, 200),
];

/// One station's bar.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SplitRow {
    /// Station id.
    pub station: String,
    /// Mean concentration.
    pub mean: f64,
    /// Mean network background over the same hours.
    pub background: f64,
    /// Episodes by source type.
    pub episodes: EnumMap<SourceType, usize>,
}

/// The chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SplitChart {
    /// Title.
    pub title: String,
    /// Pollutant code and unit shown in the upper panel.
    pub pollutant: (String, String),
    /// Stations.
    pub rows: Vec<SplitRow>,
    /// Regional (network) episodes.
    pub regional_episodes: usize,
}

impl SplitChart {
    /// The chart of `pollutant` from an analysis.
    pub(super) fn from_analysis(a: &Analysis, pollutant: Parameter, title: &str) -> SplitChart {
        let rows = a
            .split
            .iter()
            .filter(|s| s.pollutant == pollutant)
            .map(|s| {
                let mut episodes = EnumMap::default();
                for e in a
                    .episodes
                    .iter()
                    .filter(|e| e.episode.scope.station() == Some(s.station.as_str()))
                {
                    episodes[e.source_type] += 1;
                }
                SplitRow {
                    station: s.station.clone(),
                    mean: s.mean,
                    background: s.background,
                    episodes,
                }
            })
            .collect();
        SplitChart {
            title: title.to_string(),
            pollutant: (
                pollutant.code().to_string(),
                pollutant.canonical_unit().to_string(),
            ),
            rows,
            regional_episodes: a
                .episodes
                .iter()
                .filter(|e| e.episode.scope == EpisodeScope::Network)
                .count(),
        }
    }
}

impl Chart for SplitChart {
    const NAME: &'static str = "local-regional";
    fn size(&self) -> (u32, u32) {
        (1060, 760)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, font(17))?;
        let (root, legend) = root.split_horizontally(840);
        let (upper, lower) = root.split_vertically(360);
        let (legend_up, legend_low) = legend.split_vertically(360);
        let n = self.rows.len().max(1);
        let short = |s: &str| s.rsplit('-').next().unwrap_or(s).to_string();
        // Upper: mean = regional part + local excess.
        let top = self
            .rows
            .iter()
            .map(|r| r.mean.max(r.background))
            .fold(1.0, f64::max)
            * 1.15;
        let (code, unit) = &self.pollutant;
        let mut c = ChartBuilder::on(&upper)
            .margin(10)
            .x_label_area_size(55)
            .y_label_area_size(55)
            .caption(
                format!("{code}: mean = network background (regional) + local excess, {unit}"),
                font(13),
            )
            .build_cartesian_2d(0.0..n as f64, 0.0..top)?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(unit.as_str())
            .label_style(font(11))
            .draw()?;
        for (i, r) in self.rows.iter().enumerate() {
            let x = i as f64;
            let regional = r.background.min(r.mean).max(0.0);
            c.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.15, 0.0), (x + 0.85, regional)],
                RGBColor(31, 119, 180).filled(),
            )))?;
            if r.mean > regional {
                c.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.15, regional), (x + 0.85, r.mean)],
                    RGBColor(255, 127, 14).filled(),
                )))?;
            }
            // The background itself, where the station is below it.
            c.draw_series(LineSeries::new(
                [(x + 0.1, r.background), (x + 0.9, r.background)],
                BLACK.stroke_width(2),
            ))?;
            let share = if r.mean > 0.0 {
                (r.background / r.mean).min(1.0)
            } else {
                1.0
            };
            c.draw_series(std::iter::once(Text::new(
                format!("{:.0}%", share * 100.0),
                (x + 0.5, r.mean.max(r.background) + top * 0.01),
                font(11).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))?;
            c.draw_series(std::iter::once(Text::new(
                short(&r.station),
                (x + 0.5, -top * 0.03),
                font(10).pos(Pos::new(HPos::Center, VPos::Top)),
            )))?;
        }
        let lx = 5;
        for (k, (txt, col)) in [
            ("regional (network background)", RGBColor(31, 119, 180)),
            ("local excess", RGBColor(255, 127, 14)),
        ]
        .into_iter()
        .enumerate()
        {
            let y = 40 + 18 * k as i32;
            legend_up.draw(&Rectangle::new([(lx, y), (lx + 12, y + 12)], col.filled()))?;
            legend_up.draw(&Text::new(txt, (lx + 18, y), font(11)))?;
        }
        legend_up.draw(&Text::new("% = regional share", (lx, 80), font(11)))?;
        legend_up.draw(&Text::new("black line = background", (lx, 96), font(11)))?;
        // Lower: episodes by source type.
        let most = self
            .rows
            .iter()
            .map(|r| r.episodes.values().sum::<usize>())
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.15;
        let mut c = ChartBuilder::on(&lower)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .caption(
                format!(
                    "local episodes by source type (plus {} regional episodes of the network)",
                    self.regional_episodes
                ),
                font(13),
            )
            .build_cartesian_2d(0.0..n as f64, 0.0..most)?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("episodes")
            .label_style(font(11))
            .draw()?;
        for (i, r) in self.rows.iter().enumerate() {
            let x = i as f64;
            let mut base = 0.0;
            for (t, colour) in SourceType::ALL.into_iter().zip(TYPE_COLOURS) {
                let v = r.episodes[t] as f64;
                if v > 0.0 {
                    c.draw_series(std::iter::once(Rectangle::new(
                        [(x + 0.15, base), (x + 0.85, base + v)],
                        colour.filled(),
                    )))?;
                    base += v;
                }
            }
            c.draw_series(std::iter::once(Text::new(
                short(&r.station),
                (x + 0.5, -most * 0.03),
                font(10).pos(Pos::new(HPos::Center, VPos::Top)),
            )))?;
        }
        for (k, (t, colour)) in SourceType::ALL.iter().zip(TYPE_COLOURS).enumerate().rev() {
            let y = 40 + 16 * (SourceType::ALL.len() - 1 - k) as i32;
            legend_low.draw(&Rectangle::new(
                [(lx, y), (lx + 12, y + 12)],
                colour.filled(),
            ))?;
            legend_low.draw(&Text::new(t.code(), (lx + 18, y), font(11)))?;
        }
        Ok(())
    }
}
