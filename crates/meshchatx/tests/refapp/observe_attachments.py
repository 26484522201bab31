#!/usr/bin/env python3
"""Record how the reference app takes attachments and replies on send and
serves them for download.

Run with the interpreter of scripts/setup-refapp.sh:
  observe_attachments.py WORKDIR   -> WORKDIR/observed.json

Loopback only, as observe_api.py (one TCPServerInterface on 127.0.0.1, the
LXMF peer in this process connects to it; plain HTTP on 127.0.0.1; the app
is stopped at the end). Sends files, images (a real PNG; type variants),
reply-to variants and bad input, records what the peer received, then
downloads with attachment_type/file_index variants. Not run by CI.
"""
import asyncio, json, os, signal, socket, subprocess, sys, time, threading
import urllib.request, http.cookiejar
import aiohttp

WORK = os.path.abspath(sys.argv[1])
os.makedirs(WORK, exist_ok=True)
STORAGE = os.path.join(WORK, "storage"); APP_RNS = os.path.join(WORK, "app-rns"); PEER_RNS = os.path.join(WORK, "peer-rns")
BIN = os.path.join(os.path.dirname(sys.executable), "meshchatx")
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
HTTP_PORT = free_port(); RNS_PORT = free_port(); BASE = f"http://127.0.0.1:{HTTP_PORT}"
def write_config(path, interface):
    os.makedirs(path, exist_ok=True)
    open(os.path.join(path, "config"), "w").write(
        "[reticulum]\n  enable_transport = No\n  share_instance = No\n  panic_on_interface_error = No\n  discover_interfaces = No\n"
        "[logging]\n  loglevel = 2\n[interfaces]\n" + interface)
write_config(APP_RNS, f"  [[Loopback Server]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = {RNS_PORT}\n    ingress_control = False\n")
write_config(PEER_RNS, f"  [[Loopback Client]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = {RNS_PORT}\n")
jar = http.cookiejar.CookieJar(); opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)); csrf = None
OBS = {}
def api(method, path, body=None, key=None, raw=False):
    data = None if body is None else (body if raw else json.dumps(body).encode())
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if csrf: req.add_header("X-CSRF-Token", csrf)
    try:
        with opener.open(req, timeout=30) as r:
            code, out = r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        code, txt = e.code, e.read()
        try: out = json.loads(txt)
        except Exception: out = txt.decode(errors="replace")[:500]
    if key: OBS[key] = {"req": f"{method} {path}", "body": body if not raw else repr(body), "status": code, "resp": out}
    return out
def wait_for(what, fn, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
            if v: return v
        except Exception: pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")
log = open(os.path.join(WORK, "app.log"), "w")
app = subprocess.Popen([BIN, "--headless", "--no-https", "--host", "127.0.0.1", "--port", str(HTTP_PORT), "--storage-dir", STORAGE, "--reticulum-config-dir", APP_RNS],
    stdout=log, stderr=subprocess.STDOUT, cwd=WORK, env={**os.environ, "MESHCHAT_SKIP_PRE_MIGRATE_BACKUP": "1"})
WS = []
def ws_thread():
    async def run():
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(BASE.replace("http", "ws") + "/ws") as ws:
                async for msg in ws:
                    try: WS.append(json.loads(msg.data))
                    except Exception: WS.append(msg.data)
    asyncio.run(run())
import base64
def raw(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if csrf: req.add_header("X-CSRF-Token", csrf)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
def rec(key, method, path, body=None):
    c, h, b = raw(method, path, body)
    try: out = json.loads(b)
    except Exception: out = {"_bytes": b[:200].decode(errors="replace"), "_len": len(b)}
    OBS[key] = {"req": f"{method} {path}", "status": c, "headers": {k: v for k, v in h.items() if k.lower() in ("content-type", "content-disposition", "content-length")}, "resp": out}
    if isinstance(out, dict) and "lxmf_message" in out and isinstance(out["lxmf_message"], dict):
        f = out["lxmf_message"].get("fields")
        if isinstance(f, str) and len(f) > 300: out["lxmf_message"]["fields"] = f[:300]
    return out
b64 = lambda b: base64.b64encode(b).decode()
try:
    wait_for("ready", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 60)
    csrf = api("GET", "/api/v1/auth/csrf")["csrf_token"]
    cfg = wait_for("config", lambda: api("GET", "/api/v1/config")["config"])
    app_lxmf = cfg["lxmf_address_hash"]
    api("PATCH", "/api/v1/config", {"lxmf_inbound_stamp_cost": 0})
    import LXMF, RNS
    RNS.Reticulum(configdir=PEER_RNS, loglevel=2)
    router = LXMF.LXMRouter(identity=RNS.Identity(), storagepath=os.path.join(WORK, "peer-lxmf"))
    bob_id = RNS.Identity(); bob = router.register_delivery_identity(bob_id, display_name="Obs Bob")
    received = []; router.register_delivery_callback(lambda m: received.append(m))
    bob_hash = bob.hash.hex()
    wait_for("iface", lambda: all(i.online for i in RNS.Transport.interfaces), 30)
    def bob_known():
        router.announce(bob.hash); time.sleep(0.5)
        return api("GET", f"/api/v1/destination/{bob_hash}/path").get("path")
    wait_for("path to bob", bob_known, 30)
    def app_known():
        api("POST", "/api/v1/announce"); time.sleep(0.5)
        return RNS.Identity.recall(bytes.fromhex(app_lxmf))
    app_id = wait_for("app identity", app_known, 30)
    first = rec("send_plain", "POST", "/api/v1/lxmf-messages/send", {"delivery_method": "direct", "lxmf_message": {"destination_hash": bob_hash, "content": "first"}})
    first_hash = first["lxmf_message"]["hash"]
    files = [{"file_name": "a.txt", "file_bytes": b64(b"hello file")}, {"file_name": "b.bin", "file_bytes": b64(bytes(range(256)))}]
    img = {"image_type": "png", "image_bytes": b64(b"\x89PNGfake")}
    import zlib, struct
    def png(w, h):
        raw_ = b"".join(b"\x00" + bytes([200, 30, 30] * w) for _ in range(h))
        def ch(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
        return b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + ch(b"IDAT", zlib.compress(raw_)) + ch(b"IEND", b"")
    P = png(8, 8)
    hs = {}
    for key, lm in [("v_image_png", {"fields": {"image": {"image_type": "png", "image_bytes": b64(P)}}}),
                    ("v_image_webp_type", {"fields": {"image": {"image_type": "webp", "image_bytes": b64(P)}}}),
                    ("v_image_mime", {"fields": {"image": {"image_type": "image/png", "image_bytes": b64(P)}}}),
                    ("v_image_bytes_only", {"fields": {"image": {"image_bytes": b64(P)}}}),
                    ("v_files", {"fields": {"file_attachments": files}}),
                    ("v_all", {"fields": {"file_attachments": files, "image": {"image_type": "png", "image_bytes": b64(P)}}, "reply_to_hash": first_hash}),
                    ("v_reply_bad", {"reply_to_hash": "zz"}),
                    ]:
        body = {"delivery_method": "direct", "lxmf_message": {"destination_hash": bob_hash, "content": key, **lm}}
        r = rec(key, "POST", "/api/v1/lxmf-messages/send", body)
        hs[key] = (r.get("lxmf_message") or {}).get("hash")
    time.sleep(10)
    OBS["bob_received"] = [{"hash": m.hash.hex(), "content": m.content_as_string(), "fields": {str(k): repr(v)[:120] for k, v in m.fields.items()}} for m in received]
    fh = hs["v_all"] or hs["v_files"]
    for at in ["file_attachment", "file_attachments", "file", "image", "files"]:
        for q in ["", "?file_index=0", "?file_index=1", "?index=1", "?file_index=9", "?file_index=x", "?file_index=-1"]:
            rec(f"att_{at}{q}", "GET", f"/api/v1/lxmf-messages/attachment/{fh}/{at}{q}")
    rec("att_img_png_only", "GET", f"/api/v1/lxmf-messages/attachment/{hs['v_image_png']}/image")
    rec("att_files_on_imgmsg", "GET", f"/api/v1/lxmf-messages/attachment/{hs['v_image_png']}/file_attachment?file_index=0")
    rec("conv_out", "GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=20")
    api("PATCH", "/api/v1/config", {"block_attachments_from_strangers": False})
    # inbound file with evil name
    app_dest = RNS.Destination(app_id, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")
    msg = LXMF.LXMessage(app_dest, bob, "file from bob", "", desired_method=LXMF.LXMessage.DIRECT,
        fields={LXMF.FIELD_FILE_ATTACHMENTS: [["evil\"\r\nX-Bad: 1 name.txt", b"bob bytes"]], LXMF.FIELD_IMAGE: ["webp", b"RIFFxx"]})
    router.handle_outbound(msg)
    wait_for("delivered", lambda: msg.state == LXMF.LXMessage.DELIVERED, 60)
    time.sleep(2)
    ih = msg.hash.hex()
    rec("conv", "GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=3")
    rec("att_in_file", "GET", f"/api/v1/lxmf-messages/attachment/{ih}/file_attachment?file_index=0")
    rec("att_in_file2", "GET", f"/api/v1/lxmf-messages/attachment/{ih}/file_attachments?file_index=0")
    rec("att_in_image", "GET", f"/api/v1/lxmf-messages/attachment/{ih}/image")
finally:
    json.dump(OBS, open(os.path.join(WORK, "observed.json"), "w"), indent=1)
    app.send_signal(signal.SIGTERM)
    try: app.wait(timeout=20)
    except subprocess.TimeoutExpired: app.kill(); app.wait()
os._exit(0)
