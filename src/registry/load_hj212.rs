//! Validating the HJ 212 loggers of a network file (`transport = "hj212"`): MN, where the PW
//! comes from, the code map and the minute-data interval.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::TimeDelta;
use toml::Spanned;

use super::ConfigError;
use super::hj212::{CodeSpec, Hj212Device, PwSource, RtdInterval};
use super::load_network::parse_interval;
use super::raw::{RawCode, RawDevice};
use super::source::Source;
use crate::hj212::codes::{CodeMap, DEFAULT_AIR_CODES};
use crate::store::StationId;
use crate::units::{Parameter, ReferenceState, Unit};

/// Longest MN the standard allows (24 characters, EPC-96).
const MAX_MN_LEN: usize = 24;

/// The minute-data intervals the standard allows (`MinInterval`, minutes).
const MINUTE_INTERVALS: [i64; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

/// What the HJ 212 loggers of one network file share while they are validated: the MNs seen.
#[derive(Default)]
pub(super) struct Loggers<'a> {
    mns: HashMap<&'a str, String>,
}

impl<'a> Loggers<'a> {
    /// Validates the `hj212` device `d` (field path `field`) of station `station`; `dir` is the
    /// network file's folder (for `pw_file`).
    pub(super) fn validate(
        &mut self,
        src: &Source,
        field: &str,
        d: &'a RawDevice,
        station: &StationId,
        dir: &Path,
        reference: &ReferenceState,
    ) -> Result<Hj212Device, ConfigError> {
        let at = |key: &str| format!("{field}.{key}");
        let not_for_hj212 = [
            ("profile", d.profile.as_ref().map(Spanned::span)),
            ("address", d.address.as_ref().map(Spanned::span)),
            ("path", d.path.as_ref().map(Spanned::span)),
            ("baud", d.baud.as_ref().map(Spanned::span)),
            ("unit", d.unit.as_ref().map(Spanned::span)),
            ("poll_interval", d.poll_interval.as_ref().map(Spanned::span)),
        ];
        if let Some((key, Some(span))) = not_for_hj212.into_iter().find(|(_, s)| s.is_some()) {
            return Err(src.error(
                span,
                at(key),
                format!(
                    "`{key}` does not apply to transport `hj212`: the logger connects to \
                     lantian's HJ 212 listener and is known by its `mn`"
                ),
            ));
        }
        if let Some(pw) = &d.pw {
            return Err(src.error(
                pw.span(),
                at("pw"),
                "the PW must not be written in the network file: name an environment \
                 variable with `pw_env = \"NAME\"` or a file with `pw_file = \"path\"`",
            ));
        }
        let Some(mn) = &d.mn else {
            return Err(src.error(
                d.transport.span(),
                at("mn"),
                "transport `hj212` needs `mn`, the MN the logger sends in its packets",
            ));
        };
        let mn_text = mn.get_ref().as_str();
        if mn_text.is_empty()
            || mn_text.len() > MAX_MN_LEN
            || !mn_text.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(src.error(
                mn.span(),
                at("mn"),
                format!("MN `{mn_text}` must be 1..{MAX_MN_LEN} letters and digits"),
            ));
        }
        if let Some(first) = self.mns.insert(mn_text, field.to_string()) {
            return Err(src.error(
                mn.span(),
                at("mn"),
                format!("duplicate MN `{mn_text}` (also {first}): each logger needs its own"),
            ));
        }
        let pw = pw_source(src, field, d, dir)?;
        let codes = code_map(src, field, &d.code, reference)?;
        let minute_interval = match &d.minute_interval {
            None => TimeDelta::minutes(1),
            Some(text) => minute_interval(text.get_ref())
                .map_err(|m| src.error(text.span(), at("minute_interval"), m))?,
        };
        let rtd_interval = match &d.rtd_interval {
            None => None,
            Some(text) => Some(
                rtd_interval(text.get_ref())
                    .map_err(|m| src.error(text.span(), at("rtd_interval"), m))?,
            ),
        };
        Ok(Hj212Device {
            id: d.id.get_ref().clone(),
            station: station.clone(),
            mn: mn_text.to_string(),
            pw,
            codes,
            minute_interval,
            rtd_interval,
        })
    }
}

/// `pw_env` or `pw_file`: exactly one.
fn pw_source(
    src: &Source,
    field: &str,
    d: &RawDevice,
    dir: &Path,
) -> Result<PwSource, ConfigError> {
    match (&d.pw_env, &d.pw_file) {
        (Some(_), Some(file)) => Err(src.error(
            file.span(),
            format!("{field}.pw_file"),
            "give the PW's source once: `pw_env` or `pw_file`, not both",
        )),
        (None, None) => Err(src.error(
            d.transport.span(),
            format!("{field}.pw_env"),
            "transport `hj212` needs the logger's PW from the environment \
             (`pw_env = \"NAME\"`) or a file (`pw_file = \"path\"`)",
        )),
        (Some(env), None) => {
            let name = env.get_ref();
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid {
                Ok(PwSource::Env(name.clone()))
            } else {
                Err(src.error(
                    env.span(),
                    format!("{field}.pw_env"),
                    format!(
                        "`{name}` is not an environment variable name (letters, digits and _, \
                         not starting with a digit); the PW itself belongs in the environment"
                    ),
                ))
            }
        }
        (None, Some(file)) if file.get_ref().trim().is_empty() => Err(src.error(
            file.span(),
            format!("{field}.pw_file"),
            "the PW file path is empty",
        )),
        (None, Some(file)) => Ok(PwSource::File(dir.join(file.get_ref()))),
    }
}

/// The default air table with the device's `[[station.device.code]]` overrides (the codec's
/// [`CodeMap`]: a code given for a parameter replaces the table's code of that parameter, so
/// that one parameter has one code), each resolved to a conversion.
fn code_map(
    src: &Source,
    field: &str,
    overrides: &[Spanned<RawCode>],
    reference: &ReferenceState,
) -> Result<BTreeMap<String, CodeSpec>, ConfigError> {
    let mut map = CodeMap::air_default();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut spans = HashMap::new();
    for (k, c) in overrides.iter().enumerate() {
        let c = c.get_ref();
        let at = |key: &str| format!("{field}.code[{k}].{key}");
        let code = c.code.get_ref().as_str();
        let valid =
            !code.is_empty() && code.len() <= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            return Err(src.error(
                c.code.span(),
                at("code"),
                format!("`{code}` is not a pollutant code (letters and digits, e.g. \"a34004\")"),
            ));
        }
        if let Some(first) = seen.insert(code, k) {
            return Err(src.error(
                c.code.span(),
                at("code"),
                format!("code `{code}` is given twice (also {field}.code[{first}])"),
            ));
        }
        let default = DEFAULT_AIR_CODES
            .iter()
            .find(|e| e.code == code)
            .map(|e| (e.parameter, e.unit));
        let parameter = match (&c.parameter, default) {
            (Some(p), _) => p
                .get_ref()
                .parse::<Parameter>()
                .map_err(|e| src.error(p.span(), at("parameter"), e.to_string()))?,
            (None, Some((parameter, _))) => parameter,
            (None, None) => {
                return Err(src.error(
                    c.code.span(),
                    at("parameter"),
                    format!(
                        "code `{code}` is not in the default air table: say which parameter it \
                         is with `parameter = \"…\"`"
                    ),
                ));
            }
        };
        let unit = match (&c.unit, default) {
            (Some(u), _) => u
                .get_ref()
                .parse::<Unit>()
                .map_err(|e| src.error(u.span(), at("unit"), e.to_string()))?,
            // The table's unit only when the parameter is the table's too.
            (None, Some((p, unit))) if p == parameter => unit,
            (None, _) => {
                return Err(src.error(
                    c.code.span(),
                    at("unit"),
                    format!("code `{code}` needs the `unit` the logger sends {parameter} in"),
                ));
            }
        };
        let span = c.unit.as_ref().map_or(c.code.span(), Spanned::span);
        spans.insert(code, (span, at("unit")));
        map.set(code, parameter, unit);
    }
    let mut codes = BTreeMap::new();
    for (code, parameter, unit) in map.entries() {
        let spec = CodeSpec::new(parameter, unit, reference).map_err(|e| {
            let (span, at) = spans
                .get(code)
                .cloned()
                .unwrap_or((0..0, field.to_string()));
            src.error(span, at, e.to_string())
        })?;
        codes.insert(code.to_string(), spec);
    }
    Ok(codes)
}

/// Parses `minute_interval`: one of the standard's `MinInterval` values.
fn minute_interval(text: &str) -> Result<TimeDelta, String> {
    let interval = parse_interval(text)?;
    let allowed = interval.num_milliseconds() % 60_000 == 0
        && MINUTE_INTERVALS.contains(&interval.num_minutes());
    if allowed {
        Ok(interval)
    } else {
        Err(format!(
            "minute data cover 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes (HJ 212 \
             MinInterval), not `{text}`"
        ))
    }
}

/// Parses `rtd_interval`: whole seconds within the standard's `RtdInterval` range.
fn rtd_interval(text: &str) -> Result<RtdInterval, String> {
    let interval = parse_interval(text)?;
    let whole = interval.num_milliseconds() % 1000 == 0;
    u32::try_from(interval.num_seconds())
        .ok()
        .filter(|_| whole)
        .and_then(RtdInterval::from_seconds)
        .ok_or_else(|| {
            format!(
                "the real-time interval is whole seconds from 30 s to 1 h (HJ 212 \
                 RtdInterval), not `{text}`"
            )
        })
}
