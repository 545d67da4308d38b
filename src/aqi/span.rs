//! Published AQI ranges and category spans: the form Chinese forecast centres publish
//! forecasts in ("AQI 90–130，良至轻度污染") — an AQI range and one category or two adjacent
//! ones. A range crossing more than two categories is published with the forecast AQI's
//! category and the neighbour holding more of the range (the worse one on a tie: the
//! precautionary reading), and the range is cut to that span, so that the forecast AQI, its
//! range and its categories always agree: never more than two categories.

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
    /// The span of the range `[low, high]` around the forecast AQI `center` (module rule;
    /// `center` lies in the range).
    pub fn of_range(low: u32, high: u32, center: u32) -> CategorySpan {
        let (a, b) = (Category::from_aqi(low), Category::from_aqi(high));
        if b.level() <= a.level() + 1 {
            return CategorySpan { low: a, high: b };
        }
        // AQI points of the range inside the pair (c, d).
        let held = |c: Category, d: Category| {
            let lo = low.max(c.aqi_range().0);
            let hi = high.min(d.aqi_range().1);
            hi.saturating_sub(lo) + u32::from(hi >= lo)
        };
        let c = Category::from_aqi(center);
        let better = Category::from_level(c.level() - 1).filter(|b| b.level() >= a.level());
        let worse = Category::from_level(c.level() + 1).filter(|w| w.level() <= b.level());
        match (better, worse) {
            (Some(b), Some(w)) if held(b, c) > held(c, w) => CategorySpan { low: b, high: c },
            (_, Some(w)) => CategorySpan { low: c, high: w },
            (Some(b), None) => CategorySpan { low: b, high: c },
            (None, None) => CategorySpan { low: c, high: c },
        }
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
    /// always holding `aqi` itself; AQI 0 counts as 1), cut to its span.
    pub fn around(aqi: u32, low: f64, high: f64) -> AqiRange {
        let base = f64::from(aqi.max(1));
        let end = |r: f64| (base * r.exp()).round().clamp(0.0, f64::from(u32::MAX)) as u32;
        let (low, high) = (end(low).min(aqi), end(high).max(aqi));
        let span = CategorySpan::of_range(low, high, aqi);
        AqiRange {
            low: low.max(span.low.aqi_range().0),
            high: high.min(span.high.aqi_range().1),
            span,
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
        // 90–230 around 120 (Light): Good + Light hold 11 + 50, Light + Moderate 50 + 50.
        let s = CategorySpan::of_range(90, 230, 120);
        assert_eq!((s.low, s.high), (Category::Light, Category::Moderate));
        // 40–160 around 70 (Good): Excellent + Good hold 11 + 50, Good + Light 50 + 50.
        let s = CategorySpan::of_range(40, 160, 70);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // 76–175: 25 Good, 50 Light, 25 Moderate points. Around 160 (Moderate): Light +
        // Moderate; around 90 (Good): Good + Light.
        let s = CategorySpan::of_range(76, 175, 160);
        assert_eq!((s.low, s.high), (Category::Light, Category::Moderate));
        let s = CategorySpan::of_range(76, 175, 90);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // The forecast's category is always in the span, even where another pair holds more:
        // 95 (Good) in 60–240 keeps Good + Light, not Light + Moderate.
        let s = CategorySpan::of_range(60, 240, 95);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // The neighbour holding more: 51–175 around 125 (Light): Good 50, Moderate 25.
        let s = CategorySpan::of_range(51, 175, 125);
        assert_eq!((s.low, s.high), (Category::Good, Category::Light));
        // A tie goes to the worse neighbour: 76–175 around 125 holds 25 Good, 25 Moderate.
        let s = CategorySpan::of_range(76, 175, 125);
        assert_eq!((s.low, s.high), (Category::Light, Category::Moderate));
        // Severe's open end.
        let s = CategorySpan::of_range(250, 900, 400);
        assert_eq!((s.low, s.high), (Category::Heavy, Category::Severe));
        for (lo, hi) in [(0, 500), (10, 20), (45, 55), (140, 310)] {
            let s = CategorySpan::of_range(lo, hi, (lo + hi) / 2);
            assert!(s.high.level() - s.low.level() <= 1, "{lo}–{hi}: {s:?}");
            assert!(
                s.contains(Category::from_aqi((lo + hi) / 2)),
                "{lo}–{hi}: {s:?}"
            );
        }
    }

    #[test]
    fn a_wide_range_is_cut_to_its_span() {
        // 100 × e^(ln 0.4 … ln 2.3) = 40–230 around 100 (Good): Good + Light hold 50 + 50,
        // Excellent + Good 11 + 50 → Good + Light, and the range becomes 51–150.
        let r = AqiRange::around(100, (0.4f64).ln(), (2.3f64).ln());
        assert_eq!((r.low, r.high), (51, 150));
        assert_eq!((r.span.low, r.span.high), (Category::Good, Category::Light));
        assert!(r.holds(100));
    }
}
