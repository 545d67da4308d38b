//! Runs the simulator and the collectors together on a scaled clock, into a temporary SQLite
//! store — the real pipeline over real loopback Modbus, for integration tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::recording_store::RecordingStore;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::alarms::rules::config::{AlarmRules, AlarmSettings};
use lantian::alarms::rules::scope::NetworkModel;
use lantian::alarms::rules::stage::AlarmStage;
use lantian::clock::Clock;
use lantian::collect::{CollectorConfig, Pipeline, Stages};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Parameters, ReadingQuery, Record, Resolution, StationStore, Stations, Store};
use lantian::units::Parameter;

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running simulator + pipeline.
pub(crate) struct Run {
    /// The registry, pointed at the simulator's loopback ports.
    pub registry: Registry,
    /// The simulated world.
    pub environment: Arc<Environment>,
    /// The shared clock.
    pub clock: Clock,
    /// Simulation start.
    pub start: DateTime<Utc>,
    /// While set, the pipeline's store refuses writes (an unreachable server).
    pub down: Arc<AtomicBool>,
    sim: Simulator,
    pipeline: Pipeline,
    store_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Run {
    /// Starts the simulator for `network` + `scenario` and collectors polling it. The clock
    /// reads `start` minus one simulated second at once and runs `speed` times real time.
    pub(crate) async fn start(
        network: &Path,
        scenario: &Path,
        start: DateTime<Utc>,
        speed: f64,
        config: CollectorConfig,
        bind: Bind,
    ) -> Run {
        Self::start_with(network, scenario, start, speed, config, bind, None).await
    }

    /// [`Run::start`] with the alarm stage evaluating `rules` (with `settings`) in the
    /// forwarder, with a second handle of the store as its reader.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_with(
        network: &Path,
        scenario: &Path,
        start: DateTime<Utc>,
        speed: f64,
        config: CollectorConfig,
        bind: Bind,
        alarms: Option<(AlarmSettings, AlarmRules)>,
    ) -> Run {
        let mut registry = Registry::load(network).expect("registry loads");
        let scenario = Scenario::load(scenario).expect("scenario loads");
        let environment =
            Arc::new(Environment::new(scenario, &registry, start).expect("environment"));
        let clock = Clock::scaled(start - TimeDelta::seconds(1), speed);
        let sim = Simulator::start(&registry, environment.clone(), clock.clone(), bind)
            .await
            .expect("sim starts");
        sim.redirect(&mut registry);
        let dir = tempfile::tempdir().unwrap();
        let store_path = dir.path().join("test.db");
        let mut store = Box::new(SqliteStore::open(&store_path).unwrap());
        store.put_stations(&registry.station_infos()).unwrap();
        let devices: Vec<_> = registry.devices().cloned().collect();
        let alarms = alarms.map(|(settings, rules)| {
            let reader = Box::new(SqliteStore::open(&store_path).unwrap());
            AlarmStage::new(
                settings,
                &rules,
                NetworkModel::from_registry(&registry),
                clock.clone(),
            )
            .expect("rules fit the network")
            .with_reader(reader)
            .with_min_valid_minutes(config.min_valid_minutes)
        });
        let stages = Stages {
            index: IndexConfig::default(),
            alarms,
            stations: Vec::new(),
        };
        let store = RecordingStore::new(store);
        let down = store.down.clone();
        let pipeline = Pipeline::start(&devices, clock.clone(), config, stages, Box::new(store));
        Run {
            down,
            registry,
            environment,
            clock,
            start,
            sim,
            pipeline,
            store_path,
            _dir: dir,
        }
    }

    /// Makes the store refuse writes (`true`) or take them again.
    pub(crate) fn store_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// The live health of device `id`.
    pub(crate) fn health(&self, id: &str) -> lantian::store::DeviceHealth {
        self.pipeline
            .collector
            .health
            .snapshot()
            .into_iter()
            .find(|h| h.device == id)
            .expect("device")
    }

    /// Runs until the clock reads `until`, stops everything and returns the store.
    pub(crate) async fn finish(self, until: DateTime<Utc>) -> Finished {
        self.clock.sleep_until(until).await;
        self.pipeline.stop().await.expect("sink wrote everything");
        self.sim.stop().await;
        let store = SqliteStore::open(&self.store_path).unwrap();
        Finished {
            store: Box::new(store),
            registry: self.registry,
            environment: self.environment,
            start: self.start,
            _dir: self._dir,
        }
    }
}

/// A finished run: its store and what produced it.
pub(crate) struct Finished {
    /// The store the run wrote.
    pub store: Box<dyn Store>,
    /// The registry.
    pub registry: Registry,
    /// The simulated world.
    pub environment: Arc<Environment>,
    /// Simulation start.
    pub start: DateTime<Utc>,
    _dir: tempfile::TempDir,
}

impl Finished {
    /// Records of one station × parameter at `resolution` over the whole run.
    pub(crate) fn series(
        &self,
        station: &str,
        parameter: Parameter,
        resolution: Resolution,
    ) -> Vec<Record> {
        self.store
            .readings(
                &ReadingQuery::new(
                    resolution,
                    self.start - TimeDelta::days(1),
                    self.start + TimeDelta::days(30),
                )
                .for_stations(Stations::one(station))
                .for_parameters(Parameters::one(parameter)),
            )
            .unwrap()
    }

    /// Stored health of device `id`.
    pub(crate) fn health(&self, id: &str) -> lantian::store::DeviceHealth {
        self.store
            .health()
            .unwrap()
            .into_iter()
            .find(|h| h.device == id)
            .expect("device")
    }
}

/// The keys (station, parameter, unix seconds) of the minute records labelled in
/// `[from, to]` — what two runs of the same scenario must agree on.
pub(crate) fn minute_keys(
    store: &dyn Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> std::collections::BTreeSet<(String, String, i64)> {
    store
        .readings(&ReadingQuery::new(
            Resolution::Minute,
            from,
            to + TimeDelta::seconds(1),
        ))
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.station.to_string(),
                r.parameter.to_string(),
                r.time.timestamp(),
            )
        })
        .collect()
}
