//! Issuing a forecast run from the store and keeping it there: what `lantian forecast run
//! --store-results` and the scheduled `forecast` job share.
//!
//! Every station of the store (or the ones asked for) is forecast at the issue time from the
//! 48 hours before it ([`run::forecast_station`](super::run::forecast_station)). The models are
//! pooled across stations, but one feature is station-specific: the climatology (hour of day ×
//! month means of the training period, required). A station the model was not trained on
//! uses the training network's climatology when other stations of its network were trained
//! on (a new station of the same network). When *no* station of the store is known to the
//! model (another network), the training network's climatology would describe another
//! city: it is not used. The climatology is then computed from the store's own last
//! [`HISTORY_DAYS`] days — provided they hold at least [`MIN_HISTORY_DAYS`] local days with
//! data (fewer would make the last days' weather pass for a climate, the more so as
//! [`Climatology`] pools the stations' values of an hour where a station has too few). With
//! less history every station abstains, naming the missing input (`clim_target`) and why.

use chrono::{DateTime, TimeDelta, Utc};

use super::climatology::Climatology;
use super::features::FeatureContext;
use super::missing::REQUIRED;
use super::model::ModelSet;
use super::run::{StationForecast, forecast_station, label_day};
use super::series::Grid;
use super::weather::{ForecastWeather, WeatherFile};
use super::{ForecastError, MAX_HORIZON, Target};
use crate::aqi::china::{DailyInput, RuleSet, daily_aqi};
use crate::compute::local_time;
use crate::store::{
    ForecastDay, ForecastHour, ForecastParameter, ForecastStore, Missing, ReadingStore, StationId,
    StationStore,
};

/// The model file used when none is configured.
pub const DEFAULT_MODEL_FILE: &str = "models/forecast.json";

/// Hours of history before the issue time the features need (lags and 24-h means).
pub const HISTORY_HOURS: i64 = 48;

/// Days of stored history a climatology of the store's own data is computed from, when the
/// model does not know the network.
pub const HISTORY_DAYS: i64 = 62;

/// Fewest local days with data in the last [`HISTORY_DAYS`] for a climatology of the store's
/// own data.
pub const MIN_HISTORY_DAYS: usize = 14;

/// Where the climatology feature came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClimatologySource {
    /// The model's training period (the network was trained on).
    Model,
    /// The store's own history (the network is unknown to the model).
    Stored {
        /// Local days with data in the last [`HISTORY_DAYS`].
        days: usize,
    },
    /// None: the network is unknown to the model and the store holds fewer than
    /// [`MIN_HISTORY_DAYS`] days of it; every station abstains.
    Missing {
        /// Local days with data in the last [`HISTORY_DAYS`].
        days: usize,
    },
}

/// One forecast run: the station forecasts and the records to store.
#[derive(Debug, Clone)]
pub struct IssuedRun {
    /// Issue time (data labelled up to it were used).
    pub issued: DateTime<Utc>,
    /// The model's description, as stored with every forecast.
    pub model: String,
    /// Where the climatology came from.
    pub climatology: ClimatologySource,
    /// Per station.
    pub forecasts: Vec<StationForecast>,
    /// Hourly values to store (abstained hours have none).
    pub hours: Vec<ForecastHour>,
    /// Daily forecasts to store (one per station and covered local day; abstained ones too,
    /// without an AQI, with their missing inputs).
    pub days: Vec<ForecastDay>,
}

impl IssuedRun {
    /// Stations with at least one forecast value.
    pub fn forecast_count(&self) -> usize {
        self.forecasts.iter().filter(|f| has_values(f)).count()
    }

    /// Stations without any forecast value (abstained on every pollutant they have a model
    /// of).
    pub fn abstained_count(&self) -> usize {
        self.forecasts.len() - self.forecast_count()
    }

    /// The note that applies to every station of the run: where the climatology came from
    /// when the model did not know the network.
    pub fn note(&self) -> Option<Missing> {
        match self.climatology {
            ClimatologySource::Model => None,
            ClimatologySource::Stored { days } => Some(Missing::ClimatologyFromHistory { days }),
            ClimatologySource::Missing { days } => Some(Missing::ClimatologyTooShort {
                days,
                needs: MIN_HISTORY_DAYS,
            }),
        }
    }

    /// One line: stations forecast and abstained, and why they abstained.
    pub fn summary(&self) -> String {
        let mut why: Vec<&str> = self
            .forecasts
            .iter()
            .filter(|f| !has_values(f))
            .flat_map(|f| f.missing.iter().copied())
            .filter(|m| REQUIRED.contains(m))
            .collect();
        why.sort_unstable();
        why.dedup();
        let mut s = format!(
            "forecast issued at {}: {} station(s) forecast, {} abstained",
            self.issued.format("%Y-%m-%dT%H:%MZ"),
            self.forecast_count(),
            self.abstained_count()
        );
        if !why.is_empty() {
            s.push_str(&format!(" (missing {})", why.join(", ")));
        }
        if let Some(n) = self.note() {
            s.push_str(&format!("; {n}"));
        }
        s
    }
}

/// The model's description stored with each forecast: the model file's format and training
/// period (its long method description stays in the file).
pub fn model_label(set: &ModelSet) -> String {
    format!(
        "lantian-forecast v{}{} trained {}…{}",
        set.format,
        if set.weather { " +weather" } else { "" },
        set.trained_from.format("%Y-%m-%d"),
        set.trained_to.format("%Y-%m-%d")
    )
}

/// Forecasts `stations` (every station of the store when empty) at `at`, a whole hour, with
/// forecast weather when the model set was trained with it (and only then).
pub fn issue(
    store: &(impl StationStore + ReadingStore + ?Sized),
    set: &ModelSet,
    stations: &[String],
    at: DateTime<Utc>,
    weather: Option<&WeatherFile>,
) -> Result<IssuedRun, ForecastError> {
    match (weather, set.weather) {
        (None, true) => {
            return Err(ForecastError::Weather(
                "the model set was trained with forecast weather: give a forecast-weather file"
                    .into(),
            ));
        }
        (Some(w), false) => {
            return Err(ForecastError::Weather(format!(
                "{}: the model set uses issue-time information only (train it with \
                 --weather-features to use forecast weather)",
                w.source
            )));
        }
        _ => {}
    }
    // The hours ahead stay empty in the grid; forecast weather is aligned to them.
    let end = at + TimeDelta::hours(i64::from(MAX_HORIZON) + 1);
    let known = if stations.is_empty() {
        store
            .stations()?
            .iter()
            .any(|s| set.climatology.stations.contains_key(&s.id))
    } else {
        stations
            .iter()
            .any(|s| set.climatology.stations.contains_key(s))
    };
    // The model's network needs the features' 48 hours; another one its own climatology's days.
    let history = if known {
        TimeDelta::hours(HISTORY_HOURS)
    } else {
        TimeDelta::days(HISTORY_DAYS)
    };
    let grid = Grid::load(store, stations, at - history, end)?;
    let stored;
    let (climatology, source) = if known {
        (&set.climatology, ClimatologySource::Model)
    } else {
        let t = grid.index_of(at).ok_or_else(|| not_whole(at))?;
        let days = days_with_data(&grid, t + 1);
        if days >= MIN_HISTORY_DAYS {
            stored = Climatology::from_grid(&grid, t + 1);
            (&stored, ClimatologySource::Stored { days })
        } else {
            stored = Climatology {
                stations: Default::default(),
                network: Default::default(),
            };
            (&stored, ClimatologySource::Missing { days })
        }
    };
    let t = grid.index_of(at).ok_or_else(|| not_whole(at))?;
    let forecast_weather =
        weather.map(|w| ForecastWeather::from_records(&w.records, &grid, &w.source));
    let mut ctx = FeatureContext::new(&grid, climatology);
    if let Some(w) = &forecast_weather {
        ctx = ctx.with_weather(w);
    }
    let model = model_label(set);
    let mut run = IssuedRun {
        issued: at,
        model,
        climatology: source,
        forecasts: Vec::with_capacity(grid.stations.len()),
        hours: Vec::new(),
        days: Vec::new(),
    };
    let note = run.note();
    for s in 0..grid.stations.len() {
        let f = forecast_station(&ctx, set, s, t);
        records(
            &f,
            &run.model,
            note.as_ref(),
            grid.tz,
            &mut run.hours,
            &mut run.days,
        );
        run.forecasts.push(f);
    }
    tracing::debug!("{}", run.summary());
    Ok(run)
}

/// Issues a run and writes it to the store; returns the run and how many entries were written.
pub fn issue_and_store(
    store: &mut (impl StationStore + ReadingStore + ForecastStore + ?Sized),
    set: &ModelSet,
    stations: &[String],
    at: DateTime<Utc>,
    weather: Option<&WeatherFile>,
) -> Result<(IssuedRun, usize), ForecastError> {
    let run = issue(store, set, stations, at, weather)?;
    let written = store
        .put_forecasts(&run.hours, &run.days)
        .map_err(ForecastError::from)?;
    Ok((run, written))
}

fn has_values(f: &StationForecast) -> bool {
    f.hours
        .iter()
        .any(|h| h.pm25.is_some() || h.pm10.is_some() || h.o3.is_some())
}

fn not_whole(at: DateTime<Utc>) -> ForecastError {
    ForecastError::NoData(format!("issue time {at} is not a whole hour"))
}

/// Local days with at least one value in hours `[0, end)` of the grid.
fn days_with_data(grid: &Grid, end: usize) -> usize {
    let days: std::collections::BTreeSet<_> = (0..end.min(grid.len))
        .filter(|&i| {
            grid.values
                .iter()
                .any(|st| st.values().any(|v| v.get(i).is_some_and(|x| x.is_finite())))
        })
        .map(|i| label_day(grid.time_of(i), grid.tz))
        .collect();
    days.len()
}

/// The stored records of one station's forecast.
fn records(
    f: &StationForecast,
    model: &str,
    note: Option<&Missing>,
    tz: chrono_tz::Tz,
    hours: &mut Vec<ForecastHour>,
    days: &mut Vec<ForecastDay>,
) {
    let station: StationId = f.station.as_str().into();
    for h in &f.hours {
        let values = [
            (ForecastParameter::Target(Target::Pm25), h.pm25),
            (ForecastParameter::Target(Target::Pm10), h.pm10),
            (ForecastParameter::Target(Target::O3), h.o3),
            (ForecastParameter::Aqi, h.aqi.map(f64::from)),
        ];
        for (parameter, value) in values {
            if let Some(value) = value.filter(|v| v.is_finite()) {
                hours.push(ForecastHour {
                    station: station.clone(),
                    parameter,
                    issued: f.issued,
                    valid: h.time,
                    value,
                    model: model.to_string(),
                });
            }
        }
    }
    let mut missing: Vec<Missing> = f
        .missing
        .iter()
        .map(|m| Missing::Input(m.to_string()))
        .collect();
    // The run's note (where the climatology came from) explains a missing climatology.
    if f.missing.contains("clim_target") {
        missing.extend(note.cloned());
    }
    for d in &f.days {
        // Pollutants with inputs but no published model at this lead (no skill over the
        // baselines): named, so that a day without AQI says why.
        let unpublished: Vec<Target> = Target::ALL
            .into_iter()
            .filter(|t| d.stats().get(*t).is_none() && !f.abstained.contains(t))
            .collect();
        let mut day_missing = missing.clone();
        if !unpublished.is_empty() {
            day_missing.push(Missing::BeyondSkill(unpublished));
        }
        let Some(time) = local_time(tz, d.date, 0) else {
            continue;
        };
        let result = daily_aqi(
            &DailyInput {
                pm25: d.pm25,
                pm10: d.pm10,
                o3_8h_max: d.o3_8h_max,
                ..Default::default()
            },
            RuleSet::for_date(d.date),
        );
        days.push(ForecastDay {
            station: station.clone(),
            date: d.date,
            time,
            issued: f.issued,
            aqi: d.aqi,
            aqi_low: d.range.map(|r| r.low),
            aqi_high: d.range.map(|r| r.high),
            primary: result.primary,
            pm25: d.pm25,
            pm10: d.pm10,
            o3_8h_max: d.o3_8h_max,
            model: model.to_string(),
            abstained: f.abstained.clone(),
            missing: day_missing,
        });
    }
}
