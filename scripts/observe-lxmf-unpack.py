#!/usr/bin/env python3
"""Records how the reference (lxmf 1.2.1 on rns 1.5.7) unpacks unusual payloads.

Black-box: builds packed messages by hand, feeds them to the reference's
LXMessage.unpack_from_bytes and writes what it reports (message hash, whether
the signature validated, the stamp, or the exception). Run with the reference's
interpreter:  .venv/bin/python scripts/observe-lxmf-unpack.py > tests/data/vectors/lxmf_observed.json
"""
import hashlib, json, os, struct, tempfile
import RNS
from RNS.vendor import umsgpack
from LXMF.LXMessage import LXMessage

cfg = tempfile.mkdtemp(prefix="lxobs-")
with open(os.path.join(cfg, "config"), "w") as f:
    f.write("[reticulum]\n  enable_transport = No\n  share_instance = No\n"
            "  panic_on_interface_error = No\n\n[logging]\n  loglevel = 1\n\n[interfaces]\n")
RNS.Reticulum(configdir=cfg, loglevel=RNS.LOG_CRITICAL)

vec = json.load(open(os.path.join(os.path.dirname(__file__), "..", "tests", "data", "vectors", "lxmf.json")))
inp = vec["messages"][0]["inputs"]
src_id = RNS.Identity.from_bytes(bytes.fromhex(inp["source_identity_private_key"]))
src = RNS.Destination(src_id, RNS.Destination.IN, RNS.Destination.SINGLE, "lxmf", "delivery")
dst = bytes.fromhex(vec["messages"][0]["destination_hash"])

f64 = b"\xcb" + struct.pack(">d", 1700000000.0)
f32 = b"\xca" + struct.pack(">f", 1700000000.0)
body = b"\xc4\x01A\xc4\x01B"
stamp32 = b"\xc4\x20" + bytes(range(32))
cases = {
    "f32-timestamp": b"\x94" + f32 + body + b"\x80",
    "f32-timestamp-stamped": b"\x95" + f32 + body + b"\x80" + stamp32,
    "f32-timestamp-nil-stamp": b"\x95" + f32 + body + b"\x80\xc0",
    "wide-int-field": b"\x94" + f64 + body + b"\x81\x01\xcd\x00\x05",
    "wide-int-field-stamped": b"\x95" + f64 + body + b"\x81\x01\xcd\x00\x05" + stamp32,
    "trailing-byte": b"\x94" + f64 + body + b"\x80\x00",
    "six-elements": b"\x96" + f64 + body + b"\x80" + stamp32 + b"\x01",
    "array16-header": b"\xdc\x00\x04" + f64 + body + b"\x80",
    "str-title-content": b"\x94" + f64 + b"\xa1A\xa1B\x80",
    "int-timestamp": b"\x94\xce" + (1700000000).to_bytes(4, "big") + body + b"\x80",
    "nil-fields": b"\x94" + f64 + body + b"\xc0",
    "str-field-key": b"\x94" + f64 + body + b"\x81\xa1k\x01",
    "int-stamp": b"\x95" + f64 + body + b"\x80\x05",
    "nil-timestamp": b"\x94\xc0" + body + b"\x80",
    "int-title": b"\x94" + f64 + b"\x05\xc4\x01B\x80",
    "three-elements": b"\x93" + f64 + body,
    "duplicate-field-key": b"\x94" + f64 + body + b"\x82\x01\x01\x01\x02",
    "fields-list": b"\x94" + f64 + body + b"\x90",
    "not-an-array": b"\x80",
    "empty-payload": b"",
    "bad-utf8-title": b"\x94" + f64 + b"\xa1\xff\xc4\x01B\x80",
}

out = []
for label, payload in cases.items():
    entry = {"label": label, "payload": payload.hex()}
    try:
        probe = LXMessage.unpack_from_bytes(dst + src.hash + bytes(64) + payload)
        # Sign over whichever bytes the reference hashed, then unpack again.
        decoded = umsgpack.unpackb(payload)
        raw = payload
        reencoded = umsgpack.packb(decoded[:4])
        hashed = raw if probe.hash == hashlib.sha256(dst + src.hash + raw).digest() else reencoded
        assert probe.hash == hashlib.sha256(dst + src.hash + hashed).digest()
        sig = src_id.sign(dst + src.hash + hashed + probe.hash)
        packed = dst + src.hash + sig + payload
        u = LXMessage.unpack_from_bytes(packed)
        entry.update({"packed": packed.hex(), "message_hash": u.hash.hex(),
                      "hashed_reencoded": hashed is not raw,
                      "signature_validated": bool(u.signature_validated),
                      "stamp": u.stamp.hex() if isinstance(u.stamp, bytes) else repr(u.stamp)})
    except Exception as e:
        entry.update({"packed": (dst + src.hash + bytes(64) + payload).hex(),
                      "exception": type(e).__name__})
    out.append(entry)

print(json.dumps({"generator": "scripts/observe-lxmf-unpack.py", "rns_version": "1.5.7",
                  "lxmf_version": "1.2.1", "source_public_key": src_id.get_public_key().hex(),
                  "cases": out}, indent=1))
