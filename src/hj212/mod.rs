//! HJ 212 (HJ 212-2017, and packets of HJ/T 212-2005 and HJ 212-2025 loggers): the Chinese
//! data-transmission protocol between monitoring stations' data loggers and platforms.
//!
//! A packet is `##` + 4-digit length + data segment + CRC + CR LF; the data segment is
//! `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`.
//!
//! - [`crc`]: the HJ CRC (not CRC-16/MODBUS).
//! - [`packet`], [`cp`], [`command`]: the typed packet, its CP payload, command codes.
//! - [`mod@parse`], [`deviation`]: [`inspect`] any bytes (status, parts, every [`Deviation`]);
//!   [`fn@parse`] in strict or lenient mode.
//! - [`build`]: encoding, [`Packet::encode`].
//! - [`framer`]: packets out of a TCP byte stream.
//! - [`reassemble`]: split packets (PNUM/PNO) put back together, and split for sending.
//! - [`reply`]: the platform's answers (9014, 9011, 9012).
//! - [`codes`], [`flags`], [`time`]: factor codes → parameters, data flags, `DataTime`.

pub mod build;
pub mod codes;
pub mod command;
pub mod cp;
pub mod crc;
pub mod deviation;
mod fields;
pub mod flags;
pub mod framer;
pub mod packet;
pub mod parse;
pub mod reassemble;
pub mod reply;
pub mod time;

pub use build::EncodeError;
pub use command::{Command, ExeRtn, QnRtn};
pub use cp::{Cp, CpItem, CpView};
pub use deviation::Deviation;
pub use framer::{FrameEvent, Framer, SkipReason};
pub use packet::{Edition, Field, Packet, PacketFlag, Split, SystemCode};
pub use parse::{Decoded, Inspection, Mode, Rejected, Status, inspect, parse};
pub use reassemble::{Outcome, Reassembler};

/// The longest data segment the standard allows (bytes).
pub const MAX_SEGMENT_LEN: usize = 1024;

/// The longest CP the standard allows (characters).
pub const MAX_CP_LEN: usize = 950;

/// The longest packet: `##` and the length (6) + data segment (1024) + CRC (4) + CR LF (2).
pub const MAX_PACKET_LEN: usize = 6 + MAX_SEGMENT_LEN + 4 + 2;
