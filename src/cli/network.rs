//! What the commands that only read the store (reports, jobs) know about the network: the
//! registry's names and devices when its file is there, otherwise the store's station
//! metadata — so that they work from any folder, against any store.

use chrono_tz::Tz;
use lantian::config::Config;
use lantian::registry::Registry;
#[cfg(feature = "reports")]
use lantian::report::DeviceSpec;
use lantian::report::Lang;
use lantian::store::Store;
use lantian::store::network_zone;

/// The network as a store-reading command sees it.
pub(super) struct NetworkFacts {
    /// Chinese and English names (from the registry).
    names: Option<(String, String)>,
    /// The zone of local days and hour labels.
    pub time_zone: Tz,
    /// The devices and what they measure (empty without a registry: each station then counts
    /// as one device in the device-health report).
    #[cfg(feature = "reports")]
    pub devices: Vec<DeviceSpec>,
}

impl NetworkFacts {
    /// Everything from a loaded registry.
    fn from_registry(registry: &Registry) -> NetworkFacts {
        NetworkFacts {
            names: Some((
                registry.network.name.clone(),
                registry.network.name_en.clone(),
            )),
            time_zone: registry.network.time_zone,
            #[cfg(feature = "reports")]
            devices: DeviceSpec::from_registry(registry),
        }
    }

    /// From the configured registry when its file exists; otherwise from the stations in
    /// `store` (their time zone), named "lantian". A registry file that exists but does not
    /// load is a warning, not an error: reading the store does not need it.
    pub(super) fn load(config: &Config, store: &dyn Store) -> anyhow::Result<NetworkFacts> {
        if config.registry.exists() {
            match Registry::load(&config.registry) {
                Ok(registry) => return Ok(NetworkFacts::from_registry(&registry)),
                Err(e) => tracing::warn!("{e}: using the store's stations instead"),
            }
        } else {
            tracing::debug!(
                "no registry at {}: using the store's stations",
                config.registry.display()
            );
        }
        Ok(NetworkFacts {
            names: None,
            time_zone: network_zone(&store.stations()?),
            #[cfg(feature = "reports")]
            devices: Vec::new(),
        })
    }

    /// The network's name in `lang` ("lantian" when no registry names it).
    pub(super) fn name(&self, lang: Lang) -> String {
        match (&self.names, lang) {
            (Some((zh, _)), Lang::Zh) => zh.clone(),
            (Some((_, en)), Lang::En) => en.clone(),
            (None, _) => "lantian".to_string(),
        }
    }
}
