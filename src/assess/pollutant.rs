//! The six pollutants of the assessment (GB 3095 basic items).

use crate::aqi;
use crate::units::parameter_subset;

parameter_subset! {
    "six assessed pollutants",
    /// One of the six pollutants HJ 663 assesses, in the order the comprehensive index lists
    /// them (and the order of an `EnumMap<Pollutant, _>`).
    pub enum Pollutant {
        /// Sulphur dioxide (µg/m³).
        So2,
        /// Nitrogen dioxide (µg/m³).
        No2,
        /// PM10 (µg/m³).
        Pm10,
        /// PM2.5 (µg/m³).
        Pm25,
        /// Carbon monoxide (mg/m³).
        Co,
        /// Ozone (µg/m³).
        O3,
    }
}

impl Pollutant {
    /// The AQI term of the daily value that enters the period statistics: the 24-h mean, for
    /// O3 the daily maximum 8-h moving mean.
    pub const fn daily_term(self) -> aqi::Pollutant {
        match self {
            Pollutant::So2 => aqi::Pollutant::So2,
            Pollutant::No2 => aqi::Pollutant::No2,
            Pollutant::Pm10 => aqi::Pollutant::Pm10,
            Pollutant::Pm25 => aqi::Pollutant::Pm25,
            Pollutant::Co => aqi::Pollutant::Co,
            Pollutant::O3 => aqi::Pollutant::O3_8h,
        }
    }

    /// The AQI term of its hourly values (O3: the 1-h term).
    pub const fn hourly_term(self) -> aqi::Pollutant {
        match self {
            Pollutant::O3 => aqi::Pollutant::O3_1h,
            other => other.daily_term(),
        }
    }
}

impl From<aqi::Pollutant> for Pollutant {
    /// The pollutant of an AQI term (both O3 terms are O3).
    fn from(term: aqi::Pollutant) -> Self {
        match term {
            aqi::Pollutant::So2 => Pollutant::So2,
            aqi::Pollutant::No2 => Pollutant::No2,
            aqi::Pollutant::Pm10 => Pollutant::Pm10,
            aqi::Pollutant::Pm25 => Pollutant::Pm25,
            aqi::Pollutant::Co => Pollutant::Co,
            aqi::Pollutant::O3_1h | aqi::Pollutant::O3_8h => Pollutant::O3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_parameters_agree() {
        for term in aqi::Pollutant::ALL {
            assert_eq!(Pollutant::from(term).parameter(), term.parameter());
        }
        for p in Pollutant::ALL {
            assert_eq!(Pollutant::from(p.daily_term()), p);
            assert_eq!(Pollutant::from(p.hourly_term()), p);
            assert_eq!(Pollutant::try_from(p.parameter()), Ok(p));
        }
        assert!(Pollutant::try_from(crate::units::Parameter::Nox).is_err());
    }
}
