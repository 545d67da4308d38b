//! Loading and validating registry and profile files.
//!
//! Order of work: the network file is parsed and its `[network]` header checked; then every
//! `profiles/*.toml` is parsed and validated (its conversions need the network's reference
//! state); then stations and devices are validated against the profiles; only when everything
//! is valid are the profiles' polls planned. The first error found is returned.
//!
//! Field paths in errors use 0-based indices in file order: `station[0]` is the first
//! `[[station]]`, `station[0].device[1]` its second device, `value[2].unit` the third value
//! of a profile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use toml::Spanned;

use super::ConfigError;
use super::load_network::validate_stations;
use super::load_profile::{ProfileDraft, load_profile};
use super::model::{Network, Registry};
use super::raw::{NetworkFile, NetworkHeader};
use super::source::Source;
use crate::units::ReferenceState;

impl Registry {
    /// Loads the network file at `path` and the profiles in `profiles/` beside it.
    ///
    /// Every `*.toml` in `<dir of path>/profiles/` is loaded and validated, whether or not a
    /// device uses it; the profile id is the file stem. A missing `profiles/` folder is the same
    /// as an empty one. Errors name the file, line, column and field.
    pub fn load(path: &Path) -> Result<Registry, ConfigError> {
        let src = Source::read(path)?;
        let raw: NetworkFile = src.parse()?;
        let network = network_header(&src, &raw.network)?;

        let dir = path.parent().unwrap_or(Path::new("."));
        let profile_dir = dir.join("profiles");
        let drafts = load_profiles(&profile_dir, &network.reference)?;

        let stations = validate_stations(&src, &raw.station, &drafts, &profile_dir)?;

        let mut profiles = BTreeMap::new();
        for draft in drafts.into_values() {
            let profile = draft.finish()?;
            profiles.insert(profile.id.clone(), Arc::new(profile));
        }

        let stations = stations.into_iter().map(|s| s.build(&profiles)).collect();
        Ok(Registry {
            network,
            stations,
            profiles,
        })
    }
}

fn network_header(src: &Source, header: &Spanned<NetworkHeader>) -> Result<Network, ConfigError> {
    let h = header.get_ref();
    if h.id.get_ref().trim().is_empty() {
        return Err(src.error(h.id.span(), "network.id", "the network id is empty"));
    }
    let time_zone: Tz = h.time_zone.get_ref().parse().map_err(|_| {
        src.error(
            h.time_zone.span(),
            "network.time_zone",
            format!(
                "unknown time zone `{}` (expected an IANA name such as `Asia/Shanghai`)",
                h.time_zone.get_ref()
            ),
        )
    })?;
    let mut reference = ReferenceState::default();
    if let Some(t) = &h.reference_temperature_c {
        let t_c = *t.get_ref();
        if !(-50.0..=50.0).contains(&t_c) {
            return Err(src.error(
                t.span(),
                "network.reference_temperature_c",
                format!("reference temperature {t_c} °C is outside -50..50 °C"),
            ));
        }
        reference.temperature_c = t_c;
    }
    if let Some(p) = &h.reference_pressure_hpa {
        let p_hpa = *p.get_ref();
        if !(500.0..=1100.0).contains(&p_hpa) {
            return Err(src.error(
                p.span(),
                "network.reference_pressure_hpa",
                format!("reference pressure {p_hpa} hPa is outside 500..1100 hPa"),
            ));
        }
        reference.pressure_hpa = p_hpa;
    }
    Ok(Network {
        id: h.id.get_ref().clone(),
        name: h.name.clone(),
        name_en: h.name_en.clone(),
        time_zone,
        reference,
        source: src.file.clone(),
    })
}

/// Loads every `*.toml` in `dir` (sorted by name) as a profile.
fn load_profiles(
    dir: &Path,
    reference: &ReferenceState,
) -> Result<BTreeMap<String, ProfileDraft>, ConfigError> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(ConfigError {
                file: dir.to_path_buf(),
                line: 0,
                column: 0,
                field: String::new(),
                message: format!("cannot list the profile folder: {e}"),
            });
        }
    };
    files.sort();
    let mut drafts = BTreeMap::new();
    for file in files {
        let id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let src = Source::read(&file)?;
        if id.is_empty() {
            return Err(src.error(0..0, "", "a profile file name must be a UTF-8 id"));
        }
        let draft = load_profile(&id, &src, reference)?;
        drafts.insert(draft.id().to_string(), draft);
    }
    Ok(drafts)
}
