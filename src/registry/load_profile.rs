//! Loading and validating one profile file.

use std::ops::Range;

use toml::Spanned;

use super::lint;
use super::profile::{Profile, StatusSpec, ValueSpec};
use super::raw::{Addressing, DEFAULT_MAX_GAP, ProfileFile, RawRequest, RawStatus, RawValue};
use super::source::Source;
use super::{ConfigError, ConfigWarning};
use crate::modbus::RegisterKind;
use crate::modbus::plan::{Location, PlanItem, PollPlan, ReadRequest, plan};
use crate::units::{Conversion, Parameter, ReferenceState, Unit, UnitError};

/// One register (or bit) range an entry occupies, for overlap checks.
struct Footprint {
    kind: RegisterKind,
    start: u32,
    count: u32,
    bit: Option<u8>,
    field: String,
}

impl Footprint {
    fn overlaps(&self, other: &Footprint) -> bool {
        if self.kind != other.kind {
            return false;
        }
        let disjoint =
            self.start + self.count <= other.start || other.start + other.count <= self.start;
        if disjoint {
            return false;
        }
        // Different bits of the same register do not overlap.
        !matches!((self.bit, other.bit), (Some(a), Some(b)) if a != b)
    }
}

/// Loads the profile `id` from `src`, resolving conversions with `reference`, and plans its
/// poll; returns it with the likely mistakes found in it.
pub(super) fn load_profile(
    id: &str,
    src: &Source,
    reference: &ReferenceState,
) -> Result<(Profile, Vec<ConfigWarning>), ConfigError> {
    let raw: ProfileFile = src.parse()?;
    let header = raw.profile.get_ref();
    let addressing = header.addressing.unwrap_or(Addressing::Protocol);
    let mut addresses = lint::Addresses::new(header.addressing.is_none());

    let mut values = Vec::with_capacity(raw.value.len());
    let mut items = Vec::new();
    let mut footprints = Vec::new();
    let mut warnings = Vec::new();
    for (i, v) in raw.value.iter().enumerate() {
        let field = format!("value[{i}]");
        let count = v.get_ref().data_type.registers();
        let kind = *v.get_ref().kind.get_ref();
        let address = resolve_address(src, &field, addressing, kind, &v.get_ref().address, count)?;
        let spec = value_spec(src, i, v.get_ref(), address, header.byte_order, reference)?;
        addresses.note(&field, kind, &v.get_ref().address, count);
        warnings.extend(lint::range_fits_unit(src, i, v.get_ref(), &spec, reference));
        items.push(PlanItem {
            kind: spec.kind,
            address: spec.address,
            count,
        });
        footprints.push((
            Footprint {
                kind: spec.kind,
                start: u32::from(spec.address),
                count: u32::from(count),
                bit: None,
                field: format!("value[{i}]"),
            },
            v.get_ref().address.span(),
        ));
        values.push(spec);
    }

    let mut status = Vec::with_capacity(raw.status.len());
    for (j, s) in raw.status.iter().enumerate() {
        let field = format!("status[{j}]");
        let kind = *s.get_ref().kind.get_ref();
        let address = resolve_address(src, &field, addressing, kind, &s.get_ref().address, 1)?;
        let spec = status_spec(src, j, s.get_ref(), address, &values)?;
        addresses.note(&field, kind, &s.get_ref().address, 1);
        items.push(PlanItem {
            kind: spec.kind,
            address: spec.address,
            count: 1,
        });
        footprints.push((
            Footprint {
                kind: spec.kind,
                start: u32::from(spec.address),
                count: 1,
                bit: spec.bit,
                field: format!("status[{j}]"),
            },
            s.get_ref().address.span(),
        ));
        status.push(spec);
    }

    for (k, (a, span)) in footprints.iter().enumerate() {
        if let Some((b, _)) = footprints[..k].iter().find(|(b, _)| b.overlaps(a)) {
            return Err(src.error(
                span.clone(),
                format!("{}.address", a.field),
                format!(
                    "{} {}{} overlaps {} ({} registers/bits from {}{})",
                    a.kind,
                    a.start,
                    a.bit.map(|b| format!(" bit {b}")).unwrap_or_default(),
                    b.field,
                    b.count,
                    b.start,
                    b.bit.map(|b| format!(" bit {b}")).unwrap_or_default(),
                ),
            ));
        }
    }

    let poll = if raw.request.is_empty() {
        let max_gap = header.max_gap.unwrap_or(DEFAULT_MAX_GAP);
        plan(&items, max_gap).map_err(|e| {
            src.error(
                raw.profile.span(),
                "profile",
                format!("cannot plan the poll: {e}"),
            )
        })?
    } else {
        explicit_plan(src, addressing, &raw.request, &items, &footprints)?
    };
    warnings.extend(addresses.warnings(src));
    let profile = Profile {
        id: id.to_string(),
        manufacturer: header.manufacturer.clone(),
        model: header.model.clone(),
        source: header.source.clone(),
        values,
        status,
        plan: poll,
    };
    if raw.request.is_empty()
        && header.max_gap.is_none()
        && let Some(message) = lint::default_gap_reads_unmapped(&profile)
    {
        warnings.push(src.warning(raw.profile.span(), "profile.max_gap", message));
    }
    Ok((profile, warnings))
}

/// The protocol address of an entry written as `written` in `addressing`, checked to leave room
/// for its `count` registers (or bits) before the end of the address space.
fn resolve_address(
    src: &Source,
    field: &str,
    addressing: Addressing,
    kind: RegisterKind,
    written: &Spanned<i64>,
    count: u16,
) -> Result<u16, ConfigError> {
    let n = *written.get_ref();
    let error =
        |message: String| Err(src.error(written.span(), format!("{field}.address"), message));
    let protocol = match addressing {
        Addressing::Protocol => n,
        Addressing::OneBased if n >= 1 => n - 1,
        Addressing::OneBased => {
            return error(format!(
                "register {n} does not exist with `addressing = \"one-based\"` (the first is 1)"
            ));
        }
        Addressing::Modicon => match modicon_offset(kind, n) {
            Some(protocol) => protocol,
            None => {
                let digit = modicon_digit(kind);
                return error(format!(
                    "{n} is not a Modicon {kind} reference: with `addressing = \"modicon\"` \
                     {kind} entries are numbered {digit}0001..{digit}9999 (or \
                     {digit}00001..{digit}65536)"
                ));
            }
        },
    };
    let Ok(address) = u16::try_from(protocol) else {
        return error(format!(
            "{n} is not a protocol address (0..65535){}",
            if n > 65535 && addressing == Addressing::Protocol {
                "; a 6-digit Modicon reference (400001 = holding register 0) needs \
                 `addressing = \"modicon\"` in [profile]"
            } else {
                ""
            }
        ));
    };
    if u32::from(address) + u32::from(count) > 65_536 {
        return error(format!(
            "{count} registers from {address} run past the last address 65535"
        ));
    }
    Ok(address)
}

/// The leading digit of `kind`'s Modicon references.
fn modicon_digit(kind: RegisterKind) -> u8 {
    match kind {
        RegisterKind::Coil => 0,
        RegisterKind::DiscreteInput => 1,
        RegisterKind::Input => 3,
        RegisterKind::Holding => 4,
    }
}

/// The protocol address of Modicon reference `n` of `kind` (5-digit `d0001..d9999` or 6-digit
/// `d00001..d65536`, `d` the table's digit), or `None` when `n` is not one.
fn modicon_offset(kind: RegisterKind, n: i64) -> Option<i64> {
    let digit = i64::from(modicon_digit(kind));
    [(digit * 10_000, 9_999), (digit * 100_000, 65_536)]
        .into_iter()
        .find(|(base, last)| (1..=*last).contains(&(n - base)))
        .map(|(base, _)| n - base - 1)
}

fn unit_error(src: &Source, span: Range<usize>, field: String, e: UnitError) -> ConfigError {
    src.error(span, field, e.to_string())
}

fn value_spec(
    src: &Source,
    i: usize,
    v: &RawValue,
    address: u16,
    default_order: crate::modbus::ByteOrder,
    reference: &ReferenceState,
) -> Result<ValueSpec, ConfigError> {
    let at = |name: &str| format!("value[{i}].{name}");
    let parameter: Parameter = v
        .parameter
        .get_ref()
        .parse()
        .map_err(|e| unit_error(src, v.parameter.span(), at("parameter"), e))?;
    let kind = *v.kind.get_ref();
    if kind.is_bit() {
        return Err(src.error(
            v.kind.span(),
            at("kind"),
            format!("a value must be in a register table (holding or input), not `{kind}`"),
        ));
    }
    let unit: Unit = match v.unit.get_ref() {
        toml::Value::String(text) => text
            .parse()
            .map_err(|e| unit_error(src, v.unit.span(), at("unit"), e))?,
        other => {
            return Err(src.error(
                v.unit.span(),
                at("unit"),
                format!(
                    "`unit` of a value is the unit the device reports in, a string such as \
                     \"ppb\" or \"ug/m3\", not {other}; the Modbus unit id belongs to the \
                     device in the network file"
                ),
            ));
        }
    };
    let conversion = Conversion::to_canonical(parameter, unit, reference)
        .map_err(|e| unit_error(src, v.unit.span(), at("unit"), e))?;
    let scale = v.scale.as_ref().map_or(1.0, |s| *s.get_ref());
    if let Some(s) = &v.scale
        && !(s.get_ref().is_finite() && *s.get_ref() != 0.0)
    {
        return Err(src.error(s.span(), at("scale"), "scale must be finite and non-zero"));
    }
    let offset = v.offset.as_ref().map_or(0.0, |o| *o.get_ref());
    if let Some(o) = &v.offset
        && !o.get_ref().is_finite()
    {
        return Err(src.error(o.span(), at("offset"), "offset must be finite"));
    }
    let range = match &v.range {
        None => None,
        Some(r) => {
            let [lo, hi] = *r.get_ref();
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(src.error(
                    r.span(),
                    at("range"),
                    format!("range must be [low, high] with low < high, got [{lo}, {hi}]"),
                ));
            }
            Some((lo, hi))
        }
    };
    let mut no_value = Vec::with_capacity(v.no_value.len());
    for (k, n) in v.no_value.iter().enumerate() {
        let raw = *n.get_ref();
        if !raw.is_finite() {
            return Err(src.error(
                n.span(),
                format!("value[{i}].no_value[{k}]"),
                "a \"no measurement\" value must be a finite number (NaN and infinities are \
                 never values anyway)",
            ));
        }
        no_value.push(raw);
    }
    Ok(ValueSpec {
        parameter,
        kind,
        address,
        data_type: v.data_type,
        order: v.order.unwrap_or(default_order),
        scale,
        offset,
        unit,
        conversion,
        range,
        no_value,
    })
}

fn status_spec(
    src: &Source,
    j: usize,
    s: &RawStatus,
    address: u16,
    values: &[ValueSpec],
) -> Result<StatusSpec, ConfigError> {
    let at = |name: &str| format!("status[{j}].{name}");
    let kind = *s.kind.get_ref();
    let bit = match (&s.bit, kind.is_bit()) {
        (Some(b), true) => {
            return Err(src.error(
                b.span(),
                at("bit"),
                format!("`bit` is only for register tables; `{kind}` entries are single bits"),
            ));
        }
        (None, false) => {
            return Err(src.error(
                s.kind.span(),
                at("bit"),
                format!("a status entry in the `{kind}` table needs `bit = 0..15`"),
            ));
        }
        (Some(b), false) if *b.get_ref() > 15 => {
            return Err(src.error(
                b.span(),
                at("bit"),
                format!("bit {} is outside 0..15", b.get_ref()),
            ));
        }
        (b, _) => b.as_ref().map(|b| *b.get_ref()),
    };
    let mut parameters = Vec::with_capacity(s.parameters.len());
    for (k, p) in s.parameters.iter().enumerate() {
        let field = format!("status[{j}].parameters[{k}]");
        let parameter: Parameter = p
            .get_ref()
            .parse()
            .map_err(|e| unit_error(src, p.span(), field.clone(), e))?;
        if !values.iter().any(|v| v.parameter == parameter) {
            return Err(src.error(
                p.span(),
                field,
                format!("`{parameter}` is not measured by this profile"),
            ));
        }
        parameters.push(parameter);
    }
    Ok(StatusSpec {
        name: s.name.clone(),
        kind,
        address,
        bit,
        meaning: s.meaning,
        parameters,
    })
}

/// Builds the poll plan from explicit requests: checks each request's size, and that every
/// item lies inside a request of its table (the first that contains it is used).
fn explicit_plan(
    src: &Source,
    addressing: Addressing,
    raw: &[Spanned<RawRequest>],
    items: &[PlanItem],
    footprints: &[(Footprint, Range<usize>)],
) -> Result<PollPlan, ConfigError> {
    let mut requests = Vec::with_capacity(raw.len());
    for (r, req) in raw.iter().enumerate() {
        let req = req.get_ref();
        let kind = *req.kind.get_ref();
        let count = *req.count.get_ref();
        let max = kind.max_per_request();
        if count == 0 || count > max {
            return Err(src.error(
                req.count.span(),
                format!("request[{r}].count"),
                format!(
                    "a {kind} request must read 1..={max} {}, not {count}",
                    if kind.is_bit() { "bits" } else { "registers" }
                ),
            ));
        }
        let start = resolve_address(
            src,
            &format!("request[{r}]"),
            addressing,
            kind,
            &req.address,
            count,
        )?;
        requests.push(ReadRequest { kind, start, count });
    }
    let mut locations = Vec::with_capacity(items.len());
    for (item, (fp, span)) in items.iter().zip(footprints) {
        let found = requests.iter().enumerate().find(|(_, r)| {
            r.kind == item.kind
                && r.start <= item.address
                && u32::from(item.address) + u32::from(item.count)
                    <= u32::from(r.start) + u32::from(r.count)
        });
        match found {
            Some((request, r)) => locations.push(Location {
                request,
                offset: item.address - r.start,
            }),
            None => {
                return Err(src.error(
                    span.clone(),
                    format!("{}.address", fp.field),
                    format!(
                        "{} {} (count {}) is inside none of the profile's requests",
                        item.kind, item.address, item.count
                    ),
                ));
            }
        }
    }
    Ok(PollPlan {
        requests,
        locations,
    })
}
