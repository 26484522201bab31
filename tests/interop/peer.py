#!/usr/bin/env python3
"""A Python reference peer for the MeshChatX-rs interop tests.

Runs the pinned reference stack (rns, lxmf; see requirements.txt) and is driven
over stdin/stdout with JSON lines. Our own test tool: it only uses the public
API of RNS (Reticulum, Identity, Destination, Packet, PacketReceipt, Link,
RequestReceipt, Resource, Transport).

Usage: peer.py --config DIR [--loglevel N] [--require-shared-instance]

Protocol (see docs/interop.md for the full list):
  request  {"id": N, "cmd": "name", ...args}
  reply    {"id": N, "ok": true, ...} | {"id": N, "ok": false, "error": "..."}
  event    {"event": "name", ...}       (asynchronous, from RNS threads)

Raw byte fields (hashes, keys, packet data) are lowercase hex strings.
Structured values that travel through msgpack (request data, responses,
resource metadata) use a tagged JSON form: bytes are {"bin": "<hex>"}, maps
are {"map": [[key, value], ...]}, everything else (nil, bool, int, float, str,
list) is plain JSON.

Stdout carries the protocol only: the real stdout file descriptor is
duplicated for our use and fd 1 is pointed at stderr, so anything RNS prints
(its log goes to stdout by default) lands in stderr.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import traceback

# --- Protocol output -------------------------------------------------------

_proto_fd = os.dup(1)
os.dup2(2, 1)
sys.stdout = sys.stderr
_proto = os.fdopen(_proto_fd, "w", buffering=1, encoding="utf-8")
_out_lock = threading.Lock()


def _write(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with _out_lock:
        _proto.write(line + "\n")
        _proto.flush()


def emit(name, **fields):
    fields["event"] = name
    fields["t"] = time.time()
    _write(fields)


def log(msg):
    sys.stderr.write("[peer] %s\n" % msg)
    sys.stderr.flush()


import RNS  # noqa: E402  (imported after the stdout redirection on purpose)


# --- Value helpers ---------------------------------------------------------

def hx(b):
    return None if b is None else bytes(b).hex()


def unhex(s, what="value"):
    if s is None:
        raise ValueError("missing %s" % what)
    try:
        return bytes.fromhex(s)
    except (TypeError, ValueError):
        raise ValueError("%s is not hex: %r" % (what, s))


def to_tagged(v):
    """Python value (as msgpack would decode it) -> tagged JSON."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"bin": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [to_tagged(x) for x in v]
    if isinstance(v, dict):
        return {"map": [[to_tagged(k), to_tagged(x)] for k, x in v.items()]}
    return {"repr": repr(v)}


def from_tagged(v):
    """Tagged JSON -> Python value (for msgpack on the wire)."""
    if isinstance(v, dict):
        if set(v.keys()) == {"bin"}:
            return bytes.fromhex(v["bin"])
        if set(v.keys()) == {"map"}:
            out = {}
            for pair in v["map"]:
                k, x = pair
                k = from_tagged(k)
                if isinstance(k, list):
                    k = tuple(k)
                out[k] = from_tagged(x)
            return out
        raise ValueError("a JSON object must be {\"bin\": hex} or {\"map\": [[k, v], ...]}: %r" % v)
    if isinstance(v, list):
        return [from_tagged(x) for x in v]
    return v


MASK64 = (1 << 64) - 1


def gen_bytes(seed, size, pattern="random"):
    """Deterministic test data, reproducible in Rust (crates/interop gen_bytes).

    random: xorshift64* with state = seed XOR 0x9E3779B97F4A7C15 (or that
    constant when the XOR gives 0); each step does x ^= x >> 12; x ^= x << 25;
    x ^= x >> 27, and outputs (x * 0x2545F4914F6CDD1D) mod 2^64 as 8
    little-endian bytes; the stream is cut at size.
    counter: byte i is (seed + i) mod 256 (highly compressible).
    """
    if pattern == "counter":
        base = bytes((seed + i) % 256 for i in range(256))
        reps = size // 256 + 1
        return (base * reps)[:size]
    if pattern != "random":
        raise ValueError("unknown pattern %r" % pattern)
    x = (seed ^ 0x9E3779B97F4A7C15) & MASK64
    if x == 0:
        x = 0x9E3779B97F4A7C15
    out = bytearray()
    mul = 0x2545F4914F6CDD1D
    words = (size + 7) // 8
    for _ in range(words):
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        out += ((x * mul) & MASK64).to_bytes(8, "little")
    return bytes(out[:size])


TEARDOWN_REASONS = {
    RNS.Link.TIMEOUT: "timeout",
    RNS.Link.INITIATOR_CLOSED: "initiator_closed",
    RNS.Link.DESTINATION_CLOSED: "destination_closed",
}

RESOURCE_STATUS = {
    RNS.Resource.NONE: "none",
    RNS.Resource.QUEUED: "queued",
    RNS.Resource.ADVERTISED: "advertised",
    RNS.Resource.TRANSFERRING: "transferring",
    RNS.Resource.AWAITING_PROOF: "awaiting_proof",
    RNS.Resource.ASSEMBLING: "assembling",
    RNS.Resource.COMPLETE: "complete",
    RNS.Resource.FAILED: "failed",
    RNS.Resource.CORRUPT: "corrupt",
    RNS.Resource.REJECTED: "rejected",
}

REQUEST_STATUS = {
    RNS.RequestReceipt.FAILED: "failed",
    RNS.RequestReceipt.SENT: "sent",
    RNS.RequestReceipt.DELIVERED: "delivered",
    RNS.RequestReceipt.RECEIVING: "receiving",
    RNS.RequestReceipt.READY: "ready",
}

PROOF_STRATEGIES = {
    "none": RNS.Destination.PROVE_NONE,
    "app": RNS.Destination.PROVE_APP,
    "all": RNS.Destination.PROVE_ALL,
}

# Resources up to this size also carry their bytes (hex) in the event.
RESOURCE_INLINE_MAX = 65536


def resource_bytes(resource):
    data = getattr(resource, "data", None)
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if hasattr(data, "read"):
        try:
            data.seek(0)
        except Exception:
            pass
        return data.read()
    return None


# --- The peer --------------------------------------------------------------

class AnnounceHandler:
    """Registered with aspect_filter None: sees every announce."""

    def __init__(self):
        self.aspect_filter = None
        self.receive_path_responses = True

    def received_announce(self, destination_hash, announced_identity, app_data,
                          announce_packet_hash=None, is_path_response=False):
        try:
            hops = RNS.Transport.hops_to(destination_hash)
        except Exception:
            hops = None
        emit("announce",
             destination_hash=hx(destination_hash),
             identity_hash=hx(announced_identity.hash) if announced_identity else None,
             public_key=hx(announced_identity.get_public_key()) if announced_identity else None,
             app_data=hx(app_data),
             packet_hash=hx(announce_packet_hash),
             is_path_response=bool(is_path_response),
             hops=hops)


class Peer:
    def __init__(self, configdir, loglevel, require_shared):
        self.configdir = configdir
        self.reticulum = RNS.Reticulum(configdir=configdir, loglevel=loglevel,
                                       require_shared_instance=require_shared)
        self.identity = RNS.Identity()
        self.identities = {self.identity.hash: self.identity}
        self.destinations = {}   # hash -> RNS.Destination (IN)
        self.out_destinations = {}  # hash -> RNS.Destination (OUT)
        self.links = {}          # link_id -> RNS.Link
        self.link_opts = {}      # link_id -> dict
        self.receipts = {}       # packet_hash -> PacketReceipt
        self.requests = {}       # request_id -> RequestReceipt
        self.resources = {}      # resource hash -> RNS.Resource (outgoing)
        self.buffers = {}        # (link_id, stream_id) -> buffer state
        self.lock = threading.Lock()
        self.announce_handler = AnnounceHandler()
        RNS.Transport.register_announce_handler(self.announce_handler)

    # -- helpers --

    def get_identity(self, spec):
        """spec: None/"own" (the peer's identity), a known identity hash, or a private key."""
        if spec is None or spec == "own":
            return self.identity
        raw = unhex(spec, "identity")
        if raw in self.identities:
            return self.identities[raw]
        ident = RNS.Identity.from_bytes(raw)
        if ident is None:
            raise ValueError("not a known identity hash nor a valid private key")
        self.identities[ident.hash] = ident
        return ident

    def get_link(self, args):
        link_id = unhex(args.get("link_id"), "link_id")
        link = self.links.get(link_id)
        if link is None:
            raise ValueError("unknown link %s" % link_id.hex())
        return link

    def out_destination(self, args):
        dest_hash = unhex(args.get("destination_hash"), "destination_hash")
        app = args.get("app")
        aspects = args.get("aspects", [])
        if app is None:
            raise ValueError("app and aspects are needed to build an OUT destination")
        identity = RNS.Identity.recall(dest_hash)
        if identity is None:
            raise ValueError("identity for %s is unknown (no announce seen)" % dest_hash.hex())
        dest = RNS.Destination(identity, RNS.Destination.OUT, RNS.Destination.SINGLE, app, *aspects)
        if dest.hash != dest_hash:
            raise ValueError("app/aspects give %s, not %s" % (dest.hash.hex(), dest_hash.hex()))
        self.out_destinations[dest.hash] = dest
        return dest

    def watch_receipt(self, receipt, packet_hash):
        if receipt is None or receipt is False:
            return
        fired = {"done": False}
        fired_lock = threading.Lock()

        def report(r):
            with fired_lock:
                if fired["done"]:
                    return
                fired["done"] = True
            status = r.get_status()
            if status == RNS.PacketReceipt.DELIVERED:
                emit("receipt", packet_hash=hx(packet_hash), status="delivered", rtt=r.get_rtt())
            else:
                name = {RNS.PacketReceipt.FAILED: "failed",
                        RNS.PacketReceipt.CULLED: "culled"}.get(status, str(status))
                emit("receipt", packet_hash=hx(packet_hash), status=name, rtt=None)

        receipt.set_delivery_callback(report)
        receipt.set_timeout_callback(report)
        self.receipts[packet_hash] = receipt
        # The proof may have arrived before the callbacks were set.
        if receipt.get_status() == RNS.PacketReceipt.DELIVERED:
            report(receipt)

    def setup_link(self, link, initiator, opts):
        link_id = link.link_id
        self.links[link_id] = link
        self.link_opts[link_id] = opts

        def on_packet(message, packet):
            emit("link_packet", link_id=hx(link_id), data=hx(message), packet_hash=hx(packet.packet_hash))
            if opts.get("prove_link_packets"):
                packet.prove()

        def on_identified(lnk, identity):
            emit("link_identified", link_id=hx(link_id), identity_hash=hx(identity.hash),
                 public_key=hx(identity.get_public_key()))

        def on_closed(lnk):
            reason = getattr(lnk, "teardown_reason", None)
            emit("link_closed", link_id=hx(link_id), reason=TEARDOWN_REASONS.get(reason, str(reason)))

        def on_resource_started(resource):
            emit("resource_started", link_id=hx(link_id), hash=hx(resource.get_hash()),
                 original_hash=hx(getattr(resource, "original_hash", None)),
                 size=resource.get_data_size(), transfer_size=resource.get_transfer_size(),
                 compressed=bool(resource.is_compressed()))

        def on_resource_concluded(resource):
            status = RESOURCE_STATUS.get(resource.status, str(resource.status))
            fields = dict(link_id=hx(link_id), hash=hx(resource.get_hash()), status=status,
                          original_hash=hx(getattr(resource, "original_hash", None)),
                          compressed=bool(resource.is_compressed()))
            if resource.status == RNS.Resource.COMPLETE:
                data = resource_bytes(resource) or b""
                fields["size"] = len(data)
                fields["data_hash"] = hashlib.sha256(data).hexdigest()
                fields["data"] = data.hex() if len(data) <= RESOURCE_INLINE_MAX else None
                fields["metadata"] = to_tagged(getattr(resource, "metadata", None))
            emit("resource", **fields)

        link.set_packet_callback(on_packet)
        link.set_remote_identified_callback(on_identified)
        link.set_link_closed_callback(on_closed)
        link.set_resource_strategy(RNS.Link.ACCEPT_ALL)
        link.set_resource_started_callback(on_resource_started)
        link.set_resource_concluded_callback(on_resource_concluded)

    # -- commands --

    def cmd_ping(self, a):
        return {}

    def cmd_identity_new(self, a):
        ident = RNS.Identity()
        self.identities[ident.hash] = ident
        return self.identity_info(ident)

    def cmd_identity_load(self, a):
        ident = RNS.Identity.from_bytes(unhex(a.get("private_key"), "private_key"))
        if ident is None:
            raise ValueError("invalid private key")
        self.identities[ident.hash] = ident
        return self.identity_info(ident)

    def cmd_identity_own(self, a):
        return self.identity_info(self.identity)

    def identity_info(self, ident):
        return {"identity_hash": hx(ident.hash), "public_key": hx(ident.get_public_key()),
                "private_key": hx(ident.get_private_key())}

    def cmd_destination_in(self, a):
        ident = self.get_identity(a.get("identity"))
        app = a.get("app")
        if not app:
            raise ValueError("app is required")
        aspects = a.get("aspects", [])
        dest = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, app, *aspects)
        dest_hash = dest.hash

        proof = a.get("proof", "none")
        if proof not in PROOF_STRATEGIES:
            raise ValueError("proof must be one of none|app|all")
        dest.set_proof_strategy(PROOF_STRATEGIES[proof])
        if proof == "app":
            def proof_requested(packet):
                emit("proof_requested", destination_hash=hx(dest_hash), packet_hash=hx(packet.packet_hash))
                return True
            dest.set_proof_requested_callback(proof_requested)

        def on_packet(data, packet):
            emit("packet", destination_hash=hx(dest_hash), data=hx(data), packet_hash=hx(packet.packet_hash))
        dest.set_packet_callback(on_packet)

        dest.accepts_links(bool(a.get("accept_links", True)))
        link_opts = {"prove_link_packets": bool(a.get("prove_link_packets", False))}

        def on_link(link):
            self.setup_link(link, False, link_opts)
            emit("link_established", link_id=hx(link.link_id), destination_hash=hx(dest_hash),
                 initiator=False)
        dest.set_link_established_callback(on_link)

        if a.get("ratchets") or a.get("enforce_ratchets"):
            path = os.path.join(self.configdir, "ratchets-%s" % dest_hash.hex())
            if not dest.enable_ratchets(path):
                raise ValueError("enable_ratchets failed")
            if a.get("enforce_ratchets"):
                dest.enforce_ratchets()

        def make_handler():
            def handler(path, data, request_id, link_id, remote_identity, requested_at):
                rid = hx(remote_identity.hash) if remote_identity is not None else None
                emit("request", link_id=hx(link_id), request_id=hx(request_id), path=path,
                     data=to_tagged(data), remote_identity=rid)
                if path == "/big":
                    return gen_bytes(int(data), int(data))
                return {"path": path, "data": data,
                        "remote_identity": remote_identity.hash if remote_identity is not None else None}
            return handler

        for path in a.get("request_handlers", []):
            dest.register_request_handler(path, response_generator=make_handler(),
                                          allow=RNS.Destination.ALLOW_ALL)

        self.destinations[dest_hash] = dest
        return {"destination_hash": hx(dest_hash), "identity_hash": hx(ident.hash),
                "public_key": hx(ident.get_public_key())}

    def cmd_announce(self, a):
        dest = self.destinations.get(unhex(a.get("destination_hash"), "destination_hash"))
        if dest is None:
            raise ValueError("unknown IN destination")
        app_data = a.get("app_data")
        dest.announce(app_data=unhex(app_data, "app_data") if app_data is not None else None)
        return {}

    def cmd_has_path(self, a):
        h = unhex(a.get("destination_hash"), "destination_hash")
        has = RNS.Transport.has_path(h)
        return {"has_path": bool(has), "hops": RNS.Transport.hops_to(h) if has else None}

    def cmd_request_path(self, a):
        RNS.Transport.request_path(unhex(a.get("destination_hash"), "destination_hash"))
        return {}

    def cmd_wait_path(self, a):
        h = unhex(a.get("destination_hash"), "destination_hash")
        timeout = float(a.get("timeout", 15))
        deadline = time.time() + timeout
        if not RNS.Transport.has_path(h):
            RNS.Transport.request_path(h)
        while not RNS.Transport.has_path(h):
            if time.time() > deadline:
                raise TimeoutError("no path to %s within %ss" % (h.hex(), timeout))
            time.sleep(0.05)
        return {"hops": RNS.Transport.hops_to(h)}

    def cmd_path_table(self, a):
        table = self.reticulum.get_path_table()
        out = []
        for e in table or []:
            out.append({k: (hx(v) if isinstance(v, (bytes, bytearray)) else v) for k, v in e.items()})
        return {"paths": out}

    def cmd_send_packet(self, a):
        dest = self.out_destination(a)
        packet = RNS.Packet(dest, unhex(a.get("data"), "data"))
        receipt = packet.send()
        if receipt is False:
            raise RuntimeError("packet could not be sent")
        self.watch_receipt(receipt, packet.packet_hash)
        return {"packet_hash": hx(packet.packet_hash)}

    def cmd_link_open(self, a):
        dest = self.out_destination(a)
        opts = {"prove_link_packets": bool(a.get("prove_link_packets", False))}
        holder = {}

        def established(link):
            # The link is set up below before callbacks can meaningfully fire;
            # setup_link is idempotent, so doing it here too closes the race.
            if link.link_id not in self.links:
                self.setup_link(link, True, opts)
            emit("link_established", link_id=hx(link.link_id), destination_hash=hx(dest.hash),
                 initiator=True, rtt=getattr(link, "rtt", None))

        def closed(link):
            if link.link_id not in self.links:
                reason = getattr(link, "teardown_reason", None)
                emit("link_closed", link_id=hx(link.link_id),
                     reason=TEARDOWN_REASONS.get(reason, str(reason)))

        link = RNS.Link(dest, established_callback=established, closed_callback=closed)
        holder["link"] = link
        if link.link_id not in self.links:
            self.setup_link(link, True, opts)
        return {"link_id": hx(link.link_id)}

    def cmd_link_identify(self, a):
        link = self.get_link(a)
        ident = self.get_identity(a.get("identity"))
        link.identify(ident)
        return {"identity_hash": hx(ident.hash)}

    def cmd_link_send(self, a):
        link = self.get_link(a)
        packet = RNS.Packet(link, unhex(a.get("data"), "data"))
        receipt = packet.send()
        if receipt is False:
            raise RuntimeError("packet could not be sent")
        self.watch_receipt(receipt, packet.packet_hash)
        return {"packet_hash": hx(packet.packet_hash)}

    def cmd_link_request(self, a):
        link = self.get_link(a)
        link_hex = hx(link.link_id)
        path = a.get("path")
        if not path:
            raise ValueError("path is required")
        data = from_tagged(a.get("data"))
        timeout = a.get("timeout")

        def on_response(receipt):
            emit("response", link_id=link_hex, request_id=hx(receipt.get_request_id()),
                 response=to_tagged(receipt.get_response()),
                 response_time=receipt.get_response_time())

        def on_failed(receipt):
            emit("request_failed", link_id=link_hex, request_id=hx(receipt.get_request_id()),
                 status=REQUEST_STATUS.get(receipt.get_status(), str(receipt.get_status())))

        receipt = link.request(path, data=data, response_callback=on_response,
                               failed_callback=on_failed,
                               timeout=float(timeout) if timeout is not None else None)
        if receipt is False or receipt is None:
            raise RuntimeError("request could not be sent")
        rid = receipt.get_request_id()
        self.requests[rid] = receipt
        return {"request_id": hx(rid)}

    def cmd_request_status(self, a):
        receipt = self.requests.get(unhex(a.get("request_id"), "request_id"))
        if receipt is None:
            raise ValueError("unknown request")
        st = receipt.get_status()
        return {"status": REQUEST_STATUS.get(st, str(st)),
                "response": to_tagged(receipt.get_response()) if st == RNS.RequestReceipt.READY else None}

    def cmd_link_close(self, a):
        self.get_link(a).teardown()
        return {}

    def cmd_link_status(self, a):
        link = self.get_link(a)
        remote = link.get_remote_identity()
        return {"status": link.status, "active": link.status == RNS.Link.ACTIVE,
                "rtt": getattr(link, "rtt", None), "mtu": link.get_mtu(), "mdu": link.get_mdu(),
                "remote_identity": hx(remote.hash) if remote is not None else None}

    def cmd_resource_send(self, a):
        link = self.get_link(a)
        link_hex = hx(link.link_id)
        if a.get("data") is not None:
            data = unhex(a.get("data"), "data")
        elif a.get("size") is not None:
            data = gen_bytes(int(a.get("seed", 0)), int(a["size"]), a.get("pattern", "random"))
        else:
            raise ValueError("resource_send needs data (hex) or size (+seed, pattern)")
        metadata = from_tagged(a["metadata"]) if a.get("metadata") is not None else None

        def concluded(resource):
            emit("resource_sent", link_id=link_hex, hash=hx(resource.get_hash()),
                 original_hash=hx(getattr(resource, "original_hash", None)),
                 status=RESOURCE_STATUS.get(resource.status, str(resource.status)))

        resource = RNS.Resource(data, link, metadata=metadata,
                                auto_compress=bool(a.get("compress", True)), callback=concluded)
        self.resources[resource.get_hash()] = resource
        return {"hash": hx(resource.get_hash()), "size": len(data),
                "data_hash": hashlib.sha256(data).hexdigest(),
                "compressed": bool(resource.is_compressed())}

    # -- LXMF (one router per peer) --

    LXMF_METHODS = {"opportunistic": 1, "direct": 2, "propagated": 3}

    def lxm_info(self, lxm):
        content = lxm.content if isinstance(lxm.content, (bytes, bytearray)) else str(lxm.content).encode()
        title = lxm.title if isinstance(lxm.title, (bytes, bytearray)) else str(lxm.title).encode()
        return dict(message_hash=hx(lxm.hash), source_hash=hx(lxm.source_hash),
                    destination_hash=hx(lxm.destination_hash),
                    title=title.decode("utf-8", "replace"), title_hex=hx(title),
                    content=content.decode("utf-8", "replace"), content_hex=hx(content),
                    fields=to_tagged(lxm.fields or {}), method=getattr(lxm, "method", None),
                    timestamp=getattr(lxm, "timestamp", None),
                    signature_validated=bool(getattr(lxm, "signature_validated", False)),
                    stamp_valid=bool(getattr(lxm, "stamp_valid", False)),
                    stamp_value=getattr(lxm, "stamp_value", None))

    def cmd_lxmf_start(self, a):
        import LXMF
        if getattr(self, "lxmf_router", None) is not None:
            raise ValueError("LXMF router already started")
        ident = self.get_identity(a.get("identity"))
        storage = os.path.join(self.configdir, "lxmf")
        os.makedirs(storage, exist_ok=True)
        options = {}
        for key in ("delivery_limit", "enforce_stamps"):
            if a.get(key) is not None:
                options[key] = a[key]
        router = LXMF.LXMRouter(identity=ident, storagepath=storage, **options)
        stamp_cost = a.get("stamp_cost")
        dest = router.register_delivery_identity(ident, display_name=a.get("display_name"),
                                                 stamp_cost=stamp_cost)

        def delivered(lxm):
            emit("lxmf_message", **self.lxm_info(lxm))
        router.register_delivery_callback(delivered)
        self.lxmf_router = router
        self.lxmf_dest = dest
        self.lxmf_identity = ident
        return {"delivery_hash": hx(dest.hash), "identity_hash": hx(ident.hash)}

    def cmd_lxmf_announce(self, a):
        self.lxmf_router.announce(self.lxmf_dest.hash)
        return {"delivery_hash": hx(self.lxmf_dest.hash)}

    def cmd_lxmf_send(self, a):
        import LXMF
        router = getattr(self, "lxmf_router", None)
        if router is None:
            raise ValueError("lxmf_start first")
        dest_hash = unhex(a.get("destination_hash"), "destination_hash")
        identity = RNS.Identity.recall(dest_hash)
        if identity is None:
            raise ValueError("identity for %s is unknown (no announce seen)" % dest_hash.hex())
        dest = RNS.Destination(identity, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")
        method = a.get("method", "direct")
        if method not in self.LXMF_METHODS:
            raise ValueError("method must be one of %s" % ", ".join(self.LXMF_METHODS))
        fields = from_tagged(a["fields"]) if a.get("fields") is not None else None
        if a.get("content_hex") is not None:
            content = unhex(a["content_hex"], "content_hex")
        else:
            content = a.get("content", "")
        lxm = LXMF.LXMessage(dest, self.lxmf_dest, content, a.get("title", ""), fields=fields,
                             desired_method=self.LXMF_METHODS[method],
                             include_ticket=bool(a.get("include_ticket", False)))

        def on_delivered(m):
            emit("lxmf_delivered", message_hash=hx(m.hash), state=m.state,
                 method=getattr(m, "method", None))

        def on_failed(m):
            emit("lxmf_failed", message_hash=hx(m.hash), state=m.state)

        lxm.register_delivery_callback(on_delivered)
        lxm.register_failed_callback(on_failed)
        router.handle_outbound(lxm)
        return {"message_hash": hx(lxm.hash), "method": getattr(lxm, "method", None)}

    def cmd_lxmf_stamp_cost(self, a):
        """The stamp cost LXMF has recorded for a recipient (from its announce)."""
        dest_hash = unhex(a.get("destination_hash"), "destination_hash")
        return {"stamp_cost": self.lxmf_router.get_outbound_stamp_cost(dest_hash)}

    def cmd_lxmf_set_propagation_node(self, a):
        dest_hash = unhex(a.get("destination_hash"), "destination_hash")
        self.lxmf_router.set_outbound_propagation_node(dest_hash)
        return {}

    def cmd_lxmf_sync(self, a):
        """Asks the outbound propagation node for our messages (returns at once;
        poll lxmf_sync_status)."""
        self.lxmf_router.request_messages_from_propagation_node(self.lxmf_identity)
        return {}

    def cmd_lxmf_sync_status(self, a):
        r = self.lxmf_router
        return {"state": getattr(r, "propagation_transfer_state", None),
                "progress": getattr(r, "propagation_transfer_progress", None),
                "last_result": getattr(r, "propagation_transfer_last_result", None)}

    def cmd_lxmf_paper(self, a):
        """A paper message to destination_hash as an lxm:// URI."""
        import LXMF
        dest_hash = unhex(a.get("destination_hash"), "destination_hash")
        identity = RNS.Identity.recall(dest_hash)
        if identity is None:
            raise ValueError("identity for %s is unknown (no announce seen)" % dest_hash.hex())
        dest = RNS.Destination(identity, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")
        lxm = LXMF.LXMessage(dest, self.lxmf_dest, a.get("content", ""), a.get("title", ""),
                             desired_method=LXMF.LXMessage.PAPER)
        lxm.pack()
        return {"message_hash": hx(lxm.hash), "uri": lxm.as_uri()}

    def cmd_lxmf_ingest(self, a):
        r = self.lxmf_router.ingest_lxm_uri(a["uri"])
        return {"result": bool(r)}

    def cmd_status(self, a):
        interfaces = []
        for iface in list(RNS.Transport.interfaces):
            interfaces.append({"name": str(iface), "online": bool(getattr(iface, "online", False))})
        return {"transport_enabled": bool(RNS.Reticulum.transport_enabled()),
                "connected_to_shared_instance": bool(getattr(self.reticulum, "is_connected_to_shared_instance", False)),
                "identity_hash": hx(self.identity.hash),
                "interfaces": interfaces}

    def cmd_gen_bytes(self, a):
        data = gen_bytes(int(a.get("seed", 0)), int(a["size"]), a.get("pattern", "random"))
        return {"data": data.hex(), "sha256": hashlib.sha256(data).hexdigest()}

    # -- Buffers (streams over a link's Channel) --

    def get_buffer(self, a):
        link = self.get_link(a)
        key = (link.link_id, int(a.get("stream_id", 0)))
        buf = self.buffers.get(key)
        if buf is None:
            raise ValueError("no buffer open for stream %d on link %s" % (key[1], key[0].hex()))
        return buf

    def cmd_buffer_open(self, a):
        """Opens a buffer on the link's channel: receives at stream_id, sends to
        send_stream_id (default: the same id). bidirectional (default true)
        uses RNS.Buffer.create_bidirectional_buffer; false uses create_reader
        and create_writer, so that the write side can be closed (EOF) alone."""
        link = self.get_link(a)
        rx_id = int(a.get("stream_id", 0))
        tx_id = int(a.get("send_stream_id", rx_id))
        key = (link.link_id, rx_id)
        if key in self.buffers:
            raise ValueError("a buffer is already open for stream %d" % rx_id)
        link_hex = hx(link.link_id)
        state = {"received": bytearray(), "eof": False, "lock": threading.Lock(),
                 "reader": None, "writer": None, "writing": None, "written": 0}

        def drain(reader):
            # Non-blocking reads: data, then None once nothing more is ready,
            # or b"" at EOF. EOF can come in the same message as the last data,
            # so it is only seen by reading past that data.
            data = bytearray()
            eof = False
            for _ in range(1024):
                try:
                    more = reader.read(65536)
                except BlockingIOError:
                    break
                if more is None:
                    break
                if len(more) == 0:
                    eof = True
                    break
                data += more
            return bytes(data), eof

        def ready(ready_bytes):
            # Called from RNS's thread whenever data (or EOF) arrived.
            with state["lock"]:
                reader = state["reader"]
                if reader is None or state["eof"]:
                    return
                chunk, eof = drain(reader)
                state["received"] += chunk
                total = len(state["received"])
                if eof:
                    state["eof"] = True
            emit("buffer_data", link_id=link_hex, stream_id=rx_id, size=len(chunk), total=total,
                 eof=bool(eof), ready_bytes=ready_bytes,
                 data=chunk.hex() if len(chunk) <= 4096 else None)

        channel = link.get_channel()
        if a.get("bidirectional", True):
            pair = RNS.Buffer.create_bidirectional_buffer(rx_id, tx_id, channel, ready)
            state["reader"] = pair
            state["writer"] = pair
        else:
            state["writer"] = RNS.Buffer.create_writer(tx_id, channel)
            state["reader"] = RNS.Buffer.create_reader(rx_id, channel, ready)
        self.buffers[key] = state
        return {"stream_id": rx_id, "send_stream_id": tx_id}

    def cmd_buffer_write(self, a):
        """Writes data (hex, or size + seed + pattern) in a background thread,
        then closes the writer (EOF) if eof; emits buffer_written when done."""
        buf = self.get_buffer(a)
        link_hex = hx(self.get_link(a).link_id)
        stream_id = int(a.get("stream_id", 0))
        if a.get("data") is not None:
            data = unhex(a.get("data"), "data")
        else:
            data = gen_bytes(int(a.get("seed", 0)), int(a.get("size", 0)), a.get("pattern", "random"))
        eof = bool(a.get("eof", False))
        chunk_size = int(a.get("chunk", 4096))
        if buf["writing"] is not None and buf["writing"].is_alive():
            raise ValueError("a write is still in progress on this buffer")

        def run():
            writer = buf["writer"]
            offset = 0
            blocked = 0
            try:
                while offset < len(data):
                    piece = data[offset:offset + chunk_size]
                    try:
                        writer.write(piece)
                        writer.flush()
                        offset += len(piece)
                    except BlockingIOError as e:
                        # Partly taken; the channel's window is full for now.
                        offset += getattr(e, "characters_written", 0) or 0
                        blocked += 1
                        time.sleep(0.01)
                if eof:
                    writer.close()
                buf["written"] += len(data)
                emit("buffer_written", link_id=link_hex, stream_id=stream_id, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), eof=eof, blocked=blocked)
            except Exception as e:
                log("buffer write failed: %s" % traceback.format_exc())
                emit("buffer_written", link_id=link_hex, stream_id=stream_id, size=offset,
                     error="%s: %s" % (type(e).__name__, e), eof=False, blocked=blocked)

        t = threading.Thread(target=run, daemon=True)
        buf["writing"] = t
        t.start()
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def cmd_buffer_received(self, a):
        buf = self.get_buffer(a)
        with buf["lock"]:
            data = bytes(buf["received"])
            eof = buf["eof"]
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "eof": eof,
                "data": data.hex() if len(data) <= RESOURCE_INLINE_MAX else None}

    def cmd_buffer_close(self, a):
        buf = self.get_buffer(a)
        buf["writer"].close()
        return {}


def main():
    ap = argparse.ArgumentParser(description="Python reference peer for interop tests")
    ap.add_argument("--config", required=True, help="Reticulum config directory")
    ap.add_argument("--loglevel", type=int, default=2)
    ap.add_argument("--require-shared-instance", action="store_true")
    args = ap.parse_args()

    try:
        peer = Peer(args.config, args.loglevel, args.require_shared_instance)
    except BaseException as e:
        log("startup failed: %s" % traceback.format_exc())
        emit("startup_failed", error="%s: %s" % (type(e).__name__, e))
        os._exit(3)

    emit("ready", identity_hash=hx(peer.identity.hash),
         transport_enabled=bool(RNS.Reticulum.transport_enabled()),
         connected_to_shared_instance=bool(getattr(peer.reticulum, "is_connected_to_shared_instance", False)),
         rns_version=getattr(RNS, "__version__", None), pid=os.getpid())

    # Commands come in on a private reader of fd 0; sys.stdin becomes
    # /dev/null. LXMF forks multiprocessing workers to search stamps, and a
    # forked child closes sys.stdin first thing: if that is the object this
    # loop blocks in, the child inherits its lock held and hangs forever.
    commands = os.fdopen(os.dup(0), "rb")
    sys.stdin = open(os.devnull, "r")
    for raw in commands:
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        req_id = None
        try:
            req = json.loads(line)
            req_id = req.get("id")
            cmd = req.get("cmd")
            if cmd == "quit":
                _write({"id": req_id, "ok": True})
                break
            fn = getattr(peer, "cmd_%s" % cmd, None) if isinstance(cmd, str) else None
            if fn is None:
                raise ValueError("unknown command %r" % cmd)
            result = fn(req) or {}
            result["id"] = req_id
            result["ok"] = True
            _write(result)
        except Exception as e:
            log("command failed: %s" % traceback.format_exc())
            _write({"id": req_id, "ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    # Skip RNS's exit handlers (persisting tables): test dirs are thrown away.
    _proto.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
