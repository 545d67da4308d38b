//! The daily report's forecast section: tomorrow and the day after from the latest forecast
//! issued by the end of the report's day, the recent skill, and plain words when there is no
//! forecast.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use lantian::aqi::Pollutant;
use lantian::report::html::check_well_formed;
use lantian::report::{Lang, ReportConfig, daily_report};
use lantian::store::{ForecastDay, ForecastStore, Missing, Store};
use lantian::units::ForecastTarget;

use crate::fixture::{self, section, table_rows, text};

/// `hour` local time (Shanghai) on `date`, in UTC.
fn local(date: NaiveDate, hour: i64) -> DateTime<Utc> {
    fixture::label(date, hour)
}

pub(crate) fn forecast(
    station: &str,
    date: NaiveDate,
    issued: DateTime<Utc>,
    aqi: Option<u32>,
) -> ForecastDay {
    ForecastDay {
        station: station.into(),
        date,
        time: local(date, 0),
        issued,
        aqi,
        aqi_low: aqi.map(|a| a * 3 / 4),
        aqi_high: aqi.map(|a| a * 5 / 4),
        primary: if aqi.is_some_and(|a| a > 50) {
            vec![Pollutant::Pm25]
        } else {
            vec![]
        },
        pm25: None,
        pm10: None,
        o3_8h_max: None,
        model: "m".into(),
        abstained: if aqi.is_none() {
            vec![
                ForecastTarget::Pm25,
                ForecastTarget::Pm10,
                ForecastTarget::O3,
            ]
        } else {
            vec![]
        },
        missing: if aqi.is_none() {
            vec![Missing::Input("lag0".into()), Missing::Input("temp".into())]
        } else {
            vec![Missing::Input("temp".into())]
        },
    }
}

fn report(store: &dyn Store, dir: &std::path::Path, lang: Lang) -> String {
    let cfg = ReportConfig {
        out_dir: dir.join(format!("out-{lang}")),
        lang,
    };
    let files = daily_report(store, "Test network", fixture::day(), &cfg).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    html
}

#[test]
fn the_report_shows_the_latest_forecast_issued_by_the_end_of_its_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixture::store(dir.path());
    let day = fixture::day();
    let (d1, d2) = (day + TimeDelta::days(1), day + TimeDelta::days(2));
    let earlier = local(day - TimeDelta::days(1), 17);
    let issued = local(day, 17);
    let too_late = local(d1, 5);
    store
        .put_forecasts(
            &[],
            &[
                // Superseded by the 17:00 run of the report's day.
                forecast("A", d1, earlier, Some(300)),
                forecast("A", d1, issued, Some(45)),
                forecast("B", d1, issued, Some(120)),
                forecast("C", d1, issued, None),
                forecast("A", d2, issued, Some(60)),
                forecast("B", d2, issued, Some(80)),
                forecast("C", d2, issued, None),
                // Issued after the report's day: not shown.
                forecast("A", d2, too_late, Some(200)),
                // Yesterday's forecast of the report's day, verified by its observed AQI
                // (A 50, excellent: a hit; B 107, lightly polluted, forecast good: a miss).
                forecast("A", day, earlier, Some(45)),
                forecast("B", day, earlier, Some(90)),
            ],
        )
        .unwrap();

    let html = report(&store, dir.path(), Lang::Zh);
    let s = text(section(&html, "forecast"));
    assert!(
        s.contains("2024年3月11日：全市各站AQI预计为45～120，优至轻度污染（2024年3月10日 17:00发布）。1个站点无AQI预报：缺少当前小时浓度。"),
        "{s}"
    );
    assert!(
        s.contains("2024年3月12日：全市各站AQI预计为60～80，良（2024年3月10日 17:00发布）"),
        "{s}"
    );
    assert!(
        s.contains(
            "近30天预报检验：次日AQI类别准确率50%（2个站日；持续性预报—），日AQI平均绝对误差11。按范围预报评估（2个站日）：AQI范围预报准确率100%，级别范围预报准确率100%。"
        ),
        "{s}"
    );
    let rows = table_rows(section(&html, "forecast"));
    assert_eq!(
        rows[0],
        [
            "甲站",
            "45",
            "优",
            "无",
            "AQI 33–56 · 优至良",
            "60",
            "良",
            "细颗粒物(PM2.5)",
            "AQI 45–75 · 优至良"
        ]
    );
    assert_eq!(
        rows[1][1..5],
        [
            "120",
            "轻度污染",
            "细颗粒物(PM2.5)",
            "AQI 90–150 · 良至轻度污染"
        ]
    );
    assert_eq!(rows[2][1..5], ["—", "—", "—", "—"]);

    let html = report(&store, dir.path(), Lang::En);
    let s = text(section(&html, "forecast"));
    assert!(
        s.contains("11 March 2024: station AQI 45–120, excellent to lightly polluted (issued 10 March 2024 17:00). 1 station(s) without an AQI forecast: missing the current hour's concentration."),
        "{s}"
    );
    assert!(
        s.contains("next-day AQI category right on 50 % of 2 station-days"),
        "{s}"
    );
    assert!(
        s.contains("Scored as range forecasts (2 station-days): AQI inside the forecast range 100%, category inside the forecast span 100%."),
        "{s}"
    );
    let rows = table_rows(section(&html, "forecast"));
    assert_eq!(rows[1][4], "AQI 90–150 · Good to lightly polluted");
}

#[test]
fn without_a_forecast_the_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixture::store(dir.path());
    // A forecast issued after the report's day does not count.
    let d1 = fixture::day() + TimeDelta::days(1);
    store
        .put_forecasts(&[], &[forecast("A", d1, local(d1, 5), Some(45))])
        .unwrap();
    let s = text(section(&report(&store, dir.path(), Lang::Zh), "forecast"));
    assert!(
        s.contains(
            "暂无预报：截至2024年3月11日 00:00未发布2024年3月11日、2024年3月12日的空气质量预报"
        ),
        "{s}"
    );
    assert!(s.contains("近30天暂无可检验的预报。"), "{s}");
    let s = text(section(&report(&store, dir.path(), Lang::En), "forecast"));
    assert!(
        s.contains(
            "No forecast: none for 11 March 2024 or 12 March 2024 was issued by 11 March 2024 00:00"
        ),
        "{s}"
    );

    // Only tomorrow forecast: the day after says so.
    store
        .put_forecasts(
            &[],
            &[forecast("A", d1, local(fixture::day(), 17), Some(45))],
        )
        .unwrap();
    let s = text(section(&report(&store, dir.path(), Lang::Zh), "forecast"));
    assert!(s.contains("2024年3月11日：全市各站AQI预计为45，优"), "{s}");
    assert!(s.contains("2024年3月12日：暂无预报。"), "{s}");
}
