//! The pages' assets, embedded in the binary (a bureau's intranet has no internet, so no
//! CDN): the stylesheet, the live-update script, the font, and the AQI categories' classes
//! generated from [`Category::colour`] so that the official colours are written in one place.

use crate::aqi::Category;

/// An embedded asset: its name under `/assets/`, its media type and its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    /// The file name under `/assets/`.
    pub(crate) name: &'static str,
    /// The `Content-Type`.
    pub(crate) media_type: &'static str,
    /// The contents.
    pub(crate) bytes: &'static [u8],
}

/// Every static asset of the pages.
pub(crate) static ASSETS: &[Asset] = &[
    Asset {
        name: "lantian.css",
        media_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../assets/web/lantian.css"),
    },
    Asset {
        name: "live.js",
        media_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/web/live.js"),
    },
    Asset {
        name: "favicon.svg",
        media_type: "image/svg+xml",
        bytes: include_bytes!("../../../assets/web/favicon.svg"),
    },
    Asset {
        name: "DejaVuSans.ttf",
        media_type: "font/ttf",
        bytes: crate::chart::FONT,
    },
];

/// The static asset called `name`.
pub(crate) fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// `aqi.css`: a class per category (`cat1` … `cat6`, `cat0` for no AQI) in its official
/// HJ 633 colour, with a text colour readable on it.
pub(crate) fn category_css() -> String {
    let mut css = String::from(".cat0{background:#9AA0A6;color:#111}\n");
    for c in Category::ALL {
        let text = if c.level() >= 4 { "#fff" } else { "#111" };
        css.push_str(&format!(
            ".cat{}{{background:{};color:{text}}}\n",
            c.level(),
            c.colour().hex()
        ));
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_its_official_colour() {
        let css = category_css();
        assert!(css.contains(".cat1{background:#00E400"));
        assert!(css.contains(".cat5{background:#99004C;color:#fff}"));
        assert!(css.contains(".cat6{background:#7E0023"));
    }

    #[test]
    fn assets_are_found_by_name() {
        assert!(asset("lantian.css").is_some_and(|a| a.media_type.starts_with("text/css")));
        assert!(asset("../Cargo.toml").is_none());
    }
}
