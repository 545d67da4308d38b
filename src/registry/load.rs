//! Loading and validating registry and profile files.
//!
//! Order of work: the network file is parsed and its `[network]` header checked; its stations
//! and devices are validated (a device's profile must be a file in `profiles/`); then the
//! profiles the devices use — and only those — are parsed and validated (their conversions
//! need the network's reference state) and their polls planned. The first error found is
//! returned; likely mistakes that do not stop loading are kept as warnings.
//!
//! Field paths in errors use 0-based indices in file order: `station[0]` is the first
//! `[[station]]`, `station[0].device[1]` its second device, `value[2].unit` the third value
//! of a profile.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use toml::Spanned;

use super::load_network::validate_stations;
use super::load_profile::load_profile;
use super::model::{Network, Registry};
use super::profile::Profile;
use super::raw::{NetworkFile, NetworkHeader};
use super::source::Source;
use super::{ConfigError, ConfigWarning};
use crate::units::ReferenceState;

impl Registry {
    /// Loads the network file at `path` and the profiles its devices use from `profiles/`
    /// beside it (`profiles/<id>.toml` for `profile = "<id>"`).
    ///
    /// Other files in `profiles/` are not read, so a half-written profile that no device uses
    /// yet cannot break the registry ([`Registry::unused_profiles`] lists them; `lantian
    /// probe --profile FILE` checks one against a device). Errors name the file, line, column
    /// and field; likely mistakes are kept, located alike, in [`Registry::warnings`].
    pub fn load(path: &Path) -> Result<Registry, ConfigError> {
        let src = Source::read(path)?;
        let raw: NetworkFile = src.parse()?;
        let network = network_header(&src, &raw.network)?;

        let profile_dir = Registry::profile_dir_of(path);
        let available = profile_ids(&profile_dir)?;
        let stations = validate_stations(
            &src,
            &raw.station,
            &available,
            &profile_dir,
            &network.reference,
        )?;

        let used: BTreeSet<&str> = stations.iter().flat_map(|s| s.profile_ids()).collect();
        let mut profiles = BTreeMap::new();
        let mut warnings = Vec::new();
        for id in used {
            let file = profile_dir.join(format!("{id}.toml"));
            let (profile, found) = Profile::load(&file, &network.reference)?;
            warnings.extend(found);
            profiles.insert(profile.id.clone(), Arc::new(profile));
        }

        let stations = stations.into_iter().map(|s| s.build(&profiles)).collect();
        Ok(Registry {
            network,
            stations,
            profiles,
            warnings,
        })
    }

    /// The profile folder of the network file at `path`.
    fn profile_dir_of(path: &Path) -> PathBuf {
        path.parent().unwrap_or(Path::new(".")).join("profiles")
    }

    /// The `*.toml` files in the profile folder that no device uses (and so were not loaded),
    /// sorted by name.
    pub fn unused_profiles(&self) -> Vec<PathBuf> {
        let dir = Registry::profile_dir_of(&self.network.source);
        toml_files(&dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| {
                f.file_stem()
                    .and_then(|s| s.to_str())
                    .is_none_or(|id| !self.profiles.contains_key(id))
            })
            .collect()
    }
}

impl Profile {
    /// Loads and validates one profile file (its id is the file stem), resolving unit
    /// conversions with `reference`, and plans its poll. Returns it with the likely mistakes
    /// found in it (not logged: the caller decides how to show them).
    pub fn load(
        path: &Path,
        reference: &ReferenceState,
    ) -> Result<(Profile, Vec<ConfigWarning>), ConfigError> {
        let src = Source::read(path)?;
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| src.error(0..0, "", "a profile file name must be a UTF-8 id"))?;
        load_profile(id, &src, reference)
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

/// The `*.toml` files in `dir`, sorted by name; none when `dir` does not exist.
fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    Ok(files)
}

/// The ids (file stems) of the profiles in `dir`. A missing folder has none.
fn profile_ids(dir: &Path) -> Result<Vec<String>, ConfigError> {
    let files = toml_files(dir).map_err(|e| ConfigError {
        file: dir.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot list the profile folder: {e}"),
    })?;
    Ok(files
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_string))
        .collect())
}
