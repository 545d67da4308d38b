//! Collection over Modbus against the simulator and real peers (pymodbus, mbpoll, socat), the registry's regression cases, `lantian run`, `lantian jobs` and `lantian demo`.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod alarms_sim;
mod clock_step;
mod collect_sim;
#[path = "../common/mod.rs"]
mod common;
mod demo_command;
mod faulty_devices;
mod format_reference;
mod jobs_command;
mod malloc_tunables;
mod peers_modbus;
mod profile_trial;
mod registry_testcases;
mod run_command;
mod sim_world;
mod store_commands_anywhere;
