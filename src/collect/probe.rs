//! Reading a device once through a profile and keeping everything a maintainer compares with
//! the instrument's front panel: each request's outcome, each value's raw words and every step
//! of its decoding, each status bit (`lantian probe`).
//!
//! Unlike a poll, a probe reads every request even when one fails, so that one wrong address
//! does not hide what the others show.

use std::io;
use std::time::{Duration, Instant};

use super::read::{
    Block, ReadError, Refusal, Sample, interpret, raw_value, read_request, status_bit,
};
use super::transport::connect;
use crate::modbus::ByteOrder;
use crate::modbus::decode::decode;
use crate::modbus::plan::ReadRequest;
use crate::quality::Flag;
use crate::registry::{Profile, Transport, ValueSpec};

/// The outcome of one planned request.
#[derive(Debug)]
pub struct ProbedRequest {
    /// The request.
    pub request: ReadRequest,
    /// The response, or why there was none.
    pub result: Result<Block, ReadError>,
    /// Round-trip time (real time).
    pub elapsed: Duration,
    /// When the device refused the request as asked: what to check in the profile.
    pub refusal: Option<Refusal>,
}

/// One value of the profile as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbedValue {
    /// The registers' words as received (`None` when its request failed).
    pub words: Option<Vec<u16>>,
    /// The decoded number before `scale` and `offset`.
    pub raw: Option<f64>,
    /// `raw × scale + offset`, in the profile's `unit`.
    pub device_value: Option<f64>,
    /// What the collector stores, in the parameter's canonical unit (`None` when there is
    /// no value: unread, NaN or one of the profile's `no_value`s).
    pub canonical: Option<f64>,
    /// The flag the collector gives the reading (`None` when a request failed: the status
    /// bits that decide it are not all known).
    pub flag: Option<Flag>,
    /// The same words decoded in the other byte orders that give a different number — the
    /// one that matches the front panel is the right `order`.
    pub other_orders: Vec<(ByteOrder, f64)>,
}

/// What one read of a device through a profile gave.
#[derive(Debug)]
pub struct ProbeReport {
    /// Every request of the profile's plan, in order.
    pub requests: Vec<ProbedRequest>,
    /// One per `profile.values`, in order.
    pub values: Vec<ProbedValue>,
    /// One per `profile.status`: set, clear, or `None` when its request failed.
    pub status: Vec<Option<bool>>,
}

impl ProbeReport {
    /// How many requests failed.
    pub fn failed_requests(&self) -> usize {
        self.requests.iter().filter(|r| r.result.is_err()).count()
    }
}

/// Connects to unit `unit` at `transport` and reads every request of `profile`'s plan, each
/// within `timeout`. Only a failed connection is an error; failed requests are in the report.
pub async fn probe(
    profile: &Profile,
    transport: &Transport,
    unit: u8,
    timeout: Duration,
) -> io::Result<ProbeReport> {
    let mut link = connect(transport, unit, timeout).await?;
    let mut requests = Vec::with_capacity(profile.plan.requests.len());
    for request in &profile.plan.requests {
        let started = Instant::now();
        let result = read_request(&mut link, request, timeout).await;
        let refusal = result.as_ref().err().and_then(|e| Refusal::of(e, profile));
        let broken = result.as_ref().is_err_and(ReadError::needs_reconnect);
        requests.push(ProbedRequest {
            request: *request,
            result,
            elapsed: started.elapsed(),
            refusal,
        });
        if broken {
            // The next answer could be this request's, late: start a fresh connection.
            link = connect(transport, unit, timeout).await?;
        }
    }
    Ok(report(profile, requests))
}

/// Decodes what `requests` (one per request of `profile`'s plan) brought back.
fn report(profile: &Profile, requests: Vec<ProbedRequest>) -> ProbeReport {
    let locations = &profile.plan.locations;
    let block = |item: usize| {
        let at = locations[item];
        requests[at.request]
            .result
            .as_ref()
            .ok()
            .map(|b| (b, at.offset))
    };
    let status: Vec<Option<bool>> = profile
        .status
        .iter()
        .enumerate()
        .map(|(j, s)| block(profile.values.len() + j).map(|(b, o)| status_bit(s, b, o)))
        .collect();
    // With every request answered, the collector's own interpretation gives the samples.
    let blocks: Option<Vec<Block>> = requests
        .iter()
        .map(|r| r.result.as_ref().ok().cloned())
        .collect();
    let mut samples = Vec::new();
    if let Some(blocks) = &blocks {
        interpret(profile, blocks, &mut samples, &mut Vec::new());
    }
    let values = profile
        .values
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let Some((b, offset)) = block(i) else {
                return ProbedValue {
                    words: None,
                    raw: None,
                    device_value: None,
                    canonical: None,
                    flag: None,
                    other_orders: Vec::new(),
                };
            };
            let raw = raw_value(spec, b, offset);
            let words = match b {
                Block::Words(w) => {
                    let from = usize::from(offset);
                    Some(w[from..from + usize::from(spec.data_type.registers())].to_vec())
                }
                Block::Bits(_) => None,
            };
            let device_value = raw.mul_add(spec.scale, spec.offset);
            let is_value = device_value.is_finite() && !spec.is_no_value(raw);
            ProbedValue {
                other_orders: words
                    .as_deref()
                    .map(|w| other_orders(spec, w, raw))
                    .unwrap_or_default(),
                words,
                raw: Some(raw),
                device_value: Some(device_value),
                canonical: is_value.then(|| spec.conversion.apply(device_value)),
                flag: samples.get(i).map(|s: &Sample| s.flag),
            }
        })
        .collect();
    ProbeReport {
        requests,
        values,
        status,
    }
}

/// `words` decoded as `spec`'s type in each byte order other than `spec.order`, when that
/// gives another number than `raw` (each number once).
fn other_orders(spec: &ValueSpec, words: &[u16], raw: f64) -> Vec<(ByteOrder, f64)> {
    let mut out: Vec<(ByteOrder, f64)> = Vec::new();
    for order in [
        ByteOrder::ABCD,
        ByteOrder::CDAB,
        ByteOrder::BADC,
        ByteOrder::DCBA,
    ] {
        let x = decode(words, spec.data_type, order);
        let seen = |y: f64| y.to_bits() == x.to_bits();
        if order != spec.order && !seen(raw) && !out.iter().any(|(_, y)| seen(*y)) {
            out.push((order, x));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::DataType;
    use crate::modbus::decode::encode;

    #[test]
    fn other_orders_list_each_different_number_once() {
        let reference = crate::units::ReferenceState::default();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("stations/profiles/thermo-49iq.toml");
        let (profile, _) = Profile::load(&path, &reference).unwrap();
        let spec = &profile.values[0];
        assert_eq!(
            (spec.data_type, spec.order),
            (DataType::F32, ByteOrder::CDAB)
        );
        let mut words = [0u16; 2];
        encode(42.5, DataType::F32, ByteOrder::CDAB, &mut words);
        let raw = decode(&words, DataType::F32, ByteOrder::CDAB);
        assert_eq!(raw, 42.5);
        let others = other_orders(spec, &words, raw);
        assert_eq!(
            others.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
            vec![ByteOrder::ABCD, ByteOrder::BADC, ByteOrder::DCBA]
        );
        assert!(others.iter().all(|(_, x)| *x != 42.5));
    }
}
