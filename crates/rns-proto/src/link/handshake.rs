//! Link establishment: the initiator's LINKREQUEST, the responder's LRPROOF, the
//! initiator's RTT report (LRRTT), MTU negotiation and the establishment timeout.

use rns_crypto::{
    CryptoRngCore, DestinationHash, PrivateIdentity, PublicIdentity, TokenMode, X25519Keypair,
    derive_link_token,
};
use rns_wire::constants::MTU;
use rns_wire::link::{
    LinkMode, LinkProof, LinkRequest, MAX_SIGNALLED_MTU, Signalling, X25519Public, decode_rtt,
    encode_rtt, link_id,
};
use rns_wire::packet::{Context, Packet};

use super::event::Discard;
use super::keepalive::KEEPALIVE_MAX;
use super::{Link, LinkAction, LinkError, LinkEvent, LinkState, ProofStrategy};

/// Seconds of establishment time allowed per hop (the reference's default
/// per-hop timeout).
const ESTABLISHMENT_TIMEOUT_PER_HOP: f64 = 6.0;

/// The first-hop allowance when the owner gives no hint: the reference falls back
/// to one default per-hop timeout when it knows nothing of the first hop.
const DEFAULT_FIRST_HOP_TIMEOUT: f64 = ESTABLISHMENT_TIMEOUT_PER_HOP;

/// The smallest link MTU: every interface carries the 500-byte network MTU, so a
/// smaller signalled value is an error, and honouring it could leave no room for
/// any payload at all.
const MIN_LINK_MTU: u32 = MTU as u32;

impl Link {
    /// Initiator: makes the link and its LINKREQUEST packet. `signalling_mtu` is
    /// the next-hop interface's HW_MTU when that interface supports MTU discovery;
    /// `None` signals the default 500 (1.5.7 always sends the signalling bytes).
    ///
    /// The establishment timeout assumes a one-hop path with an unknown first hop;
    /// the owner refines it with [`set_establishment_hint`](Self::set_establishment_hint).
    pub fn initiate(
        now: f64,
        destination: DestinationHash,
        remote: PublicIdentity,
        signalling_mtu: Option<u32>,
        rng: &mut dyn CryptoRngCore,
    ) -> (Link, Packet) {
        // X25519 then Ed25519, 32 random bytes each: exactly the ephemeral pair a
        // link request carries, in the same layout as an identity.
        let ephemeral = PrivateIdentity::generate(rng);
        let requested = signalling_mtu.map_or(MIN_LINK_MTU, clamp_mtu);
        let request = LinkRequest {
            initiator: ephemeral.public().clone(),
            signalling: Signalling::new(requested, LinkMode::DEFAULT).ok(),
        };
        let packet = request.to_packet(destination);
        let mut link = Link::base(now, link_id(&packet), destination, ephemeral, remote);
        link.mtu = requested;
        link.stats.packets_out = 1;
        link.set_establishment_hint(1, DEFAULT_FIRST_HOP_TIMEOUT);
        (link, packet)
    }

    /// Responder: validates a LINKREQUEST addressed to a local destination owned
    /// by `local`, and returns the link (in Handshake) and its LRPROOF packet.
    ///
    /// `interface_mtu` is the receiving interface's HW_MTU when it supports MTU
    /// discovery: the requested MTU is clamped to it. `None` means the interface
    /// cannot say, and the link uses 500, as if the request had no signalling.
    pub fn accept(
        now: f64,
        request: &Packet,
        local: &PrivateIdentity,
        proof_strategy: ProofStrategy,
        interface_mtu: Option<u32>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(Link, Packet), LinkError> {
        let parsed = LinkRequest::from_packet(request).map_err(LinkError::MalformedRequest)?;
        let mode = parsed.mode();
        if !mode.is_enabled() {
            return Err(LinkError::UnsupportedMode(mode.value()));
        }
        let mtu = match (parsed.signalling, interface_mtu) {
            (Some(s), Some(interface)) => clamp_mtu(s.mtu().min(interface)),
            _ => MIN_LINK_MTU,
        };
        let id = link_id(request);
        let ephemeral = X25519Keypair::generate(rng);
        let shared = ephemeral
            .diffie_hellman(&x25519_half(&parsed.initiator))
            .map_err(LinkError::KeyAgreement)?;
        let token =
            derive_link_token(&shared, &id, token_mode(mode)?).map_err(LinkError::KeyAgreement)?;
        let signalling = Signalling::new(mtu, mode).ok();
        let responder_key = X25519Public(ephemeral.public_bytes());
        let proof = LinkProof::sign(local, &id, responder_key, signalling);

        let mut link = Link::base(
            now,
            id,
            request.destination,
            local.clone(),
            parsed.initiator,
        );
        link.initiator = false;
        link.state = LinkState::Handshake;
        link.mode = mode;
        link.mtu = mtu;
        link.token = Some(token);
        link.proof_strategy = proof_strategy;
        link.timers.establishment_timeout =
            ESTABLISHMENT_TIMEOUT_PER_HOP * f64::from(request.hops.max(1)) + KEEPALIVE_MAX;
        let packet = proof.to_packet(id);
        link.timers.last_outbound = now;
        link.stats.packets_out = 1;
        Ok((link, packet))
    }

    /// Initiator, while Pending: the path length to the destination and the
    /// expected first-hop delay, from which the establishment timeout is
    /// `first_hop_timeout + 6 s × max(1, hops)`. Non-finite or negative first-hop
    /// values are ignored in favour of the default.
    pub fn set_establishment_hint(&mut self, hops: u8, first_hop_timeout: f64) {
        if !self.initiator || self.state != LinkState::Pending {
            return;
        }
        let first_hop = if first_hop_timeout.is_finite() && first_hop_timeout >= 0.0 {
            first_hop_timeout
        } else {
            DEFAULT_FIRST_HOP_TIMEOUT
        };
        self.timers.establishment_timeout =
            first_hop + ESTABLISHMENT_TIMEOUT_PER_HOP * f64::from(hops.max(1));
    }

    /// When a link still being established gives up.
    pub fn establishment_deadline(&self) -> f64 {
        self.timers.request_time + self.timers.establishment_timeout
    }

    /// Initiator: the responder's LRPROOF. A valid one yields the link key, the
    /// MTU and the RTT; the link becomes Active and reports its RTT (LRRTT).
    pub(super) fn on_link_proof(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        if !self.initiator || self.state != LinkState::Pending {
            return Err(Discard::State);
        }
        let proof = LinkProof::from_packet(packet)?;
        let signalled = proof.signalling;
        if signalled.map_or(LinkMode::DEFAULT, |s| s.mode()) != self.mode {
            return Err(Discard::Malformed);
        }
        proof
            .verify(&self.id, &self.peer_signer)
            .map_err(|_| Discard::Unauthentic)?;
        let shared = self
            .signer
            .ecdh(&proof.responder_key.0)
            .map_err(|_| Discard::Unauthentic)?;
        let mode = token_mode(self.mode).map_err(|_| Discard::State)?;
        let token = derive_link_token(&shared, &self.id, mode).map_err(|_| Discard::State)?;
        self.token = Some(token);
        // Never more than we asked for, whatever the proof claims.
        let confirmed = signalled.map_or(MIN_LINK_MTU, |s| clamp_mtu(s.mtu()));
        self.mtu = self.mtu.min(confirmed);
        let rtt = (now - self.timers.request_time).max(0.0);
        if let Ok(report) = self.seal(Context::LRRTT, &encode_rtt(rtt), rng) {
            self.transmit(now, report, out);
        }
        self.activate(now, rtt, out);
        Ok(())
    }

    /// Responder, in Handshake: the initiator's RTT report completes the link.
    pub(super) fn on_rtt(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        if self.initiator || self.state != LinkState::Handshake {
            return Err(Discard::State);
        }
        let reported = decode_rtt(&self.open(&packet.data)?)?;
        let measured = now - self.timers.request_time;
        // No honest initiator measured a round trip longer than we were willing to
        // wait for the handshake; the cap keeps every timer derived from it finite.
        let reported = reported.min(self.timers.establishment_timeout);
        self.activate(now, measured.max(reported), out);
        self.note_inbound(now);
        Ok(())
    }

    /// Both ends: the handshake is done. Starts the keepalive clock and reports
    /// `Established`.
    pub(super) fn activate(&mut self, now: f64, rtt: f64, out: &mut Vec<LinkAction>) {
        let rtt = if rtt.is_finite() { rtt.max(0.0) } else { 0.0 };
        self.state = LinkState::Active;
        self.timers.activate(now, rtt);
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::Established { link_id, rtt }));
    }
}

/// A signalled MTU brought into the range this implementation honours.
fn clamp_mtu(mtu: u32) -> u32 {
    mtu.clamp(MIN_LINK_MTU, MAX_SIGNALLED_MTU)
}

/// The Token mode of a link mode; only the enabled (AES-256-CBC) mode has one.
fn token_mode(mode: LinkMode) -> Result<TokenMode, LinkError> {
    if mode == LinkMode::AES256_CBC {
        Ok(TokenMode::Aes256Cbc)
    } else {
        Err(LinkError::UnsupportedMode(mode.value()))
    }
}

/// The X25519 half of a public key in identity layout.
fn x25519_half(keys: &PublicIdentity) -> [u8; 32] {
    keys.x25519_public().to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtu_is_kept_between_the_network_mtu_and_what_21_bits_signal() {
        assert_eq!(clamp_mtu(0), 500);
        assert_eq!(clamp_mtu(499), 500);
        assert_eq!(clamp_mtu(16384), 16384);
        assert_eq!(clamp_mtu(u32::MAX), MAX_SIGNALLED_MTU);
    }

    #[test]
    fn only_aes256_cbc_has_a_token_mode() {
        assert_eq!(token_mode(LinkMode::AES256_CBC), Ok(TokenMode::Aes256Cbc));
        assert_eq!(
            token_mode(LinkMode::AES128_CBC),
            Err(LinkError::UnsupportedMode(0))
        );
    }
}
