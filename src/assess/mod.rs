//! Assessment (HJ 663): daily statistics with their validity rules, period statistics, the
//! comprehensive index and rankings.
