//! Collectors: polling devices over Modbus, flagging and aggregating their samples.

pub mod aggregate;
