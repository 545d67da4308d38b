//! The six AQI categories.

/// An AQI category (level 1–6), shared by HJ 633 and the EPA scale.
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

impl Category {
    /// The category of an AQI value.
    pub fn from_aqi(aqi: u32) -> Category {
        let _ = aqi;
        unimplemented!("helper E")
    }
}
