//! The link types the node's API speaks, re-exported from [`crate::link`] so
//! that callers can import everything from `rns_proto::node`.

pub use crate::link::{
    LinkError, LinkEvent, LinkId, LinkState, ProofStrategy, RequestFailure, RequestId,
    TeardownReason,
};
