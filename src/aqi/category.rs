//! The six AQI categories, with their official names and colours.

use std::fmt;

/// An AQI category (level 1–6), shared by HJ 633 and the EPA scale: both cut the index at
/// 50, 100, 150, 200 and 300.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// I 0–50 优 excellent / EPA Good.
    Excellent,
    /// II 51–100 良 good / EPA Moderate.
    Good,
    /// III 101–150 轻度污染 / Unhealthy for Sensitive Groups.
    Light,
    /// IV 151–200 中度污染 / Unhealthy.
    Moderate,
    /// V 201–300 重度污染 / Very Unhealthy.
    Heavy,
    /// VI > 300 严重污染 / Hazardous.
    Severe,
}

/// An sRGB colour, as published with the category tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#RRGGBB` (upper-case hex digits, as the standards print them).
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Category {
    /// Every category, from best to worst.
    pub const ALL: [Category; 6] = [
        Category::Excellent,
        Category::Good,
        Category::Light,
        Category::Moderate,
        Category::Heavy,
        Category::Severe,
    ];

    /// The category of an AQI value: 0–50 → I, 51–100 → II, 101–150 → III, 151–200 → IV,
    /// 201–300 → V, above 300 (including values above 500) → VI.
    pub const fn from_aqi(aqi: u32) -> Category {
        match aqi {
            0..=50 => Category::Excellent,
            51..=100 => Category::Good,
            101..=150 => Category::Light,
            151..=200 => Category::Moderate,
            201..=300 => Category::Heavy,
            _ => Category::Severe,
        }
    }

    /// The category of a level 1–6; `None` for any other number.
    pub const fn from_level(level: u8) -> Option<Category> {
        match level {
            1 => Some(Category::Excellent),
            2 => Some(Category::Good),
            3 => Some(Category::Light),
            4 => Some(Category::Moderate),
            5 => Some(Category::Heavy),
            6 => Some(Category::Severe),
            _ => None,
        }
    }

    /// The level, 1 (best) to 6 (worst).
    pub const fn level(self) -> u8 {
        match self {
            Category::Excellent => 1,
            Category::Good => 2,
            Category::Light => 3,
            Category::Moderate => 4,
            Category::Heavy => 5,
            Category::Severe => 6,
        }
    }

    /// The level as HJ 633 writes it: 一级 … 六级 are shown as Roman numerals I–VI.
    pub const fn roman(self) -> &'static str {
        match self {
            Category::Excellent => "I",
            Category::Good => "II",
            Category::Light => "III",
            Category::Moderate => "IV",
            Category::Heavy => "V",
            Category::Severe => "VI",
        }
    }

    /// The inclusive AQI range of the category (`u32::MAX` as the open upper end of VI).
    pub const fn aqi_range(self) -> (u32, u32) {
        match self {
            Category::Excellent => (0, 50),
            Category::Good => (51, 100),
            Category::Light => (101, 150),
            Category::Moderate => (151, 200),
            Category::Heavy => (201, 300),
            Category::Severe => (301, u32::MAX),
        }
    }

    /// The Chinese name of HJ 633 (优, 良, 轻度污染, 中度污染, 重度污染, 严重污染).
    pub const fn name_zh(self) -> &'static str {
        match self {
            Category::Excellent => "优",
            Category::Good => "良",
            Category::Light => "轻度污染",
            Category::Moderate => "中度污染",
            Category::Heavy => "重度污染",
            Category::Severe => "严重污染",
        }
    }

    /// The English name of the HJ 633 category (excellent, good, lightly polluted, …).
    pub const fn name_en(self) -> &'static str {
        match self {
            Category::Excellent => "excellent",
            Category::Good => "good",
            Category::Light => "lightly polluted",
            Category::Moderate => "moderately polluted",
            Category::Heavy => "heavily polluted",
            Category::Severe => "severely polluted",
        }
    }

    /// The EPA name (Good, Moderate, Unhealthy for Sensitive Groups, Unhealthy, Very
    /// Unhealthy, Hazardous).
    pub const fn epa_name(self) -> &'static str {
        match self {
            Category::Excellent => "Good",
            Category::Good => "Moderate",
            Category::Light => "Unhealthy for Sensitive Groups",
            Category::Moderate => "Unhealthy",
            Category::Heavy => "Very Unhealthy",
            Category::Severe => "Hazardous",
        }
    }

    /// The official HJ 633 colour (#00E400, #FFFF00, #FF7E00, #FF0000, #99004C, #7E0023).
    pub const fn colour(self) -> Rgb {
        match self {
            Category::Excellent => Rgb(0x00, 0xE4, 0x00),
            Category::Good => Rgb(0xFF, 0xFF, 0x00),
            Category::Light => Rgb(0xFF, 0x7E, 0x00),
            Category::Moderate => Rgb(0xFF, 0x00, 0x00),
            Category::Heavy => Rgb(0x99, 0x00, 0x4C),
            Category::Severe => Rgb(0x7E, 0x00, 0x23),
        }
    }

    /// The official EPA colour (#00E400, #FFFF00, #FF7E00, #FF0000, #8F3F97, #7E0023).
    pub const fn epa_colour(self) -> Rgb {
        match self {
            Category::Heavy => Rgb(0x8F, 0x3F, 0x97),
            other => other.colour(),
        }
    }
}

impl fmt::Display for Category {
    /// The Chinese name; use [`Category::name_en`] or [`Category::epa_name`] for English.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_bounds() {
        let cases = [
            (0, 1),
            (50, 1),
            (51, 2),
            (100, 2),
            (101, 3),
            (150, 3),
            (151, 4),
            (200, 4),
            (201, 5),
            (300, 5),
            (301, 6),
            (500, 6),
            (900, 6),
        ];
        for (aqi, level) in cases {
            assert_eq!(Category::from_aqi(aqi).level(), level, "AQI {aqi}");
        }
        for c in Category::ALL {
            assert_eq!(Category::from_level(c.level()), Some(c));
            let (lo, hi) = c.aqi_range();
            assert_eq!(Category::from_aqi(lo), c);
            assert_eq!(Category::from_aqi(hi), c);
        }
        assert_eq!(Category::from_level(0), None);
        assert_eq!(Category::from_level(7), None);
    }

    #[test]
    fn names_and_colours() {
        assert_eq!(Category::Light.name_zh(), "轻度污染");
        assert_eq!(Category::Severe.name_en(), "severely polluted");
        assert_eq!(Category::Light.epa_name(), "Unhealthy for Sensitive Groups");
        assert_eq!(Category::Heavy.colour().hex(), "#99004C");
        assert_eq!(Category::Heavy.epa_colour().hex(), "#8F3F97");
        assert_eq!(Category::Excellent.epa_colour().hex(), "#00E400");
        assert_eq!(Category::Severe.epa_colour().hex(), "#7E0023");
    }
}
