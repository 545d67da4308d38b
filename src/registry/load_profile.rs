//! Loading and validating one profile file.

use std::ops::Range;
use std::path::PathBuf;

use super::ConfigError;
use super::profile::{Profile, StatusSpec, ValueSpec};
use super::raw::{ProfileFile, RawRequest, RawStatus, RawValue};
use super::source::Source;
use crate::modbus::RegisterKind;
use crate::modbus::plan::{Location, PlanItem, PollPlan, ReadRequest, plan};
use crate::units::{Conversion, Parameter, ReferenceState, Unit, UnitError};

/// A validated profile whose poll is not planned yet (planning happens once everything else
/// has been validated).
pub(super) struct ProfileDraft {
    /// The profile, with an empty plan unless requests were given explicitly.
    profile: Profile,
    /// Items to plan: values then status entries, in file order.
    items: Vec<PlanItem>,
    /// Planning slack.
    max_gap: u16,
    /// True when the plan came from explicit `[[request]]`s.
    planned: bool,
    /// For errors from the planner.
    file: PathBuf,
    line: usize,
    column: usize,
}

impl ProfileDraft {
    /// The profile id.
    pub fn id(&self) -> &str {
        &self.profile.id
    }

    /// Plans the poll (unless explicit requests already did) and returns the profile.
    pub fn finish(mut self) -> Result<Profile, ConfigError> {
        if !self.planned {
            self.profile.plan = plan(&self.items, self.max_gap).map_err(|e| ConfigError {
                file: self.file.clone(),
                line: self.line,
                column: self.column,
                field: "profile".into(),
                message: format!("cannot plan the poll: {e}"),
            })?;
        }
        Ok(self.profile)
    }
}

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

/// Loads the profile `id` from `src`, resolving conversions with `reference`.
pub(super) fn load_profile(
    id: &str,
    src: &Source,
    reference: &ReferenceState,
) -> Result<ProfileDraft, ConfigError> {
    let raw: ProfileFile = src.parse()?;
    let header = raw.profile.get_ref();
    let (line, column) = super::source::line_column(&src.text, raw.profile.span().start);

    let mut values = Vec::with_capacity(raw.value.len());
    let mut items = Vec::new();
    let mut footprints = Vec::new();
    for (i, v) in raw.value.iter().enumerate() {
        let spec = value_spec(src, i, v.get_ref(), header.byte_order, reference)?;
        let count = spec.data_type.registers();
        check_extent(src, &format!("value[{i}]"), &v.get_ref().address, count)?;
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
        let spec = status_spec(src, j, s.get_ref(), &values)?;
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

    let planned = !raw.request.is_empty();
    let plan = if planned {
        explicit_plan(src, &raw.request, &items, &footprints)?
    } else {
        PollPlan::default()
    };

    Ok(ProfileDraft {
        profile: Profile {
            id: id.to_string(),
            manufacturer: header.manufacturer.clone(),
            model: header.model.clone(),
            source: header.source.clone(),
            values,
            status,
            plan,
        },
        items,
        max_gap: header.max_gap,
        planned,
        file: src.file.clone(),
        line,
        column,
    })
}

/// Errors when `count` registers from `address` run past the end of the address space.
fn check_extent(
    src: &Source,
    field: &str,
    address: &toml::Spanned<u16>,
    count: u16,
) -> Result<(), ConfigError> {
    if u32::from(*address.get_ref()) + u32::from(count) > 65_536 {
        return Err(src.error(
            address.span(),
            format!("{field}.address"),
            format!(
                "{count} registers from {} run past the last address 65535",
                address.get_ref()
            ),
        ));
    }
    Ok(())
}

fn unit_error(src: &Source, span: Range<usize>, field: String, e: UnitError) -> ConfigError {
    src.error(span, field, e.to_string())
}

fn value_spec(
    src: &Source,
    i: usize,
    v: &RawValue,
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
    let unit: Unit = v
        .unit
        .get_ref()
        .parse()
        .map_err(|e| unit_error(src, v.unit.span(), at("unit"), e))?;
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
    Ok(ValueSpec {
        parameter,
        kind,
        address: *v.address.get_ref(),
        data_type: v.data_type,
        order: v.order.unwrap_or(default_order),
        scale,
        offset,
        unit,
        conversion,
        range,
    })
}

fn status_spec(
    src: &Source,
    j: usize,
    s: &RawStatus,
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
        address: *s.address.get_ref(),
        bit,
        meaning: s.meaning,
        parameters,
    })
}

/// Builds the poll plan from explicit requests: checks each request's size, and that every
/// item lies inside a request of its table (the first that contains it is used).
fn explicit_plan(
    src: &Source,
    raw: &[toml::Spanned<RawRequest>],
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
        check_extent(src, &format!("request[{r}]"), &req.address, count)?;
        requests.push(ReadRequest {
            kind,
            start: *req.address.get_ref(),
            count,
        });
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
