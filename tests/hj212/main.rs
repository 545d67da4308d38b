//! HJ 212: the codec against the shared corpus of real packets and the standard's examples,
//! property tests of the parser, builder and framer, `lantian hj212 decode`.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod corpus;
mod decode_command;
mod properties;
mod standard;
