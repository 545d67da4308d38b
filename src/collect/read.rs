//! One poll of one device: executing its planned requests and turning the responses into
//! flagged samples.

use std::fmt;
use std::io;
use std::time::Duration;

use tokio_modbus::ExceptionCode;
use tokio_modbus::client::Reader;

use super::transport::Link;

use crate::modbus::RegisterKind;
use crate::modbus::decode::decode;
use crate::modbus::plan::{PollPlan, ReadRequest};
use crate::quality::Flag;
use crate::registry::{Profile, StatusSpec, ValueSpec};
use crate::units::Parameter;

/// The response to one planned request.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Holding or input registers.
    Words(Vec<u16>),
    /// Coils or discrete inputs.
    Bits(Vec<bool>),
}

/// Why a poll failed, naming the request that failed.
#[derive(Debug)]
pub enum ReadError {
    /// The device closed the connection.
    Closed(ReadRequest),
    /// The connection failed or broke; it must be reopened.
    Transport(io::Error),
    /// No answer within the timeout; the connection is reopened (a late answer would be
    /// mistaken for the next one's).
    Timeout(ReadRequest),
    /// The device answered with a Modbus exception.
    Exception(ReadRequest, ExceptionCode),
    /// The device answered with a malformed or mismatched frame.
    Protocol(ReadRequest, String),
    /// The answer had fewer items than asked for.
    Short(ReadRequest, usize),
}

impl ReadError {
    /// True when the connection can no longer be trusted and must be reopened.
    pub fn needs_reconnect(&self) -> bool {
        !matches!(self, ReadError::Exception(..) | ReadError::Short(..))
    }

    /// The refusal, when the device refused the request as asked — Modbus exceptions 01
    /// (illegal function), 02 (illegal data address) and 03 (illegal data value). The same
    /// request will be refused again: it is a problem of the profile, not of the moment.
    pub fn refusal(&self) -> Option<(ReadRequest, ExceptionCode)> {
        match self {
            ReadError::Exception(
                request,
                code @ (ExceptionCode::IllegalFunction
                | ExceptionCode::IllegalDataAddress
                | ExceptionCode::IllegalDataValue),
            ) => Some((*request, *code)),
            _ => None,
        }
    }

    /// True when asking again within the poll may help: broken connections, timeouts, bad or
    /// short frames, and the exceptions that mean "later" (05 acknowledge, 06 busy, 0B the
    /// gateway's target did not respond). Other exceptions are the device's answer for now.
    pub fn is_transient(&self) -> bool {
        match self {
            ReadError::Exception(_, code) => matches!(
                code,
                ExceptionCode::Acknowledge
                    | ExceptionCode::ServerDeviceBusy
                    | ExceptionCode::GatewayTargetDevice
            ),
            _ => true,
        }
    }
}

/// A request the device refused as asked (see [`ReadError::refusal`]), with what the profile
/// reads in it that nothing maps: displayed as what to check in the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The request.
    pub request: ReadRequest,
    /// The device's exception code.
    pub code: ExceptionCode,
    /// Runs of registers (or bits) the request reads that no value or status entry maps
    /// ([`Profile::unmapped`]), as (first, last).
    pub unmapped: Vec<(u16, u16)>,
}

impl Refusal {
    /// The refusal in `error`, if it is one, for a device read with `profile`.
    pub fn of(error: &ReadError, profile: &Profile) -> Option<Refusal> {
        let (request, code) = error.refusal()?;
        let index = profile.plan.requests.iter().position(|r| *r == request);
        Some(Refusal {
            request,
            code,
            unmapped: index.map(|i| profile.unmapped(i)).unwrap_or_default(),
        })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.request;
        let what = if r.kind.is_bit() { "bits" } else { "registers" };
        write!(
            f,
            "{}: refused by the device (Modbus exception {:?}), a profile problem: ",
            Span(r),
            self.code
        )?;
        match self.code {
            ExceptionCode::IllegalFunction => write!(
                f,
                "the device does not serve {} reads; check the entries' `kind`",
                r.kind
            ),
            ExceptionCode::IllegalDataAddress if !self.unmapped.is_empty() => {
                let gaps: Vec<String> = self
                    .unmapped
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            format!("{a}")
                        } else {
                            format!("{a}..={b}")
                        }
                    })
                    .collect();
                write!(
                    f,
                    "{} {} {} are read only to bridge gaps (`max_gap`, or a `[[request]]`): \
                     set `max_gap = 0` to read only mapped {what}; otherwise check the \
                     addresses (0-based protocol addresses, see `addressing`)",
                    r.kind,
                    what,
                    gaps.join(", ")
                )
            }
            ExceptionCode::IllegalDataAddress => write!(
                f,
                "the device has no such {what}; check the addresses (0-based protocol \
                 addresses, see `addressing`)"
            ),
            _ => write!(
                f,
                "the device refuses to read {} {what} at once; split the request (`[[request]]` \
                 or a smaller `max_gap`)",
                r.count
            ),
        }
    }
}

struct Span<'a>(&'a ReadRequest);

impl fmt::Display for Span<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let last = u32::from(r.start) + u32::from(r.count) - 1;
        write!(f, "{} {}..={}", r.kind, r.start, last)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Closed(r) => write!(f, "{}: connection closed by the device", Span(r)),
            ReadError::Transport(e) => write!(f, "connection: {e}"),
            ReadError::Timeout(r) => write!(f, "{}: no answer in time", Span(r)),
            ReadError::Exception(r, code) => write!(f, "{}: Modbus exception {code:?}", Span(r)),
            ReadError::Protocol(r, why) => write!(f, "{}: bad frame: {why}", Span(r)),
            ReadError::Short(r, got) => {
                write!(f, "{}: short answer ({got} of {} items)", Span(r), r.count)
            }
        }
    }
}

/// Executes every request of `plan` over `link`, each within `timeout`; stops at the first
/// that fails.
pub async fn read_plan(
    link: &mut Link,
    plan: &PollPlan,
    timeout: Duration,
) -> Result<Vec<Block>, ReadError> {
    let mut blocks = Vec::with_capacity(plan.requests.len());
    for request in &plan.requests {
        blocks.push(read_request(link, request, timeout).await?);
    }
    Ok(blocks)
}

/// Executes one request over `link` within `timeout`.
pub(super) async fn read_request(
    link: &mut Link,
    request: &ReadRequest,
    timeout: Duration,
) -> Result<Block, ReadError> {
    let ctx = &mut link.ctx;
    let (start, count) = (request.start, request.count);
    let call = async {
        match request.kind {
            RegisterKind::Holding => ctx
                .read_holding_registers(start, count)
                .await
                .map(|r| r.map(Block::Words)),
            RegisterKind::Input => ctx
                .read_input_registers(start, count)
                .await
                .map(|r| r.map(Block::Words)),
            RegisterKind::Coil => ctx
                .read_coils(start, count)
                .await
                .map(|r| r.map(Block::Bits)),
            RegisterKind::DiscreteInput => ctx
                .read_discrete_inputs(start, count)
                .await
                .map(|r| r.map(Block::Bits)),
        }
    };
    let block = match tokio::time::timeout(timeout, call).await {
        Err(_) => return Err(ReadError::Timeout(*request)),
        Ok(Err(tokio_modbus::Error::Transport(_)))
            if link
                .closed_by_peer
                .load(std::sync::atomic::Ordering::Relaxed) =>
        {
            return Err(ReadError::Closed(*request));
        }
        Ok(Err(tokio_modbus::Error::Transport(e))) => return Err(ReadError::Transport(e)),
        Ok(Err(tokio_modbus::Error::Protocol(e))) => {
            return Err(ReadError::Protocol(*request, e.to_string()));
        }
        Ok(Ok(Err(code))) => return Err(ReadError::Exception(*request, code)),
        Ok(Ok(Ok(block))) => block,
    };
    let got = match &block {
        Block::Words(w) => w.len(),
        Block::Bits(b) => b.len(),
    };
    if got < usize::from(count) {
        return Err(ReadError::Short(*request, got));
    }
    Ok(block)
}

/// One parameter's value from one poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// What was measured.
    pub parameter: Parameter,
    /// Canonical value; `None` when the device gave no usable number.
    pub value: Option<f64>,
    /// HJ 212 flag from the status bits and the range check (`B` when no value).
    pub flag: Flag,
}

/// Interprets the responses of a poll: decodes every value, applies the status bits and the
/// range check, and lists the status bits that are set (indices into `profile.status`).
///
/// A value that decodes to NaN or infinity, or to one of the profile's `no_value` values, is
/// not a measurement: it yields no value (`B`) rather than a made-up number.
pub fn interpret(
    profile: &Profile,
    blocks: &[Block],
    samples: &mut Vec<Sample>,
    active_status: &mut Vec<usize>,
) {
    samples.clear();
    active_status.clear();
    let locations = &profile.plan.locations;
    for (j, status) in profile.status.iter().enumerate() {
        let at = locations[profile.values.len() + j];
        if status_bit(status, &blocks[at.request], at.offset) {
            active_status.push(j);
        }
    }
    for (i, spec) in profile.values.iter().enumerate() {
        let at = locations[i];
        let raw = raw_value(spec, &blocks[at.request], at.offset);
        let device_value = raw.mul_add(spec.scale, spec.offset);
        if !device_value.is_finite() || spec.is_no_value(raw) {
            samples.push(Sample {
                parameter: spec.parameter,
                value: None,
                flag: Flag::CommError,
            });
            continue;
        }
        samples.push(Sample {
            parameter: spec.parameter,
            value: Some(spec.conversion.apply(device_value)),
            flag: value_flag(profile, spec, device_value, active_status),
        });
    }
}

/// The state of status bit `status` found at `offset` of `block`.
pub(super) fn status_bit(status: &StatusSpec, block: &Block, offset: u16) -> bool {
    match block {
        Block::Bits(bits) => bits[usize::from(offset)],
        Block::Words(words) => {
            let bit = status.bit.unwrap_or(0);
            words[usize::from(offset)] & (1u16 << bit) != 0
        }
    }
}

/// The raw (decoded, unscaled) value of `spec` found at `offset` of `block`.
pub(super) fn raw_value(spec: &ValueSpec, block: &Block, offset: u16) -> f64 {
    match block {
        Block::Words(words) => decode(&words[usize::from(offset)..], spec.data_type, spec.order),
        Block::Bits(bits) => f64::from(u8::from(bits[usize::from(offset)])),
    }
}

/// The flag of a finite device value of `spec` with the status bits `active` set: the range
/// check, then the status bits that affect the parameter, by precedence.
pub(super) fn value_flag(
    profile: &Profile,
    spec: &ValueSpec,
    device_value: f64,
    active: &[usize],
) -> Flag {
    let mut flag = if spec.out_of_range(device_value) {
        Flag::OverRange
    } else {
        Flag::Normal
    };
    for &j in active {
        let status = &profile.status[j];
        if let Some(f) = status
            .meaning
            .flag()
            .filter(|_| status.affects(spec.parameter))
        {
            flag = flag.max(f);
        }
    }
    flag
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::modbus::decode::encode;
    use crate::modbus::{ByteOrder, DataType};
    use crate::registry::{Registry, StatusMeaning};

    fn profile(id: &str) -> std::sync::Arc<Profile> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-stations/network.toml");
        Registry::load(&path).unwrap().profiles[id].clone()
    }

    /// Blocks for a 42i: NO, NO2, NOx floats at input 1..6, then its discrete inputs.
    fn blocks_42i(p: &Profile, values: [f32; 3], set: &[&str]) -> Vec<Block> {
        let mut blocks: Vec<Block> = p
            .plan
            .requests
            .iter()
            .map(|r| match r.kind {
                RegisterKind::Input | RegisterKind::Holding => {
                    Block::Words(vec![0; r.count.into()])
                }
                _ => Block::Bits(vec![false; r.count.into()]),
            })
            .collect();
        for (i, v) in values.iter().enumerate() {
            let at = p.plan.locations[i];
            let Block::Words(w) = &mut blocks[at.request] else {
                panic!("words")
            };
            let o = usize::from(at.offset);
            encode(
                f64::from(*v),
                DataType::F32,
                ByteOrder::ABCD,
                &mut w[o..o + 2],
            );
        }
        for (j, s) in p.status.iter().enumerate() {
            if set.contains(&s.name.as_str()) {
                let at = p.plan.locations[p.values.len() + j];
                let Block::Bits(b) = &mut blocks[at.request] else {
                    panic!("bits")
                };
                b[usize::from(at.offset)] = true;
            }
        }
        blocks
    }

    #[test]
    fn flags_from_status_bits_and_ranges() {
        let p = profile("thermo-42i");
        let (mut samples, mut active) = (Vec::new(), Vec::new());

        interpret(
            &p,
            &blocks_42i(&p, [10.0, 20.0, 30.0], &[]),
            &mut samples,
            &mut active,
        );
        assert!(samples.iter().all(|s| s.flag == Flag::Normal) && active.is_empty());
        // 20 ppb NO2 at 25 °C = 20 × 46.0055 / 24.4654 µg/m³.
        assert!(
            (samples[1].value.unwrap() - 37.6086).abs() < 1e-3,
            "{samples:?}"
        );

        // Beyond the instrument range → T, and a fault bit outranks it → D.
        interpret(
            &p,
            &blocks_42i(&p, [1e6, 20.0, 30.0], &[]),
            &mut samples,
            &mut active,
        );
        assert_eq!(samples[0].flag, Flag::OverRange);
        let fault = p
            .status
            .iter()
            .find(|s| s.meaning == StatusMeaning::Fault)
            .unwrap();
        interpret(
            &p,
            &blocks_42i(&p, [1e6, 20.0, 30.0], &[&fault.name]),
            &mut samples,
            &mut active,
        );
        assert_eq!(samples[0].flag, Flag::Fault);
        assert_eq!(samples[1].flag, Flag::Fault);

        // Service mode during a zero check: maintenance wins over calibration and fault.
        interpret(
            &p,
            &blocks_42i(
                &p,
                [1.0, 2.0, 3.0],
                &["Zero mode", "Service mode", &fault.name],
            ),
            &mut samples,
            &mut active,
        );
        assert!(
            samples.iter().all(|s| s.flag == Flag::Maintenance),
            "{samples:?}"
        );
        assert_eq!(active.len(), 3);

        // NaN from the device is not a value.
        interpret(
            &p,
            &blocks_42i(&p, [f32::NAN, 2.0, f32::INFINITY], &[]),
            &mut samples,
            &mut active,
        );
        assert_eq!((samples[0].value, samples[0].flag), (None, Flag::CommError));
        assert_eq!(samples[2].value, None);
        assert!(samples[1].value.is_some());
    }

    #[test]
    fn no_value_sentinels_give_no_value() {
        let mut p = (*profile("thermo-42i")).clone();
        p.values[1].no_value = vec![-9999.0];
        let (mut samples, mut active) = (Vec::new(), Vec::new());
        interpret(
            &p,
            &blocks_42i(&p, [1.0, -9999.0, 3.0], &[]),
            &mut samples,
            &mut active,
        );
        assert_eq!((samples[1].value, samples[1].flag), (None, Flag::CommError));
        assert!(samples[0].value.is_some() && samples[2].value.is_some());
    }

    #[test]
    fn refusals_are_profile_problems_and_never_transient() {
        let r = ReadRequest {
            kind: RegisterKind::Input,
            start: 0,
            count: 10,
        };
        let refused = ReadError::Exception(r, ExceptionCode::IllegalDataAddress);
        assert_eq!(
            refused.refusal(),
            Some((r, ExceptionCode::IllegalDataAddress))
        );
        assert!(!refused.is_transient());
        let failure = ReadError::Exception(r, ExceptionCode::ServerDeviceFailure);
        assert_eq!(failure.refusal(), None);
        assert!(!failure.is_transient());
        assert!(ReadError::Exception(r, ExceptionCode::ServerDeviceBusy).is_transient());
        assert!(ReadError::Timeout(r).is_transient());
        let refusal = Refusal {
            request: r,
            code: ExceptionCode::IllegalDataAddress,
            unmapped: vec![(2, 4), (7, 7)],
        };
        assert_eq!(
            refusal.to_string(),
            "input 0..=9: refused by the device (Modbus exception IllegalDataAddress), a profile \
             problem: input registers 2..=4, 7 are read only to bridge gaps (`max_gap`, or a \
             `[[request]]`): set `max_gap = 0` to read only mapped registers; otherwise check \
             the addresses (0-based protocol addresses, see `addressing`)"
        );
    }

    #[test]
    fn errors_name_the_registers() {
        let r = ReadRequest {
            kind: RegisterKind::Input,
            start: 1,
            count: 6,
        };
        let e = ReadError::Exception(r, ExceptionCode::ServerDeviceFailure);
        assert_eq!(
            e.to_string(),
            "input 1..=6: Modbus exception ServerDeviceFailure"
        );
        assert!(!e.needs_reconnect());
        assert!(ReadError::Timeout(r).needs_reconnect());
        assert_eq!(
            ReadError::Short(r, 4).to_string(),
            "input 1..=6: short answer (4 of 6 items)"
        );
    }
}
