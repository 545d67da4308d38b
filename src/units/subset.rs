//! Typed subsets of [`Parameter`]: the one way to say "one of these parameters".
//!
//! A subset is declared with [`parameter_subset!`], which lists its variants (named like the
//! parameters they stand for) and generates everything else from [`Parameter`]'s one table:
//! `ALL`, `parameter()`, `code()`, `label()`, `From<Subset> for Parameter`,
//! `TryFrom<Parameter>` (refusing the others with [`NotInSubset`]), `Display`, serde as the
//! parameter code, and `enum_map::Enum` (so values per member are an `EnumMap<Subset, T>`).
//!
//! The subsets: [`AirPollutant`] and [`Meteorological`] (which split every parameter in two,
//! see [`Parameter::kind`]), the six pollutants HJ 663 assesses
//! ([`crate::assess::Pollutant`]) and the forecast targets ([`ForecastTarget`], declared here
//! because the store keeps them and cannot depend on forecasting; `crate::forecast::Target`).
//! The AQI's terms ([`crate::aqi::Pollutant`]) are not a subset (ozone has a 1-h and an 8-h
//! term); each names its parameter.

use super::Parameter;

/// A parameter outside the subset it was converted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{parameter} is not one of the {subset}")]
pub struct NotInSubset {
    /// The parameter given.
    pub parameter: Parameter,
    /// What the subset is (e.g. `air pollutants`).
    pub subset: &'static str,
}

/// Declares a typed subset of [`Parameter`]: `parameter_subset! { "what the members are",
/// /// docs… pub enum Name { Variant, … } }` with variants named like the parameters.
macro_rules! parameter_subset {
    (
        $what:literal,
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::enum_map::Enum,
        )]
        #[serde(try_from = "crate::units::Parameter", into = "crate::units::Parameter")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every member, in declaration order (the order of an `EnumMap` over them).
            pub const ALL: [$name; <$name as ::enum_map::Enum>::LENGTH] = [$($name::$variant),+];

            /// The parameter this member is.
            pub const fn parameter(self) -> crate::units::Parameter {
                match self {
                    $( $name::$variant => crate::units::Parameter::$variant ),+
                }
            }

            /// The parameter's code ([`Parameter::code`](crate::units::Parameter::code)).
            pub const fn code(self) -> &'static str {
                self.parameter().code()
            }

            /// The parameter's short name
            /// ([`Parameter::label`](crate::units::Parameter::label)).
            pub const fn label(self) -> &'static str {
                self.parameter().label()
            }
        }

        impl From<$name> for crate::units::Parameter {
            fn from(member: $name) -> Self {
                member.parameter()
            }
        }

        impl TryFrom<crate::units::Parameter> for $name {
            type Error = crate::units::NotInSubset;
            fn try_from(p: crate::units::Parameter) -> Result<Self, Self::Error> {
                match p {
                    $( crate::units::Parameter::$variant => Ok($name::$variant), )+
                    #[allow(unreachable_patterns)]
                    parameter => Err(crate::units::NotInSubset { parameter, subset: $what }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use parameter_subset;

parameter_subset! {
    "air pollutants",
    /// The air pollutants lantian measures (every [`Parameter`] that is not meteorological).
    pub enum AirPollutant {
        /// PM2.5.
        Pm25,
        /// PM10.
        Pm10,
        /// SO2.
        So2,
        /// NO2.
        No2,
        /// NO.
        No,
        /// NOx (as NO2).
        Nox,
        /// CO.
        Co,
        /// O3.
        O3,
    }
}

parameter_subset! {
    "meteorological parameters",
    /// The meteorological parameters (every [`Parameter`] that is not an air pollutant).
    pub enum Meteorological {
        /// Wind speed.
        WindSpeed,
        /// Wind direction.
        WindDirection,
        /// Air temperature.
        Temperature,
        /// Dew point.
        DewPoint,
        /// Relative humidity.
        Humidity,
        /// Pressure.
        Pressure,
        /// Precipitation.
        Rain,
    }
}

parameter_subset! {
    "forecast targets",
    /// The pollutants forecast (stored and serialised as their parameter codes); re-exported as
    /// `forecast::Target`.
    pub enum ForecastTarget {
        /// PM2.5 (µg/m³).
        Pm25,
        /// PM10 (µg/m³).
        Pm10,
        /// O3 (µg/m³).
        O3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip_and_refuse_the_others() {
        for p in Parameter::ALL {
            match AirPollutant::try_from(p) {
                Ok(a) => assert_eq!(a.parameter(), p),
                Err(e) => {
                    assert_eq!(e.parameter, p);
                    assert_eq!(
                        e.to_string(),
                        format!("{p} is not one of the air pollutants")
                    );
                }
            }
        }
        assert_eq!(AirPollutant::Pm25.code(), "pm25");
        assert_eq!(AirPollutant::Pm25.to_string(), "pm25");
        assert_eq!(AirPollutant::Nox.label(), "NOx");
        assert_eq!(
            serde_json::to_string(&AirPollutant::Pm25).expect("serialises"),
            "\"pm25\""
        );
        let back: AirPollutant = serde_json::from_str("\"o3\"").expect("deserialises");
        assert_eq!(back, AirPollutant::O3);
        assert!(serde_json::from_str::<AirPollutant>("\"ws\"").is_err());
    }
}
