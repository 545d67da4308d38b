//! The charts of an analysis as files (`lantian sources --plots DIR`): for every polar result
//! its polar plot, CPF rose and percentile rose; the map of bearings and located sources when
//! two or more stations have a position; the local/regional split of PM2.5. Each chart is
//! written as `NAME.svg` and `NAME.png`, in English (the PNGs have no CJK font).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::chart::{MapChart, PolarChart};
use super::chart_roses::{CpfRoseChart, PercentileRoseChart};
use super::chart_split::SplitChart;
use super::{Analysis, StationSeries};
use crate::chart::{Chart, ChartError, render};
use crate::lang::Lang;
use crate::units::Parameter;

/// Why the charts could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// A file could not be written.
    #[error("writing {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Writes the charts of `analysis` (of the days `first` – `last`, its stations' `series`)
/// into `dir`, creating it; bearings below `min_confidence` are left off the map. Returns the
/// SVG files written, in order.
pub fn write_plots(
    analysis: &Analysis,
    series: &[StationSeries],
    (first, last): (NaiveDate, NaiveDate),
    min_confidence: f64,
    dir: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    let mut save = |chart: &dyn ChartFile, name: &str| -> Result<(), PlotError> {
        written.push(chart.save(dir, name)?);
        Ok(())
    };
    for p in &analysis.polar {
        let what = format!(
            "{} {}{}",
            p.station,
            p.pollutant.code(),
            if p.excess { " excess" } else { "" }
        );
        let unit = p.pollutant.canonical_unit().to_string();
        let id = format!("{}-{}", p.station, p.pollutant.code());
        let polar = PolarChart {
            title: format!("{what} ({} h, {} calm)", p.surface.hours, p.surface.calms),
            unit: unit.clone(),
            surface: p.surface.clone(),
            cpf: Some(p.cpf.clone()),
        };
        save(&polar, &format!("polar-{id}"))?;
        let rose = CpfRoseChart {
            title: format!("{what}: CPF"),
            cpf: p.cpf.clone(),
        };
        save(&rose, &format!("cpf-rose-{id}"))?;
        let rose = PercentileRoseChart {
            title: format!("{what}: percentiles by direction"),
            unit,
            rose: p.rose.clone(),
        };
        save(&rose, &format!("percentile-rose-{id}"))?;
    }
    let stations: Vec<(String, f64, f64)> = series
        .iter()
        .filter_map(|s| Some((s.station.clone(), s.position?.0, s.position?.1)))
        .collect();
    if stations.len() >= 2 {
        let rays = analysis
            .bearings
            .iter()
            .filter(|b| b.bearing.confidence >= min_confidence)
            .filter_map(|b| {
                let s = stations.iter().find(|s| s.0 == b.station)?;
                Some((s.1, s.2, b.bearing.bearing_deg))
            })
            .collect();
        let map = MapChart {
            title: format!("Bearings and located sources, {first} – {last}"),
            stations,
            rays,
            located: analysis.located.clone(),
            truth: Vec::new(),
        };
        save(&map, "source-map")?;
    }
    if !analysis.split.is_empty() {
        let split = SplitChart::from_analysis(
            analysis,
            Parameter::Pm25,
            &format!("Local vs regional, {first} – {last}"),
        );
        save(&split, "local-regional")?;
    }
    Ok(written)
}

/// A chart that can be saved as `NAME.svg` and `NAME.png` (object-safe, for one loop).
trait ChartFile {
    fn save(&self, dir: &Path, name: &str) -> Result<PathBuf, PlotError>;
}

impl<C: Chart> ChartFile for C {
    fn save(&self, dir: &Path, name: &str) -> Result<PathBuf, PlotError> {
        let svg = render(self, Lang::En, Some(&dir.join(format!("{name}.png"))))?;
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, svg).map_err(|source| PlotError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}
