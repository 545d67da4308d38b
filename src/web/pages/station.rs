//! The station page: its latest hourly values with their flags, its AQI now, every parameter
//! and the hourly (and, over a month, daily) AQI over the last 24 hours, 7 days or 30 days as
//! charts, and its devices' health.

use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::PageError;
use super::roses::{pollution_rose, wind_rose};
use super::series_chart::SeriesChart;
use super::view::{Frame, category_class};
use crate::aqi::Category;
use crate::chart::render;
use crate::lang::Lang;
use crate::quality::Flag;
use crate::report::flag_name;
use crate::report::i18n::Words;
use crate::store::{
    DeviceHealth, IndexQuery, IndexRecord, ReadingQuery, Record, Resolution, SourceFlag,
    SourceFlagQuery, StationInfo, Stations, Store,
};
use crate::units::Parameter;

/// How far back the charts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Span {
    /// The last 24 hours.
    #[default]
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
}

impl Span {
    /// Every span, shortest first.
    pub(crate) const ALL: [Span; 3] = [Span::Day, Span::Week, Span::Month];

    /// Its code in URLs (`24h`, `7d`, `30d`).
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Span::Day => "24h",
            Span::Week => "7d",
            Span::Month => "30d",
        }
    }

    /// The span from its code.
    pub(crate) fn parse(code: &str) -> Option<Span> {
        Span::ALL.into_iter().find(|s| s.code() == code)
    }

    const fn length(self) -> TimeDelta {
        match self {
            Span::Day => TimeDelta::hours(24),
            Span::Week => TimeDelta::days(7),
            Span::Month => TimeDelta::days(30),
        }
    }
}

/// The page's template.
#[derive(Template)]
#[template(path = "station.html")]
pub(crate) struct StationPage {
    /// The frame.
    pub(crate) frame: Frame,
    /// The station.
    pub(crate) info: StationInfo,
    /// The latest hourly value of each parameter.
    pub(crate) latest: Vec<Record>,
    /// The latest hourly AQI.
    pub(crate) aqi: Option<IndexRecord>,
    /// The charts' span.
    pub(crate) span: Span,
    /// The charts (SVG), AQI first.
    pub(crate) charts: Vec<String>,
    /// Its devices' health.
    pub(crate) devices: Vec<DeviceHealth>,
    /// The station's zone.
    pub(crate) tz: Tz,
    /// The wind and pollution roses (SVG), none without wind data.
    pub(crate) roses: Vec<String>,
    /// The station's source flags over the span, newest first.
    pub(crate) flags: Vec<SourceFlag>,
    /// Local days of the span the `sources` job analysed.
    pub(crate) analysed_days: usize,
}

/// The page of station `id` (`None` when the store has no such station).
pub(crate) fn station_page(
    store: &dyn Store,
    id: &str,
    span: Span,
    frame: Frame,
) -> Result<Option<StationPage>, PageError> {
    let Some(info) = store.stations()?.into_iter().find(|s| s.id == id) else {
        return Ok(None);
    };
    let one = || Stations::one(id);
    let mut latest = store.latest_readings(Resolution::Hour, &one())?;
    latest.sort_by_key(|r| r.parameter);
    let end = latest.iter().map(|r| r.time).max().unwrap_or_else(Utc::now);
    let from = end - span.length();
    let tz = info.time_zone;
    let lang = frame.lang;
    let hourly_aqi = store.indices(
        &IndexQuery::new(Resolution::Hour, from, end + TimeDelta::seconds(1)).for_stations(one()),
    )?;
    let aqi = hourly_aqi.last().cloned();
    let mut charts = vec![chart(
        lang.pick("小时AQI", "Hourly AQI").to_string(),
        (from, end, tz),
        hourly_aqi.iter().map(|r| (r.time, r.aqi.map(f64::from))),
        true,
    )?];
    if span == Span::Month {
        let daily = store.indices(
            &IndexQuery::new(Resolution::Day, from, end + TimeDelta::seconds(1))
                .for_stations(one()),
        )?;
        charts.push(chart(
            lang.pick("日AQI", "Daily AQI").to_string(),
            (from, end, tz),
            daily.iter().map(|r| (r.time, r.aqi.map(f64::from))),
            true,
        )?);
    }
    let readings = store.readings(
        &ReadingQuery::new(Resolution::Hour, from, end + TimeDelta::seconds(1)).for_stations(one()),
    )?;
    for parameter in latest.iter().map(|r| r.parameter) {
        let unit = parameter.canonical_unit().symbol();
        let points = readings
            .iter()
            .filter(|r| r.parameter == parameter)
            .map(|r| (r.time, (r.flag == Flag::Normal).then_some(r.value)));
        charts.push(chart(
            format!("{} ({unit})", parameter.label()).replace(" ()", ""),
            (from, end, tz),
            points,
            false,
        )?);
    }
    let wind = wind_rose(&readings, lang);
    let roses = if wind.hours() + wind.calm == 0 {
        Vec::new()
    } else {
        vec![
            render(&wind, lang, None)?,
            render(&pollution_rose(&readings, lang), lang, None)?,
        ]
    };
    let mut flags = store.source_flags(
        &SourceFlagQuery::new(from, end + TimeDelta::seconds(1)).for_stations(one()),
    )?;
    flags.reverse();
    let analysed_days = store
        .analysed_days(
            from.with_timezone(&tz).date_naive(),
            end.with_timezone(&tz).date_naive(),
        )?
        .len();
    let devices = store
        .health()?
        .into_iter()
        .filter(|h| h.station == id)
        .collect();
    Ok(Some(StationPage {
        frame,
        info,
        latest,
        aqi,
        span,
        charts,
        devices,
        tz,
        roses,
        flags,
        analysed_days,
    }))
}

/// One chart as SVG.
pub(super) fn chart(
    title: String,
    (from, to, tz): (DateTime<Utc>, DateTime<Utc>, Tz),
    points: impl Iterator<Item = (DateTime<Utc>, Option<f64>)>,
    aqi_bands: bool,
) -> Result<String, PageError> {
    let chart = SeriesChart {
        title,
        from,
        to,
        points: points.collect(),
        aqi_bands,
        tz,
    };
    Ok(render(&chart, Lang::En, None)?)
}

impl StationPage {
    fn name(&self) -> &str {
        self.frame.lang.pick(&self.info.name, &self.info.name_en)
    }

    fn aqi_value(&self) -> Option<u32> {
        self.aqi.as_ref().and_then(|r| r.aqi)
    }

    fn aqi_class(&self) -> String {
        category_class(self.aqi_value())
    }

    fn aqi_text(&self) -> String {
        match self.aqi_value() {
            Some(a) => format!(
                "AQI {a} · {}",
                self.frame.lang.category(Category::from_aqi(a))
            ),
            None => format!("AQI — · {}", self.frame.t.no_data),
        }
    }

    fn primary(&self) -> String {
        self.frame
            .lang
            .terms(self.aqi.as_ref().map_or(&[][..], |r| &r.primary))
    }

    fn value(&self, r: &Record) -> String {
        let decimals = if r.parameter == Parameter::Co { 2 } else { 1 };
        format!("{:.*}", decimals, r.value)
    }

    fn unit(&self, r: &Record) -> &'static str {
        r.parameter.canonical_unit().symbol()
    }

    fn flag(&self, r: &Record) -> String {
        format!("{} {}", r.flag.code(), flag_name(self.frame.lang, r.flag))
    }

    fn flag_class(&self, r: &Record) -> &'static str {
        if r.flag == Flag::Normal {
            "flag-ok"
        } else {
            "flag-bad"
        }
    }

    fn local(&self, t: &Option<DateTime<Utc>>) -> String {
        t.map_or_else(
            || self.frame.t.never.to_string(),
            |t| t.with_timezone(&self.tz).format("%m-%d %H:%M").to_string(),
        )
    }

    fn time(&self, t: &DateTime<Utc>) -> String {
        self.local(&Some(*t))
    }

    fn spans(&self) -> [Span; 3] {
        Span::ALL
    }

    fn flag_source(&self, f: &SourceFlag) -> &'static str {
        self.frame.lang.source_type(f.source_type)
    }

    fn flag_pollutants(&self, f: &SourceFlag) -> String {
        f.pollutants
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn flag_evidence(&self, f: &SourceFlag) -> String {
        crate::report::events::evidence_line(f, self.frame.lang)
    }

    fn flag_span(&self, f: &SourceFlag) -> String {
        format!("{} – {}", self.time(&f.start), self.time(&f.end))
    }

    fn no_flags(&self) -> String {
        let lang = self.frame.lang;
        if self.analysed_days == 0 {
            lang.pick(
                "无来源标记：此时段尚未进行来源分析",
                "No source flags: the sources job has not analysed these days",
            )
            .to_string()
        } else {
            format!(
                "{} ({})",
                lang.pick("无来源标记", "No source flags"),
                match (lang, self.analysed_days) {
                    (Lang::Zh, n) => format!("已分析 {n} 天"),
                    (Lang::En, 1) => "1 day analysed".to_string(),
                    (Lang::En, n) => format!("{n} days analysed"),
                }
            )
        }
    }
}
