//! The US EPA AQI.
