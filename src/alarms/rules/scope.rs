//! The network as the rules see it: stations with their district, class and position, and
//! the devices of each with the parameters they measure, what their status bits mean and their
//! measuring ranges — from the registry (collected networks) or from the store's stations
//! (then without classes or devices). Rules' scopes are checked against it: an unknown station
//! or district is an error naming the file, line and field.

use std::collections::{BTreeSet, HashMap};

use super::config::{AlarmRules, Located, Scope};
use crate::registry::{ConfigError, Registry, StationKind, StatusMeaning};
use crate::store::{StationId, StationInfo};
use crate::units::Parameter;

/// A device as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceModel {
    /// Its id.
    pub id: String,
    /// What it measures, with its measuring range in canonical units when the profile gives
    /// one.
    pub parameters: Vec<(Parameter, Option<(f64, f64)>)>,
    /// Its status bits: name and meaning.
    pub status: Vec<(String, StatusMeaning)>,
}

impl DeviceModel {
    /// What the status bit `name` means.
    pub fn meaning(&self, name: &str) -> Option<StatusMeaning> {
        self.status.iter().find(|(n, _)| n == name).map(|(_, m)| *m)
    }
}

/// A station as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StationModel {
    /// Its id.
    pub id: StationId,
    /// Its district.
    pub district: String,
    /// Its class, when the registry gives it.
    pub class: Option<StationKind>,
    /// Latitude and longitude.
    pub position: Option<(f64, f64)>,
    /// Its devices (none for stations known only from the store).
    pub devices: Vec<DeviceModel>,
}

impl StationModel {
    /// The parameters its devices measure, each once.
    pub fn measured(&self) -> BTreeSet<Parameter> {
        self.devices
            .iter()
            .flat_map(|d| d.parameters.iter().map(|(p, _)| *p))
            .collect()
    }

    /// The measuring range of `p` (canonical units), if a device gives one.
    pub fn range(&self, p: Parameter) -> Option<(f64, f64)> {
        self.devices
            .iter()
            .flat_map(|d| &d.parameters)
            .find(|(q, _)| *q == p)
            .and_then(|(_, r)| *r)
    }
}

/// The network as the rules see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkModel {
    /// Its stations.
    pub stations: Vec<StationModel>,
}

impl NetworkModel {
    /// From the registry: every station and device.
    pub fn from_registry(registry: &Registry) -> NetworkModel {
        let stations = registry
            .stations
            .iter()
            .map(|s| StationModel {
                id: s.id.clone(),
                district: s.district.clone(),
                class: Some(s.kind),
                position: Some((s.lat, s.lon)),
                devices: s
                    .devices
                    .iter()
                    .map(|d| DeviceModel {
                        id: d.id.clone(),
                        parameters: d
                            .profile
                            .values
                            .iter()
                            .map(|v| {
                                let range = v.range.map(|(lo, hi)| {
                                    (v.conversion.apply(lo), v.conversion.apply(hi))
                                });
                                (v.parameter, range)
                            })
                            .collect(),
                        status: d
                            .profile
                            .status
                            .iter()
                            .map(|b| (b.name.clone(), b.meaning))
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        NetworkModel { stations }
    }

    /// From the store's stations (imported or collected elsewhere): no classes, no devices.
    pub fn from_stations(stations: &[StationInfo]) -> NetworkModel {
        NetworkModel {
            stations: stations
                .iter()
                .map(|s| StationModel {
                    id: s.id.as_str().into(),
                    district: s.district.clone(),
                    class: None,
                    position: s.lat.zip(s.lon),
                    devices: Vec::new(),
                })
                .collect(),
        }
    }

    /// Whether station `i` is in `scope`.
    pub fn in_scope(&self, i: usize, scope: &Scope) -> bool {
        let s = &self.stations[i];
        (scope.stations.is_empty() || scope.stations.iter().any(|x| *x.value == *s.id))
            && (scope.districts.is_empty() || scope.districts.iter().any(|x| x.value == s.district))
            && (scope.classes.is_empty() || s.class.is_some_and(|c| scope.classes.contains(&c)))
    }

    /// Index of each station by id.
    pub fn index(&self) -> HashMap<StationId, usize> {
        self.stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect()
    }

    /// Checks every rule's scope: each station and district must be the network's, and a
    /// class scope needs a network whose stations have classes (the registry's).
    pub fn check(&self, rules: &AlarmRules) -> Result<(), ConfigError> {
        let error = |x: &Located<String>, rule: &str, field: &str, message: String| ConfigError {
            file: rules.file.clone(),
            line: x.at.line,
            column: x.at.column,
            field: format!("alarm `{rule}`.{field}"),
            message,
        };
        for rule in &rules.rules {
            for s in &rule.scope.stations {
                if !self.stations.iter().any(|m| *m.id == *s.value) {
                    return Err(error(
                        s,
                        &rule.id,
                        "stations",
                        format!("unknown station `{}`", s.value),
                    ));
                }
            }
            for d in &rule.scope.districts {
                if !self.stations.iter().any(|m| m.district == d.value) {
                    let known: BTreeSet<&str> =
                        self.stations.iter().map(|m| m.district.as_str()).collect();
                    let known: Vec<&str> = known.into_iter().collect();
                    return Err(error(
                        d,
                        &rule.id,
                        "districts",
                        format!(
                            "unknown district `{}` (the network's: {})",
                            d.value,
                            known.join(", ")
                        ),
                    ));
                }
            }
            if !rule.scope.classes.is_empty() && self.stations.iter().all(|m| m.class.is_none()) {
                return Err(ConfigError {
                    file: rules.file.clone(),
                    line: rule.at.line,
                    column: rule.at.column,
                    field: format!("alarm `{}`.classes", rule.id),
                    message: "station classes come from the registry, and none is loaded".into(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::alarms::rules::config::{Location, default_rules};

    fn network() -> NetworkModel {
        let station = |id: &str, district: &str| StationModel {
            id: id.into(),
            district: district.into(),
            class: Some(StationKind::Town),
            position: None,
            devices: vec![DeviceModel {
                id: format!("{id}-PM"),
                parameters: vec![
                    (Parameter::Pm25, Some((0.0, 1000.0))),
                    (Parameter::Pm10, None),
                ],
                status: vec![("flow".into(), StatusMeaning::Fault)],
            }],
        };
        NetworkModel {
            stations: vec![station("A", "东城"), station("B", "南城")],
        }
    }

    #[test]
    fn scopes_select_and_are_checked() {
        let n = network();
        let mut rules = AlarmRules {
            file: PathBuf::from("lantian.toml"),
            rules: default_rules(),
            configured: true,
        };
        assert!(n.check(&rules).is_ok());
        let at = Location {
            line: 7,
            column: 13,
        };
        rules.rules[0].scope.districts = vec![Located {
            value: "南城".into(),
            at,
        }];
        assert!(!n.in_scope(0, &rules.rules[0].scope));
        assert!(n.in_scope(1, &rules.rules[0].scope));
        rules.rules[0].scope.stations = vec![Located {
            value: "C".into(),
            at,
        }];
        let e = n.check(&rules).unwrap_err();
        assert_eq!((e.line, e.column), (7, 13));
        assert!(e.to_string().contains("unknown station `C`"), "{e}");
        assert!(e.field.contains("o3-1h-limit"), "{e}");
        assert_eq!(n.stations[0].measured().len(), 2);
        assert_eq!(n.stations[0].range(Parameter::Pm25), Some((0.0, 1000.0)));
        assert_eq!(
            n.stations[0].devices[0].meaning("flow"),
            Some(StatusMeaning::Fault)
        );
    }
}
