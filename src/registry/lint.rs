//! Likely mistakes in a profile: entries that load but probably do not say what their author
//! meant. Each becomes a [`ConfigWarning`] that names the file, line and field and says how to
//! fix it — or how to say that it is meant (`addressing`, `max_gap`).

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::ConfigWarning;
use super::profile::{Profile, ValueSpec};
use super::raw::{DEFAULT_MAX_GAP, RawValue};
use super::source::Source;
use crate::modbus::RegisterKind;
use crate::units::{Conversion, Parameter, ReferenceState, Unit};

/// The addresses of a profile as written, collected entry by entry, to spot Modicon reference
/// numbers and 1-based register numbers among them.
pub(super) struct Addresses {
    /// False when `[profile] addressing` is given: the author has said how they count.
    active: bool,
    entries: Vec<Entry>,
}

struct Entry {
    field: String,
    kind: RegisterKind,
    written: i64,
    span: Range<usize>,
    registers: u16,
}

impl Addresses {
    /// Collects addresses; with `active` false (the profile declares its addressing) it
    /// reports nothing.
    pub(super) fn new(active: bool) -> Addresses {
        Addresses {
            active,
            entries: Vec::new(),
        }
    }

    /// Notes the address of entry `field` (a value of `registers` registers, or a status bit).
    pub(super) fn note(
        &mut self,
        field: &str,
        kind: RegisterKind,
        written: &Spanned<i64>,
        registers: u16,
    ) {
        if self.active {
            self.entries.push(Entry {
                field: field.to_string(),
                kind,
                written: *written.get_ref(),
                span: written.span(),
                registers,
            });
        }
    }

    /// The warnings: Modicon-looking numbers (one warning for the profile), else 1-based
    /// numbering (one warning per table).
    pub(super) fn warnings(&self, src: &Source) -> Vec<ConfigWarning> {
        let modicon: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| modicon_table(e.kind, e.written).is_some())
            .collect();
        if let Some(first) = modicon.first() {
            let (digit, table) = modicon_table(first.kind, first.written).expect("filtered");
            let n = first.written;
            let protocol = n - i64::from(digit) * 10_000 - 1;
            let kind_note = if table == first.kind {
                String::new()
            } else {
                format!(" — though the entry's kind is `{}`", first.kind)
            };
            let others = match modicon.len() {
                1 => String::new(),
                k => format!("; {} more entries look like this", k - 1),
            };
            let message = format!(
                "{kind} {n} looks like a Modicon reference number ({digit}xxxx = {table}, \
                 {n} = protocol address {protocol}){kind_note}{others}. If the manual numbers \
                 registers this way, set `addressing = \"modicon\"` in [profile] and keep its \
                 numbers; if {n} really is the protocol address, set `addressing = \
                 \"protocol\"` to say so",
                kind = first.kind,
                table = table_name(table),
            );
            return vec![warning(src, first, message)];
        }
        let mut tables: BTreeMap<RegisterKind, Vec<&Entry>> = BTreeMap::new();
        for e in &self.entries {
            tables.entry(e.kind).or_default().push(e);
        }
        let mut out = Vec::new();
        for (kind, entries) in tables {
            let lowest = entries.iter().min_by_key(|e| e.written).expect("non-empty");
            if lowest.written == 0 {
                continue;
            }
            let wide: Vec<&&Entry> = entries.iter().filter(|e| e.registers > 1).collect();
            let all_odd = !wide.is_empty() && wide.iter().all(|e| e.written % 2 == 1);
            let reason = match (lowest.written == 1, all_odd) {
                (true, true) => {
                    "start at 1 (nothing at 0) and every 32/64-bit value starts at \
                                 an odd address"
                }
                (true, false) => "start at 1 (nothing at 0)",
                (false, true) => "put every 32/64-bit value at an odd address",
                (false, false) => continue,
            };
            let message = format!(
                "the addresses of the {} {reason}: manuals that number registers from 1 mean protocol \
                 address n − 1. If these numbers come from such a table, set `addressing = \
                 \"one-based\"` in [profile]; if they are protocol addresses (as a working \
                 logger sends them), set `addressing = \"protocol\"` to say so",
                table_name(kind)
            );
            out.push((lowest.span.start, warning(src, lowest, message)));
        }
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, w)| w).collect()
    }
}

fn warning(src: &Source, entry: &Entry, message: String) -> ConfigWarning {
    src.warning(
        entry.span.clone(),
        format!("{}.address", entry.field),
        message,
    )
}

/// The Modicon table digit and table that `written` looks like a reference of, for an entry
/// of `kind`: 3xxxx/4xxxx for registers, 1xxxx for discrete inputs.
fn modicon_table(kind: RegisterKind, written: i64) -> Option<(u8, RegisterKind)> {
    let in_decade = |digit: i64| (digit * 10_000 + 1..=digit * 10_000 + 9_999).contains(&written);
    match kind {
        RegisterKind::Holding | RegisterKind::Input if in_decade(3) => {
            Some((3, RegisterKind::Input))
        }
        RegisterKind::Holding | RegisterKind::Input if in_decade(4) => {
            Some((4, RegisterKind::Holding))
        }
        RegisterKind::DiscreteInput if in_decade(1) => Some((1, RegisterKind::DiscreteInput)),
        _ => None,
    }
}

fn table_name(kind: RegisterKind) -> &'static str {
    match kind {
        RegisterKind::Coil => "coils",
        RegisterKind::DiscreteInput => "discrete inputs",
        RegisterKind::Holding => "holding registers",
        RegisterKind::Input => "input registers",
    }
}

/// The span of plausible instrument full scales (the top of `range`) for `parameter`, in its
/// canonical unit. Wide on purpose: a top outside it is a unit or scale mistake, not an
/// unusual instrument (gas analyzers: 10 ppb … 200 ppm, CO 0.5 … 10,000 ppm, as the Thermo
/// 49i and 48i reach; particulate monitors 100 µg/m³ … 100 mg/m³).
fn plausible_full_scale(parameter: Parameter, reference: &ReferenceState) -> (f64, f64) {
    let ppb = parameter.ug_per_ppb(reference).unwrap_or(f64::NAN);
    match parameter {
        Parameter::Pm25 | Parameter::Pm10 => (100.0, 100_000.0),
        Parameter::So2 | Parameter::No2 | Parameter::No | Parameter::Nox | Parameter::O3 => {
            (10.0 * ppb, 200_000.0 * ppb)
        }
        // mg/m³: 1 ppm is `ppb` mg/m³.
        Parameter::Co => (0.5 * ppb, 10_000.0 * ppb),
        Parameter::WindSpeed => (10.0, 100.0),
        Parameter::WindDirection => (350.0, 720.0),
        Parameter::Temperature | Parameter::DewPoint => (20.0, 100.0),
        Parameter::Humidity => (90.0, 110.0),
        Parameter::Pressure => (900.0, 1500.0),
        Parameter::Rain => (10.0, 2000.0),
    }
}

/// Warns when the top of value `i`'s `range` is no plausible full scale for its parameter
/// once converted from `unit` — a range in another unit than `unit` (ppb for ppm, µg/m³ for
/// mg/m³), or in raw register units rather than after `scale`.
pub(super) fn range_fits_unit(
    src: &Source,
    i: usize,
    raw: &RawValue,
    spec: &ValueSpec,
    reference: &ReferenceState,
) -> Option<ConfigWarning> {
    let (lo, hi) = spec.range?;
    let span = raw.range.as_ref()?.span();
    let p = spec.parameter;
    let canonical = p.canonical_unit();
    let (min, max) = plausible_full_scale(p, reference);
    // A little slack: the bounds are instrument ranges converted like the profile's.
    let top = spec.conversion.apply(hi);
    let (too, limit) = if top < min * 0.999 {
        ("below", min)
    } else if top > max * 1.001 {
        ("above", max)
    } else {
        return None;
    };
    let plausible = |x: f64| (min * 0.999..=max * 1.001).contains(&x);
    let mut hints = Vec::new();
    if spec.scale != 1.0 && plausible(spec.conversion.apply(hi * spec.scale)) {
        hints.push(format!(
            "`range` is in `unit`, after `scale` — in raw register units it would be [{}, {}] \
             {}",
            num(lo * spec.scale),
            num(hi * spec.scale),
            spec.unit.symbol()
        ));
    }
    let fitting: Vec<&str> = Unit::ALL
        .into_iter()
        .filter(|u| *u != spec.unit)
        .filter_map(|u| {
            Conversion::to_canonical(p, u, reference)
                .ok()
                .map(|c| (u, c))
        })
        .filter(|(_, c)| plausible(c.apply(hi)))
        .map(|(u, _)| u.symbol())
        .collect();
    if !fitting.is_empty() {
        hints.push(format!(
            "it would fit if given in {}",
            fitting
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    let consequence = if too == "below" {
        "every sample above it would be flagged T (over range)"
    } else {
        "no sample would ever be flagged T (over range)"
    };
    let message = format!(
        "range [{}, {}] {} tops out at {} {} of {p}, {too} the {} {} of any {p} instrument: \
         {consequence}{}",
        num(lo),
        num(hi),
        spec.unit.symbol(),
        num(top),
        canonical.display(),
        num(limit),
        canonical.display(),
        if hints.is_empty() {
            String::new()
        } else {
            format!(". Is it in another unit? {}", hints.join("; "))
        }
    );
    Some(src.warning(span, format!("value[{i}].range"), message))
}

/// `x` with at most four significant decimals and no trailing zeros.
fn num(x: f64) -> String {
    let text = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// When the default `max_gap` makes the planned poll read registers (or bits) that no entry
/// maps, the message that says which and what to do.
pub(super) fn default_gap_reads_unmapped(profile: &Profile) -> Option<String> {
    let gaps: Vec<String> = (0..profile.plan.requests.len())
        .flat_map(|r| {
            let kind = profile.plan.requests[r].kind;
            profile
                .unmapped(r)
                .into_iter()
                .map(move |(first, last)| match first == last {
                    true => format!("{kind} {first}"),
                    false => format!("{kind} {first}..={last}"),
                })
        })
        .collect();
    if gaps.is_empty() {
        return None;
    }
    Some(format!(
        "`max_gap` is not set, and its default ({DEFAULT_MAX_GAP}) makes each poll also read {}, \
         which no value or status entry maps; an instrument that refuses unmapped registers \
         answers such a request with IllegalDataAddress at every poll. Set `max_gap = 0` to \
         read only mapped registers, or set `max_gap` explicitly to keep reading across the gaps",
        gaps.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modicon_numbers_by_table() {
        assert_eq!(
            modicon_table(RegisterKind::Input, 30001),
            Some((3, RegisterKind::Input))
        );
        assert_eq!(
            modicon_table(RegisterKind::Input, 40010),
            Some((4, RegisterKind::Holding))
        );
        assert_eq!(
            modicon_table(RegisterKind::DiscreteInput, 10001),
            Some((1, RegisterKind::DiscreteInput))
        );
        for (kind, n) in [
            (RegisterKind::Holding, 30000),
            (RegisterKind::Holding, 2100),
            (RegisterKind::Coil, 10001),
            (RegisterKind::DiscreteInput, 30001),
        ] {
            assert_eq!(modicon_table(kind, n), None, "{kind} {n}");
        }
    }

    #[test]
    fn shipped_instrument_ranges_are_plausible() {
        let reference = ReferenceState::default();
        let in_scale = |p: Parameter, unit: Unit, hi: f64| {
            let top = Conversion::to_canonical(p, unit, &reference)
                .unwrap()
                .apply(hi);
            let (min, max) = plausible_full_scale(p, &reference);
            (min * 0.999..=max * 1.001).contains(&top)
        };
        // Thermo 49i (200 ppm), 42i (100 ppm), 48i (10,000 ppm), BAM-1020 (1 mg/m³).
        assert!(in_scale(Parameter::O3, Unit::Ppb, 200_000.0));
        assert!(in_scale(Parameter::Nox, Unit::Ppb, 100_000.0));
        assert!(in_scale(Parameter::Co, Unit::Ppm, 10_000.0));
        assert!(in_scale(Parameter::Pm25, Unit::MilligramPerCubicMetre, 1.0));
        // The mistakes: a PM2.5 range of 0–1 in µg/m³, an O3 range in ppm that is ppb.
        assert!(!in_scale(
            Parameter::Pm25,
            Unit::MicrogramPerCubicMetre,
            1.0
        ));
        assert!(!in_scale(Parameter::O3, Unit::Ppm, 500.0));
        assert!(in_scale(Parameter::O3, Unit::Ppb, 500.0));
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(0.015), "0.015");
        assert_eq!(num(981_945.3), "981945");
        assert_eq!(num(1.96334), "1.9633");
    }
}
