//! Interfaces: one task per medium that turns its bytes into whole packets for
//! the driver and writes the driver's packets out, framed as the medium needs.
//!
//! The contract with the driver is a single bounded channel of [`IfaceEvent`]s
//! (attached, online/offline, inbound packet, detached), kept in order so an
//! interface is always attached before its first packet arrives; and, per
//! interface, a bounded channel of outbound packets that the driver fills with
//! `try_send`, dropping (and counting) when a slow peer lets it fill up, so that
//! one stuck socket never stalls the node.

pub mod auto;
pub mod local;
pub(crate) mod stream;
pub(crate) mod tcp_client;
pub(crate) mod tcp_server;
pub(crate) mod udp;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rns_crypto::IfacKey;
use tokio::sync::mpsc;

use crate::cancel::Cancel;
use crate::config::InterfaceModeSetting;

/// Packets waiting to be written to one interface. A TCP peer that stops
/// reading loses packets beyond this, rather than holding them in memory.
pub const OUTBOUND_QUEUE: usize = 128;

/// Events from all interfaces waiting for the driver. Interfaces that find it
/// full wait, which pushes back on their peers through TCP flow control.
pub const EVENT_QUEUE: usize = 512;

/// The MTU of plain (non-link) Reticulum packets; the floor for any interface.
pub const BASE_MTU: u32 = 500;

/// The bitrate the reference assumes for TCP and UDP: 10 Mbit/s.
pub const TCP_BITRATE_GUESS: u64 = 10_000_000;

/// The HW_MTU the reference derives from an interface's bitrate (§10), or
/// `None` below 62.5 kbit/s.
pub fn hw_mtu_for_bitrate(bitrate: u64) -> Option<u32> {
    const TIERS: [(u64, u32); 10] = [
        (1_000_000_000, 524_288),
        (750_000_000, 262_144),
        (400_000_000, 131_072),
        (200_000_000, 65_536),
        (100_000_000, 32_768),
        (10_000_000, 16_384),
        (5_000_000, 8_192),
        (2_000_000, 4_096),
        (1_000_000, 2_048),
        (62_500, 1_024),
    ];
    TIERS
        .iter()
        .find(|(floor, _)| bitrate >= *floor)
        .map(|&(_, mtu)| mtu)
}

/// Which side of a shared-instance connection an interface is, if either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocalRole {
    #[default]
    None,
    /// We are a program attached to someone else's shared instance.
    SharedInstanceClient,
    /// A local program attached to our shared instance.
    ClientOfOurs,
}

/// What the driver needs to know to add an interface to the node.
#[derive(Debug, Clone)]
pub struct InterfaceInfo {
    pub name: String,
    pub mode: InterfaceModeSetting,
    pub hw_mtu: Option<u32>,
    pub bitrate: u64,
    pub announce_cap: f64,
    pub ifac: Option<IfacKey>,
    /// Whether the node may transmit on it.
    pub outbound: bool,
    pub role: LocalRole,
}

impl InterfaceInfo {
    /// The longest payload a receiver on this interface accepts: the HW_MTU
    /// (or the base MTU) plus the access code.
    pub(crate) fn max_payload(&self) -> usize {
        let mtu = self.hw_mtu.unwrap_or(BASE_MTU).max(BASE_MTU);
        let mtu = usize::try_from(mtu).unwrap_or(usize::MAX);
        mtu.saturating_add(self.ifac.as_ref().map_or(0, IfacKey::size))
    }
}

/// What interface tasks tell the driver.
#[derive(Debug)]
pub(crate) enum IfaceEvent {
    /// A new interface: add it to the node and write its packets to `writer`.
    Attached {
        id: u32,
        // Boxed: the other events are small and far more frequent.
        info: Box<InterfaceInfo>,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// The medium came up or went down (a TCP client between reconnects).
    Online { id: u32, online: bool },
    /// One deframed packet, still IFAC-masked.
    Inbound { id: u32, raw: Vec<u8> },
    /// The interface is gone for good: remove it from the node.
    Detached { id: u32 },
}

/// What every interface task is given.
#[derive(Debug, Clone)]
pub(crate) struct IfaceCtx {
    pub events: mpsc::Sender<IfaceEvent>,
    pub ids: Arc<AtomicU32>,
    pub cancel: Cancel,
}

impl IfaceCtx {
    /// A fresh interface id; ids are never reused within one driver.
    pub(crate) fn next_id(&self) -> u32 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Attaches a new interface and returns the receiving end of its writer
    /// queue, or `None` when the driver has gone away.
    pub(crate) async fn attach(
        &self,
        id: u32,
        info: InterfaceInfo,
    ) -> Option<mpsc::Receiver<Vec<u8>>> {
        let (writer, rx) = mpsc::channel(OUTBOUND_QUEUE);
        self.events
            .send(IfaceEvent::Attached {
                id,
                info: Box::new(info),
                writer,
            })
            .await
            .ok()?;
        Some(rx)
    }

    /// Best effort: a driver that is shutting down no longer listens.
    pub(crate) async fn notify(&self, event: IfaceEvent) {
        let _ = self.events.send(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtu_tiers_match_the_reference() {
        assert_eq!(hw_mtu_for_bitrate(TCP_BITRATE_GUESS), Some(16_384));
        assert_eq!(hw_mtu_for_bitrate(1_000_000_000), Some(524_288));
        assert_eq!(hw_mtu_for_bitrate(999_999_999), Some(262_144));
        assert_eq!(hw_mtu_for_bitrate(62_500), Some(1_024));
        assert_eq!(hw_mtu_for_bitrate(62_499), None);
        assert_eq!(hw_mtu_for_bitrate(1_200), None);
    }
}

#[cfg(test)]
mod socket_tests;
