//! The msgpack that Reticulum and LXMF put on the wire, encoded byte-exactly as the
//! reference encoder does.
//!
//! Owns: a dynamic [`Value`], a canonical encoder and a bounded decoder.
//! Does not own: any knowledge of what the values mean (that is `rns-wire` and
//! `lxmf`), nor serde integration.
//!
//! Why our own codec: hashes and signatures in LXMF and resource advertisements
//! are computed over re-encoded msgpack, so the encoder must pick exactly the
//! encodings the reference picks (smallest integer form, `bin` for bytes, `float64`
//! for floats, maps in insertion order). The decoder is fed by the network, so
//! every length field is checked against the bytes that remain before anything is
//! allocated, and nesting depth is capped.

mod decode;
mod encode;
mod value;

pub use decode::{DecodeError, MAX_DEPTH, decode, decode_prefix};
pub use encode::{encode, encode_into};
pub use value::Value;
