//! Published AQI ranges and category spans: the form Chinese forecast centres publish
//! forecasts in ("AQI 90–130，良至轻度污染") — an AQI range and one category or two adjacent
//! ones. A range crossing more than two categories is published with the two adjacent
//! categories holding most of its AQI points (on a tie, the pair holding the forecast AQI,
//! then the better pair): never more than two.

use serde::Serialize;

use super::Category;

/// One or two adjacent AQI categories (`low == high` for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CategorySpan {
    /// The better category.
    #[serde(serialize_with = "ser_category")]
    pub low: Category,
    /// The worse category (the same or the next one).
    #[serde(serialize_with = "ser_category")]
    pub high: Category,
}

fn ser_category<S: serde::Serializer>(c: &Category, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{c:?}"))
}

/// A forecast AQI range with its category span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AqiRange {
    /// Lower end (whole AQI).
    pub low: u32,
    /// Upper end.
    pub high: u32,
    /// The categories it is published with.
    pub span: CategorySpan,
}

impl CategorySpan {
    /// The span of the range `[low, high]` around the forecast AQI `center` (module rule).
    pub fn of_range(low: u32, high: u32, center: u32) -> CategorySpan {
        let (a, b) = (Category::from_aqi(low), Category::from_aqi(high));
        if b.level() <= a.level() + 1 {
            return CategorySpan { low: a, high: b };
        }
        let held = |c: Category, d: Category| {
            let lo = low.max(c.aqi_range().0);
            let hi = high.min(d.aqi_range().1);
            hi.saturating_sub(lo) + u32::from(hi >= lo)
        };
        let center = Category::from_aqi(center);
        let mut best: Option<(u32, bool, Category, Category)> = None;
        for level in a.level()..b.level() {
            let (Some(c), Some(d)) = (Category::from_level(level), Category::from_level(level + 1))
            else {
                continue;
            };
            let key = (held(c, d), center == c || center == d);
            if best.is_none_or(|(n, has, _, _)| key > (n, has)) {
                best = Some((key.0, key.1, c, d));
            }
        }
        best.map_or(CategorySpan { low: a, high: b }, |(_, _, c, d)| {
            CategorySpan { low: c, high: d }
        })
    }

    /// Whether `c` is in the span.
    pub fn contains(&self, c: Category) -> bool {
        (self.low..=self.high).contains(&c)
    }

    /// Whether the span has two categories.
    pub fn is_two(&self) -> bool {
        self.low != self.high
    }
}

impl AqiRange {
    /// The range `[aqi·e^low, aqi·e^high]` (`low`, `high`: ln ratios; rounded to whole AQI,
    /// always holding `aqi` itself; AQI 0 counts as 1) and its span.
    pub fn around(aqi: u32, low: f64, high: f64) -> AqiRange {
        let base = f64::from(aqi.max(1));
        let end = |r: f64| (base * r.exp()).round().clamp(0.0, f64::from(u32::MAX)) as u32;
        let (low, high) = (end(low).min(aqi), end(high).max(aqi));
        AqiRange {
            low,
            high,
            span: CategorySpan::of_range(low, high, aqi),
        }
    }

    /// Whether the observed AQI is inside the range (AQI范围预报).
    pub fn holds(&self, aqi: u32) -> bool {
        (self.low..=self.high).contains(&aqi)
    }

    /// Width in AQI points (`high − low`).
    pub fn width(&self) -> u32 {
        self.high - self.low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_multiplicative_around_the_forecast() {
        let r = AqiRange::around(100, (0.8f64).ln(), (1.3f64).ln());
        assert_eq!((r.low, r.high), (80, 130));
        assert_eq!(
            r.span,
            CategorySpan {
                low: Category::Good,
                high: Category::Light
            }
        );
        assert!(r.holds(80) && r.holds(130) && !r.holds(79) && !r.holds(131));
        assert_eq!(r.width(), 50);
        // The range always holds the forecast itself, even with one-sided quantiles.
        let r = AqiRange::around(60, 0.1, 0.2);
        assert_eq!((r.low, r.high), (60, 73));
        assert_eq!(r.span.low, Category::Good);
        assert!(!r.span.is_two());
    }

    #[test]
    fn spans_never_exceed_two_adjacent_categories() {
        // 90–230: Good 11 points, Light 50, Moderate 50, Heavy 30 → Light + Moderate (100).
        let s = CategorySpan::of_range(90, 230, 120);
        assert_eq!((s.low, s.high), (Category::Light, Category::Moderate));
        // 40–160: Excellent 11, Good 50, Light 50, Moderate 10 → Good + Light (100).
        let s = CategorySpan::of_range(40, 160, 70);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // A tie goes to the pair holding the forecast: 76–175 holds 25 Good, 50 Light, 25
        // Moderate; both pairs hold 75 points.
        let s = CategorySpan::of_range(76, 175, 160);
        assert_eq!((s.low, s.high), (Category::Light, Category::Moderate));
        let s = CategorySpan::of_range(76, 175, 90);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // Severe's open end.
        let s = CategorySpan::of_range(250, 900, 400);
        assert_eq!((s.low, s.high), (Category::Heavy, Category::Severe));
        for (lo, hi) in [(0, 500), (10, 20), (45, 55), (140, 310)] {
            let s = CategorySpan::of_range(lo, hi, (lo + hi) / 2);
            assert!(s.high.level() - s.low.level() <= 1, "{lo}–{hi}: {s:?}");
        }
    }
}
