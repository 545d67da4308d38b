//! EPA NowCast for PM and ozone.
