#!/usr/bin/env python3
"""Record the reference app's identity routes and their /ws pushes.

Run with the interpreter of scripts/setup-refapp.sh:
    observe_identities.py WORKDIR   -> WORKDIR/observed.json

Loopback only: the app's Reticulum config has one TCPServerInterface on
127.0.0.1 (no AutoInterface, no shared instance, no transport); plain HTTP on
127.0.0.1; stopped at the end. Tries each route's happy path and bad input,
restores by base32 and by a multipart file, and records the storage tree and
metadata.json files. Not run by CI (docs/architecture.md, "Identities").
"""
import asyncio, json, os, socket, subprocess, sys, time, threading, base64
import urllib.request, http.cookiejar
import aiohttp
WORK = os.path.abspath(sys.argv[1]); os.makedirs(WORK, exist_ok=True)
STORAGE = os.path.join(WORK, "storage"); APP_RNS = os.path.join(WORK, "app-rns")
BIN = os.path.join(os.path.dirname(sys.executable), "meshchatx")
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
HTTP_PORT = free_port(); RNS_PORT = free_port(); BASE = f"http://127.0.0.1:{HTTP_PORT}"
os.makedirs(APP_RNS, exist_ok=True)
open(os.path.join(APP_RNS, "config"), "w").write(
    "[reticulum]\n  enable_transport = No\n  share_instance = No\n  panic_on_interface_error = No\n  discover_interfaces = No\n"
    "[logging]\n  loglevel = 2\n[interfaces]\n"
    f"  [[Loopback Server]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = {RNS_PORT}\n")
jar = http.cookiejar.CookieJar(); opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)); csrf = None
OBS = {}
def api(method, path, body=None, key=None, raw=False, ctype="application/json"):
    data = None if body is None else (body if raw else json.dumps(body).encode())
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", ctype)
    if csrf: req.add_header("X-CSRF-Token", csrf)
    hdrs = {}
    try:
        with opener.open(req, timeout=60) as r:
            code, txt, hdrs = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        code, txt, hdrs = e.code, e.read(), dict(e.headers)
    try: out = json.loads(txt or b"null")
    except Exception: out = {"_raw_len": len(txt), "_raw_head": txt[:80].hex(), "_raw_text": txt[:200].decode(errors="replace")}
    if key: OBS[key] = {"req": f"{method} {path}", "body": body if not raw else repr(body)[:200], "status": code, "resp": out,
                        "headers": {k: v for k, v in hdrs.items() if k.lower() in ("content-type", "content-disposition")}}
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
def multipart(fields):
    b = "----obsboundary"; parts = []
    for name, (fname, data) in fields.items():
        parts.append(f"--{b}\r\nContent-Disposition: form-data; name=\"{name}\"" + (f"; filename=\"{fname}\"" if fname else "") + "\r\nContent-Type: application/octet-stream\r\n\r\n")
        parts.append(data); parts.append("\r\n")
    out = b"".join(p.encode() if isinstance(p, str) else p for p in parts) + f"--{b}--\r\n".encode()
    return out, f"multipart/form-data; boundary={b}"
try:
    wait_for("ready", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 90)
    csrf = api("GET", "/api/v1/auth/csrf")["csrf_token"]
    cfg = wait_for("config", lambda: api("GET", "/api/v1/config")["config"])
    threading.Thread(target=ws_thread, daemon=True).start()
    time.sleep(1)
    first = cfg["identity_hash"]
    api("GET", "/api/v1/identities", key="list_initial")
    api("POST", "/api/v1/identities/create", {"display_name": "Second"}, key="create")
    api("POST", "/api/v1/identities/create", {}, key="create_empty")
    api("POST", "/api/v1/identities/create", {"display_name": 5}, key="create_bad_type")
    api("POST", "/api/v1/identities/create", b"{nope", key="create_bad_json", raw=True)
    lst = api("GET", "/api/v1/identities", key="list_after_create")
    api("GET", f"/api/v1/identity/{first}/lxmf-address", key="lxmf_address")
    api("GET", "/api/v1/identity/zz/lxmf-address", key="lxmf_address_bad")
    api("GET", f"/api/v1/identity/{'ab'*16}/lxmf-address", key="lxmf_address_unknown")
    api("POST", "/api/v1/identity/backup/base32", {}, key="backup_base32")
    api("POST", "/api/v1/identity/backup/download", {}, key="backup_download")
    api("POST", "/api/v1/identities/export-all", {}, key="export_all")
    second = OBS["create"]["resp"]
    sh = None
    for i in (lst.get("identities") or []):
        if i.get("hash") != first and i.get("identity_hash") != first: sh = i.get("hash") or i.get("identity_hash")
    OBS["second_hash"] = sh
    api("POST", "/api/v1/identities/switch", {}, key="switch_empty")
    api("POST", "/api/v1/identities/switch", {"identity_hash": "zz"}, key="switch_bad")
    api("POST", "/api/v1/identities/switch", {"identity_hash": "ab"*16}, key="switch_unknown")
    api("DELETE", f"/api/v1/identities/{first}", key="delete_active")
    api("DELETE", "/api/v1/identities/zz", key="delete_bad")
    api("DELETE", f"/api/v1/identities/{'ab'*16}", key="delete_unknown")
    if sh:
        api("POST", "/api/v1/identities/switch", {"identity_hash": sh}, key="switch")
        wait_for("ready2", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 60)
        time.sleep(2)
        api("GET", "/api/v1/config", key="config_after_switch")
        api("GET", "/api/v1/identities", key="list_after_switch")
        api("POST", "/api/v1/identities/switch", {"identity_hash": sh}, key="switch_same")
        time.sleep(2)
        api("POST", "/api/v1/identities/switch", {"identity_hash": first, "keep_alive": True}, key="switch_back_keepalive")
        time.sleep(3)
        api("DELETE", f"/api/v1/identities/{sh}", key="delete_other")
        api("GET", "/api/v1/identities", key="list_after_delete")
    # restore attempts
    from RNS import Identity
    ident = Identity(); key_bytes = ident.get_private_key()
    OBS["restore_key_hash"] = ident.hash.hex()
    b32 = base64.b32encode(key_bytes).decode()
    api("POST", "/api/v1/identity/restore", {}, key="restore_empty")
    api("POST", "/api/v1/identity/restore", {"base32": b32}, key="restore_json_base32")
    api("POST", "/api/v1/identity/restore", {"base32": "notbase32!!"}, key="restore_json_bad_base32")
    ident2 = Identity(); body, ct = multipart({"file": ("identity", ident2.get_private_key())})
    OBS["restore2_key_hash"] = ident2.hash.hex()
    api("POST", "/api/v1/identity/restore", body, key="restore_multipart_file", raw=True, ctype=ct)
    body, ct = multipart({"file": ("identity", b"short")})
    api("POST", "/api/v1/identity/restore", body, key="restore_multipart_bad", raw=True, ctype=ct)
    api("GET", "/api/v1/identities", key="list_after_restore")
    time.sleep(1)
    OBS["ws"] = [m for m in WS if isinstance(m, dict) and m.get("type") not in ("announce",)]
    OBS["storage_tree"] = sorted(os.path.relpath(os.path.join(d, f), STORAGE) for d, _, fs in os.walk(STORAGE) for f in fs if "mbtiles" not in f and "/ssl" not in d)
    for d in os.listdir(os.path.join(STORAGE, "identities")):
        p = os.path.join(STORAGE, "identities", d, "metadata.json")
        if os.path.exists(p): OBS.setdefault("metadata", {})[d] = json.load(open(p))
finally:
    app.terminate()
    try: app.wait(20)
    except Exception: app.kill()
    json.dump(OBS, open(os.path.join(WORK, "observed.json"), "w"), indent=1, default=str)
    print("done")
