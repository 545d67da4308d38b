//! The simulator's Modbus servers: one per endpoint of the registry (a station gateway with
//! several unit ids, a single analyzer, or a serial line), built on tokio-modbus's TCP, RTU
//! and RTU-over-TCP servers, answering from the [`Environment`].

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_modbus::server::{Service, rtu, rtu_over_tcp, tcp};
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

use super::device::{read_bits, read_registers};
use super::environment::Environment;
use super::faulty_stream::{FaultyStream, Sabotage};
use super::served::{Served, ServedTally};
use crate::clock::Clock;
use crate::modbus::RegisterKind;
use crate::registry::{Profile, Registry, Transport};

/// Where the simulator listens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Bind {
    /// At the addresses and serial paths the registry names.
    #[default]
    AsConfigured,
    /// TCP endpoints on free loopback ports (for the demo and tests); serial endpoints at the
    /// paths given in the map (registry path → the other end of a pseudo-terminal pair).
    Loopback(BTreeMap<PathBuf, PathBuf>),
}

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A listening socket or serial port could not be opened.
    #[error("simulator endpoint {endpoint}: {source}")]
    Endpoint {
        /// The endpoint as the registry names it.
        endpoint: Transport,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// A running simulator.
pub struct Simulator {
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
    /// Registry endpoint → where the simulator actually serves it.
    pub endpoints: BTreeMap<Transport, Transport>,
    /// What each device served so far.
    served: Vec<(String, SharedServed)>,
}

type SharedServed = Arc<Mutex<Served>>;

struct SimDevice {
    id: String,
    station: usize,
    profile: Arc<Profile>,
    served: SharedServed,
}

impl SimDevice {
    /// Notes a request answered with registers at `now`, at once or `late`.
    fn note_served(&self, now: DateTime<Utc>, late: bool) {
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        if late {
            served.late.add(now);
        } else {
            served.answered.add(now);
        }
    }
}

/// The devices behind one endpoint, by unit id.
struct Endpoint {
    devices: HashMap<u8, SimDevice>,
    environment: Arc<Environment>,
    clock: Clock,
}

impl Simulator {
    /// Starts a server for every endpoint in `registry`.
    pub async fn start(
        registry: &Registry,
        environment: Arc<Environment>,
        clock: Clock,
        bind: Bind,
    ) -> Result<Simulator, SimError> {
        let mut grouped: BTreeMap<Transport, HashMap<u8, SimDevice>> = BTreeMap::new();
        let mut served = Vec::new();
        for (station, s) in registry.stations.iter().enumerate() {
            for d in &s.devices {
                let device = SimDevice {
                    id: d.id.clone(),
                    station,
                    profile: d.profile.clone(),
                    served: SharedServed::default(),
                };
                served.push((d.id.clone(), device.served.clone()));
                grouped
                    .entry(d.transport.clone())
                    .or_default()
                    .insert(d.unit, device);
            }
        }
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut endpoints = BTreeMap::new();
        for (transport, devices) in grouped {
            let endpoint = Arc::new(Endpoint {
                devices,
                environment: environment.clone(),
                clock: clock.clone(),
            });
            let fail = |source| SimError::Endpoint {
                endpoint: transport.clone(),
                source,
            };
            let actual = match (&transport, &bind) {
                (Transport::Tcp { address } | Transport::RtuOverTcp { address }, _) => {
                    let bind_to = match bind {
                        Bind::AsConfigured => address.as_str(),
                        Bind::Loopback(_) => "127.0.0.1:0",
                    };
                    let listener = TcpListener::bind(bind_to).await.map_err(fail)?;
                    let local = listener.local_addr().map_err(fail)?.to_string();
                    let rtu_framing = matches!(transport, Transport::RtuOverTcp { .. });
                    let stop = shutdown.clone();
                    tasks.spawn(serve_tcp(listener, endpoint, rtu_framing, stop));
                    match transport {
                        Transport::Tcp { .. } => Transport::Tcp { address: local },
                        _ => Transport::RtuOverTcp { address: local },
                    }
                }
                (Transport::Rtu { path, baud }, bind) => {
                    let serve_at = match bind {
                        Bind::AsConfigured => path.clone(),
                        Bind::Loopback(map) => {
                            map.get(path).cloned().unwrap_or_else(|| path.clone())
                        }
                    };
                    let server = rtu::Server::new_from_path(&serve_at, *baud).map_err(fail)?;
                    let service = EndpointService {
                        endpoint,
                        sabotage: None,
                    };
                    let stop = shutdown.clone();
                    tasks.spawn(async move {
                        if let Err(e) = server.serve_until(service, stop.cancelled_owned()).await {
                            tracing::warn!("simulated serial line stopped: {e}");
                        }
                    });
                    transport.clone()
                }
            };
            endpoints.insert(transport, actual);
        }
        Ok(Simulator {
            tasks,
            shutdown,
            endpoints,
            served,
        })
    }

    /// What every device served so far: the minutes it answered requests with registers.
    pub fn served(&self) -> ServedTally {
        let devices = self
            .served
            .iter()
            .map(|(id, served)| {
                let served = served.lock().unwrap_or_else(|e| e.into_inner()).clone();
                (id.clone(), served)
            })
            .collect();
        ServedTally { devices }
    }

    /// Points every TCP device of `registry` at the address where the simulator serves it.
    pub fn redirect(&self, registry: &mut Registry) {
        for station in &mut registry.stations {
            for device in &mut station.devices {
                if let Some(actual) = self.endpoints.get(&device.transport)
                    && !matches!(actual, Transport::Rtu { .. })
                {
                    device.transport = actual.clone();
                }
            }
        }
    }

    /// Stops every server.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn serve_tcp(
    listener: TcpListener,
    endpoint: Arc<Endpoint>,
    rtu_framing: bool,
    stop: CancellationToken,
) {
    let on_connected = |stream: tokio::net::TcpStream, _addr| {
        let endpoint = endpoint.clone();
        async move {
            stream.set_nodelay(true)?;
            let sabotage = Arc::new(Sabotage::default());
            let service = EndpointService {
                endpoint,
                sabotage: Some(sabotage.clone()),
            };
            Ok(Some((service, FaultyStream::new(stream, sabotage))))
        }
    };
    let on_error = |e: io::Error| tracing::debug!("simulator connection ended: {e}");
    let result = if rtu_framing {
        rtu_over_tcp::Server::new(listener)
            .serve_until(&on_connected, on_error, stop.cancelled_owned())
            .await
    } else {
        tcp::Server::new(listener)
            .serve_until(&on_connected, on_error, stop.cancelled_owned())
            .await
    };
    if let Err(e) = result {
        tracing::warn!("simulator listener stopped: {e}");
    }
}

/// The Modbus service of one connection.
struct EndpointService {
    endpoint: Arc<Endpoint>,
    /// `None` on serial lines, where a dead device simply stays silent.
    sabotage: Option<Arc<Sabotage>>,
}

type Answer = Result<Option<Response>, ExceptionCode>;

impl Service for EndpointService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let answer = self.answer(req);
        match answer {
            (Some(delay), result) => Box::pin(async move {
                tokio::time::sleep(delay).await;
                result
            }),
            (None, result) => Box::pin(std::future::ready(result)),
        }
    }
}

impl EndpointService {
    /// The answer to a request, and how long to hold it back.
    fn answer(&self, req: SlaveRequest<'static>) -> (Option<std::time::Duration>, Answer) {
        let endpoint = &self.endpoint;
        let Some(device) = endpoint.devices.get(&req.slave) else {
            // Nobody with that unit id: a gateway says so, a serial line stays silent.
            return match self.sabotage {
                Some(_) => (None, Err(ExceptionCode::GatewayTargetDevice)),
                None => (None, Ok(None)),
            };
        };
        let now = endpoint.clock.now();
        let state = endpoint.environment.device_state(&device.id, now);
        if state.offline {
            if let Some(sabotage) = &self.sabotage {
                sabotage.cut();
            }
            return (None, Ok(None));
        }
        if state.reset {
            // On a serial line there is no connection to abort: the device stays silent.
            if let Some(sabotage) = &self.sabotage {
                sabotage.reset();
            }
            return (None, Ok(None));
        }
        if state.exception {
            return (state.delay, Err(ExceptionCode::ServerDeviceFailure));
        }
        let garbled = match self.sabotage.as_ref().filter(|_| state.garbage) {
            Some(sabotage) => {
                sabotage.garble_next();
                true
            }
            None => false,
        };
        let at = state.frozen_at.unwrap_or(now);
        let conditions = endpoint.environment.conditions(device.station, at);
        let truth = |p| conditions.get(p);
        let profile = &device.profile;
        let result = match req.request {
            Request::ReadInputRegisters(a, n) => {
                read_registers(profile, RegisterKind::Input, a, n, &truth, state.mode)
                    .map(Response::ReadInputRegisters)
            }
            Request::ReadHoldingRegisters(a, n) => {
                read_registers(profile, RegisterKind::Holding, a, n, &truth, state.mode)
                    .map(Response::ReadHoldingRegisters)
            }
            Request::ReadCoils(a, n) => {
                read_bits(profile, RegisterKind::Coil, a, n, state.mode).map(Response::ReadCoils)
            }
            Request::ReadDiscreteInputs(a, n) => {
                read_bits(profile, RegisterKind::DiscreteInput, a, n, state.mode)
                    .map(Response::ReadDiscreteInputs)
            }
            _ => Err(ExceptionCode::IllegalFunction),
        };
        if result.is_ok() && !garbled {
            device.note_served(now, state.delay.is_some());
        }
        (state.delay, result.map(Some))
    }
}
