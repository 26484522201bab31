//! The link's clock: establishment timeout, keepalives, staleness and the final
//! timeout, plus the deadlines of receipts and requests gathered into one
//! `next_deadline`.
//!
//! Only the initiator sends keepalives (0xFF, unencrypted). The responder answers
//! 0xFE only when it has sent nothing for one keepalive interval (1.5.7). A link
//! that hears nothing for two intervals goes Stale, and after one more grace
//! period of rtt × 4 + 5 s it sends LINKCLOSE and closes with reason Timeout.
//! The initiator also pings as its link goes Stale, in case its last ping
//! went unanswered and the next one would come only after the stale time.

use rns_crypto::CryptoRngCore;
use rns_wire::link::{Keepalive, link_packet};
use rns_wire::packet::{Context, Packet};

use super::event::Discard;
use super::{Link, LinkAction, LinkState, TeardownReason};

/// The longest keepalive interval, and the one used before the RTT is known.
pub(super) const KEEPALIVE_MAX: f64 = 360.0;
const KEEPALIVE_MIN: f64 = 5.0;
/// The RTT at which the interval reaches its maximum.
const KEEPALIVE_MAX_RTT: f64 = 1.75;
/// Silent keepalive intervals before a link is stale.
const STALE_FACTOR: f64 = 2.0;
/// Once stale: this many RTTs, plus the grace below, before the link closes.
const KEEPALIVE_TIMEOUT_FACTOR: f64 = 4.0;
const STALE_GRACE: f64 = 5.0;

/// The keepalive interval for a link with this RTT:
/// clamp(rtt × 360 / 1.75, 5, 360) seconds.
pub fn keepalive_interval(rtt: f64) -> f64 {
    (rtt * (KEEPALIVE_MAX / KEEPALIVE_MAX_RTT)).clamp(KEEPALIVE_MIN, KEEPALIVE_MAX)
}

/// The instants the link's timers are computed from.
#[derive(Debug, Clone)]
pub(super) struct Timers {
    /// When the LINKREQUEST was sent (initiator) or accepted (responder).
    pub(super) request_time: f64,
    pub(super) establishment_timeout: f64,
    pub(super) rtt: Option<f64>,
    pub(super) keepalive: f64,
    pub(super) last_inbound: f64,
    pub(super) last_outbound: f64,
    pub(super) last_keepalive: f64,
    /// When the link went Stale; the final timeout runs from there.
    pub(super) stale_since: f64,
}

impl Timers {
    pub(super) fn new(now: f64) -> Timers {
        Timers {
            request_time: now,
            establishment_timeout: 0.0,
            rtt: None,
            keepalive: KEEPALIVE_MAX,
            last_inbound: now,
            last_outbound: now,
            last_keepalive: now,
            stale_since: now,
        }
    }

    pub(super) fn activate(&mut self, now: f64, rtt: f64) {
        self.rtt = Some(rtt);
        self.keepalive = keepalive_interval(rtt);
        self.last_inbound = now;
        self.last_keepalive = now;
    }

    /// The initiator's next keepalive: one interval after the last thing heard
    /// and after the last keepalive sent.
    fn keepalive_due(&self) -> f64 {
        (self.last_inbound + self.keepalive).max(self.last_keepalive + self.keepalive)
    }

    fn stale_due(&self) -> f64 {
        self.last_inbound + self.keepalive * STALE_FACTOR
    }

    fn close_due(&self) -> f64 {
        let rtt = self.rtt.unwrap_or(0.0);
        self.stale_since + rtt * KEEPALIVE_TIMEOUT_FACTOR + STALE_GRACE
    }
}

impl Link {
    /// The keepalive interval in use (360 s until the RTT is known).
    pub fn keepalive_interval(&self) -> f64 {
        self.timers.keepalive
    }

    /// When `handle_timeout` next has work to do: a handshake timing out, a
    /// keepalive, staleness, the final close, or a receipt or request expiring.
    pub fn next_deadline(&self) -> Option<f64> {
        let own = match self.state {
            LinkState::Pending | LinkState::Handshake => self.establishment_deadline(),
            LinkState::Active if self.initiator => {
                self.timers.keepalive_due().min(self.timers.stale_due())
            }
            LinkState::Active => self.timers.stale_due(),
            LinkState::Stale => self.timers.close_due(),
            LinkState::Closed => return None,
        };
        let others = [
            self.receipts.next_deadline(),
            self.requests.next_deadline(),
            self.resources.next_deadline(),
            self.channel_deadline(),
        ];
        Some(others.into_iter().flatten().fold(own, f64::min))
    }

    /// Runs whatever timers have expired by `now`. Calling it early, late or
    /// repeatedly is harmless.
    pub fn handle_timeout(
        &mut self,
        now: f64,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        match self.state {
            LinkState::Closed => {}
            LinkState::Pending | LinkState::Handshake => {
                if now >= self.establishment_deadline() {
                    // No key on the initiator, and no confirmed peer on the
                    // responder: there is no one to send a LINKCLOSE to.
                    self.teardown(now, TeardownReason::Timeout, None, out);
                }
            }
            LinkState::Active | LinkState::Stale => {
                self.expire_receipts(now, out);
                self.expire_requests(now, out);
                self.resource_timeouts(now, out, rng);
                self.channel_timeouts(now, out, rng);
                if self.state == LinkState::Closed {
                    return;
                }
                self.watchdog(now, out, rng);
            }
        }
    }

    /// Keepalives and staleness of an established link.
    fn watchdog(&mut self, now: f64, out: &mut Vec<LinkAction>, rng: &mut dyn CryptoRngCore) {
        if self.state == LinkState::Stale {
            if now >= self.timers.close_due() {
                self.teardown(now, TeardownReason::Timeout, Some(rng), out);
            }
            return;
        }
        // Ping when due, and at the latest as the link goes stale: a 1.5.7
        // responder leaves a ping unanswered when it came less than a whole
        // interval after the responder's own last packet, and a timer that
        // fires a little late can push our next ping past the stale time;
        // with no ping then, the responder never speaks and the link dies
        // (interop finding, docs/interop.md).
        let stale = now >= self.timers.stale_due();
        if self.initiator && (now >= self.timers.keepalive_due() || stale) {
            self.timers.last_keepalive = now;
            self.send_keepalive(now, Keepalive::Request, out);
        }
        if stale {
            self.state = LinkState::Stale;
            self.timers.stale_since = now;
        }
    }

    fn send_keepalive(&mut self, now: f64, keepalive: Keepalive, out: &mut Vec<LinkAction>) {
        let packet = link_packet(self.id, Context::KEEPALIVE, keepalive.encode().to_vec());
        self.transmit(now, packet, out);
    }

    /// A keepalive (unencrypted). The initiator ignores a 0xFF echo; the
    /// responder answers 0xFF with 0xFE only if it has been silent for a whole
    /// interval, since any other traffic already tells the initiator it is alive.
    pub(super) fn on_keepalive(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        if !matches!(self.state, LinkState::Active | LinkState::Stale) {
            return Err(Discard::State);
        }
        let keepalive = Keepalive::decode(&packet.data)?;
        if self.initiator && keepalive == Keepalive::Request {
            return Ok(());
        }
        self.note_inbound(now);
        let silent = now - self.timers.last_outbound >= self.timers.keepalive;
        if !self.initiator && keepalive == Keepalive::Request && silent {
            self.send_keepalive(now, Keepalive::Response, out);
        }
        Ok(())
    }

    /// Traffic from the peer: the link is alive, and a stale link recovers.
    pub(super) fn note_inbound(&mut self, now: f64) {
        self.timers.last_inbound = self.timers.last_inbound.max(now);
        if self.state == LinkState::Stale {
            self.state = LinkState::Active;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_follow_the_last_inbound_and_keepalive() {
        let mut t = Timers::new(100.0);
        t.activate(100.0, 0.1);
        let k = keepalive_interval(0.1);
        assert_eq!(t.keepalive_due(), 100.0 + k);
        assert_eq!(t.stale_due(), 100.0 + 2.0 * k);
        // A keepalive sent later than due pushes the next one out.
        t.last_keepalive = 100.0 + k + 3.0;
        assert_eq!(t.keepalive_due(), 100.0 + 2.0 * k + 3.0);
        t.stale_since = 200.0;
        assert_eq!(t.close_due(), 200.0 + 0.4 + 5.0);
    }
}
