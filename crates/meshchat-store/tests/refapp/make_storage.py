#!/usr/bin/env python3
"""Create a MeshChatX 4.10.7 storage directory with the real reference app.

Run with the interpreter of scripts/setup-refapp.sh (it holds the app, RNS and
LXMF). Usage:
  make_storage.py WORKDIR          create WORKDIR/storage, write WORKDIR/expected.json
  make_storage.py --check WORKDIR  start the app on the existing WORKDIR/storage, read
                                   what its API lists, write WORKDIR/observed.json

Everything stays on loopback: the app's Reticulum config has a single
TCPServerInterface on 127.0.0.1 (no AutoInterface, no shared instance, no
transport), and the LXMF peer in this process connects to it with a
TCPClientInterface on 127.0.0.1. The app is driven over its HTTP API
(plain HTTP on 127.0.0.1) and stopped at the end.

Writes WORKDIR/storage (the app's storage directory) and WORKDIR/expected.json
(what was created, for the Rust test to look for). Exits non-zero on failure.
"""

import base64
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

CHECK = sys.argv[1] == "--check"
WORK = os.path.abspath(sys.argv[-1])
STORAGE = os.path.join(WORK, "storage")
APP_RNS = os.path.join(WORK, "app-rns")
PEER_RNS = os.path.join(WORK, "peer-rns")
BIN = os.path.join(os.path.dirname(sys.executable), "meshchatx")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


HTTP_PORT = free_port()
RNS_PORT = free_port()
BASE = f"http://127.0.0.1:{HTTP_PORT}"


def write_config(path, interface):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config"), "w") as f:
        f.write(
            "[reticulum]\n  enable_transport = No\n  share_instance = No\n"
            "  panic_on_interface_error = No\n  discover_interfaces = No\n"
            "[logging]\n  loglevel = 2\n[interfaces]\n" + interface
        )


write_config(
    APP_RNS,
    f"  [[Loopback Server]]\n    type = TCPServerInterface\n    enabled = yes\n"
    f"    listen_ip = 127.0.0.1\n    listen_port = {RNS_PORT}\n"
    # RNS holds announces arriving on a freshly spawned interface for up to
    # 30 s (ingress control); our peer's is always fresh.
    f"    ingress_control = False\n",
)
write_config(
    PEER_RNS,
    f"  [[Loopback Client]]\n    type = TCPClientInterface\n    enabled = yes\n"
    f"    target_host = 127.0.0.1\n    target_port = {RNS_PORT}\n",
)

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
csrf = None


def api(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with opener.open(req, timeout=30) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:400]!r}") from None


def wait_for(what, fn, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # noqa: BLE001 (not up yet)
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


t0 = time.time()


def stage(name):
    print(f"make_storage: {time.time() - t0:6.2f} s {name}", file=sys.stderr, flush=True)


log = open(os.path.join(WORK, "app-check.log" if CHECK else "app.log"), "w")
app = subprocess.Popen(
    [BIN, "--headless", "--no-https", "--host", "127.0.0.1", "--port", str(HTTP_PORT),
     "--storage-dir", STORAGE, "--reticulum-config-dir", APP_RNS],
    stdout=log, stderr=subprocess.STDOUT, cwd=WORK,
    env={**os.environ, "MESHCHAT_SKIP_PRE_MIGRATE_BACKUP": "1"},
)
try:
    wait_for("app ready", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 60)
    csrf = api("GET", "/api/v1/auth/csrf")["csrf_token"]
    cfg = wait_for("config", lambda: api("GET", "/api/v1/config")["config"])
    stage("app ready")
    if CHECK:
        observed = {"config": cfg, "conversations": api("GET", "/api/v1/lxmf/conversations")}
        observed["messages"] = {
            c["destination_hash"]: api(
                "GET", f"/api/v1/lxmf-messages/conversation/{c['destination_hash']}?limit=100")
            for c in observed["conversations"]["conversations"]
        }
        for name, path in [("announces", "/api/v1/announces?limit=100"),
                           ("favourites", "/api/v1/favourites"),
                           ("blocked", "/api/v1/blocked-destinations"),
                           ("pins", "/api/v1/lxmf/conversation-pins"),
                           ("folders", "/api/v1/lxmf/folders")]:
            observed[name] = api("GET", path)
        with open(os.path.join(WORK, "observed.json"), "w") as f:
            json.dump(observed, f, indent=1)
        raise SystemExit(0)
    app_identity = cfg["identity_hash"]
    app_lxmf = cfg["lxmf_address_hash"]
    # By default the app strips attachments from peers that are not contacts,
    # and asks senders for a stamp of cost 8 (seconds of proof of work here).
    api("PATCH", "/api/v1/config", {"block_attachments_from_strangers": False,
                                    "lxmf_inbound_stamp_cost": 0})

    # The LXMF peer ("Ref Bob") in this process, on its own RNS instance.
    import LXMF
    import RNS

    RNS.Reticulum(configdir=PEER_RNS, loglevel=2)
    router = LXMF.LXMRouter(identity=RNS.Identity(), storagepath=os.path.join(WORK, "peer-lxmf"))
    bob_id = RNS.Identity()
    bob = router.register_delivery_identity(bob_id, display_name="Ref Bob")
    received = []
    router.register_delivery_callback(lambda m: received.append(m))
    bob_hash = bob.hash.hex()
    wait_for("Bob's interface online", lambda: all(i.online for i in RNS.Transport.interfaces), 30)

    # Bob announces until the app has a path to him. (The app writes announces
    # to its database in batches, every ~30 s and at shutdown; waiting for the
    # row would cost those 30 s, so the test reads it after the stop.)
    def bob_known():
        router.announce(bob.hash)
        time.sleep(0.5)
        p = api("GET", f"/api/v1/destination/{bob_hash}/path")
        return p.get("path")

    wait_for("app learns a path to Bob", bob_known, 30)
    stage("Bob's announce heard")

    # The app announces until Bob can recall its identity.
    def app_known():
        api("POST", "/api/v1/announce")
        time.sleep(0.5)
        return RNS.Identity.recall(bytes.fromhex(app_lxmf))

    app_rns_identity = wait_for("Bob learns the app's identity", app_known, 30)
    stage("app's announce heard")

    # Bob -> app, with a file attachment and an image (lossless storage check).
    attachment = b"attachment bytes \x00\x01\x02\xff from Bob"
    image = b"\x89PNG\r\n\x1a\nnot really a png"
    app_dest = RNS.Destination(app_rns_identity, RNS.Destination.OUT, RNS.Destination.SINGLE,
                               "lxmf", "delivery")
    msg = LXMF.LXMessage(app_dest, bob, "hello from Bob", "greeting",
                         fields={LXMF.FIELD_FILE_ATTACHMENTS: [["notes.bin", attachment]],
                                 LXMF.FIELD_IMAGE: ["png", image]},
                         desired_method=LXMF.LXMessage.OPPORTUNISTIC)
    router.handle_outbound(msg)
    router.process_outbound()  # now, not at the router's next 4 s tick
    wait_for("Bob's message delivered", lambda: msg.state == LXMF.LXMessage.DELIVERED, 60)
    inbound_hash = msg.hash.hex()
    stage("Bob's message proved")

    def app_has(h):
        conv = api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=50")
        return any(m.get("hash") == h for m in conv.get("lxmf_messages", []))

    wait_for("app stores Bob's message", lambda: app_has(inbound_hash), 30)
    stage("inbound message stored")

    # App -> Bob, delivered.
    sent = api("POST", "/api/v1/lxmf-messages/send", {
        "delivery_method": "direct",
        "lxmf_message": {"destination_hash": bob_hash, "content": "hi Bob, from Alice", "title": ""},
    })
    outbound_hash = sent["lxmf_message"]["hash"]
    wait_for("Bob receives the app's message", lambda: any(m.hash.hex() == outbound_hash for m in received), 60)

    def delivered():
        conv = api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=50")
        return any(m.get("hash") == outbound_hash and m.get("state") == "delivered"
                   for m in conv.get("lxmf_messages", []))

    wait_for("app marks its message delivered", delivered, 30)
    stage("outbound message delivered")

    # Everything else through the API.
    fav = "22222222222222222222222222222222"
    custom = "33333333333333333333333333333333"
    blocked = "44444444444444444444444444444444"
    api("POST", "/api/v1/favourites/add",
        {"destination_hash": fav, "display_name": "Fav Two", "aspect": "lxmf.delivery"})
    api("POST", "/api/v1/favourites/add",
        {"destination_hash": bob_hash, "display_name": "Bob (fav)", "aspect": "lxmf.delivery"})
    api("POST", f"/api/v1/destination/{custom}/custom-display-name/update", {"display_name": "Custom Three"})
    api("POST", f"/api/v1/destination/{bob_hash}/custom-display-name/update", {"display_name": "Bobby"})
    api("POST", "/api/v1/blocked-destinations", {"destination_hash": blocked})
    propagation = "55555555555555555555555555555555"
    api("PATCH", "/api/v1/config", {"display_name": "Ref Alice", "theme": "dark",
                                    "lxmf_preferred_propagation_node_destination_hash": propagation})
    api("POST", "/api/v1/lxmf/conversation-pins/toggle", {"destination_hash": bob_hash})
    api("POST", "/api/v1/lxmf/folders", {"name": "Work"})
    folders = api("GET", "/api/v1/lxmf/folders")
    folder_list = folders if isinstance(folders, list) else folders.get("folders", [])
    work_id = next(f["id"] for f in folder_list if f["name"] == "Work")
    api("POST", "/api/v1/lxmf/conversations/move-to-folder",
        {"peer_hashes": [bob_hash], "folder_id": work_id})
    api("POST", f"/api/v1/lxmf/conversations/{bob_hash}/mark-as-read", {})
    second = api("POST", "/api/v1/identities/create", {"display_name": "Second Identity"})
    conversations = api("GET", "/api/v1/lxmf/conversations")
    identities = api("GET", "/api/v1/identities")

    expected = {
        "identity_hash": app_identity,
        "lxmf_address_hash": app_lxmf,
        "bob_lxmf_address_hash": bob_hash,
        "bob_identity_hash": bob_id.hash.hex(),
        "inbound_hash": inbound_hash,
        "outbound_hash": outbound_hash,
        "attachment_b64": base64.b64encode(attachment).decode(),
        "image_b64": base64.b64encode(image).decode(),
        "favourite": fav,
        "custom_display_name": custom,
        "blocked": blocked,
        "folder_id": work_id,
        "propagation_node": propagation,
        "second_identity": second,
        "api_conversations": conversations,
        "api_identities": identities,
    }
    with open(os.path.join(WORK, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    stage("data created")
finally:
    stage("stopping app")
    app.send_signal(signal.SIGTERM)  # SIGINT leaves a crash report behind
    try:
        app.wait(timeout=20)
    except subprocess.TimeoutExpired:
        app.kill()
        app.wait()
stage("done")
os._exit(0)
