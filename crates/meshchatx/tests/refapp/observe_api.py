#!/usr/bin/env python3
"""Record the reference app's JSON shapes for the messaging API.

Run with the interpreter of scripts/setup-refapp.sh (it holds the app, RNS and
LXMF):  observe_api.py WORKDIR   -> WORKDIR/observed.json

Loopback only: the app's Reticulum config has one TCPServerInterface on
127.0.0.1 (no AutoInterface, no shared instance, no transport); the LXMF peer
in this process connects to it with a TCPClientInterface on 127.0.0.1. The
app runs with plain HTTP on 127.0.0.1 and is stopped at the end. Records each
request's status and answer, and every /ws push, for the shapes that
meshchat-web serves (docs/architecture.md, "Messaging"). Not run by CI.
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
try:
    wait_for("ready", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 60)
    csrf = api("GET", "/api/v1/auth/csrf")["csrf_token"]
    cfg = wait_for("config", lambda: api("GET", "/api/v1/config")["config"])
    OBS["config_keys"] = sorted(cfg.keys())
    threading.Thread(target=ws_thread, daemon=True).start()
    app_lxmf = cfg["lxmf_address_hash"]
    api("PATCH", "/api/v1/config", {"lxmf_inbound_stamp_cost": 0})
    api("PATCH", "/api/v1/config", {"display_name": "Obs Alice"}, key="patch_config_display_name")
    api("PATCH", "/api/v1/config", {"display_name": 5}, key="patch_config_bad_type")
    api("PATCH", "/api/v1/config", b"not json", key="patch_config_bad_json", raw=True)
    api("POST", "/api/v1/lxmf-messages/send", {"lxmf_message": {"destination_hash": "11" * 16, "content": "x"}}, key="send_unknown_peer")
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
    time.sleep(1)
    api("GET", "/api/v1/announces?limit=10", key="announces")
    api("GET", "/api/v1/announces?aspect=lxmf.delivery&limit=10", key="announces_aspect")
    api("GET", "/api/v1/announces?search=Obs&limit=10&offset=0", key="announces_search")
    api("GET", "/api/v1/announces?limit=abc", key="announces_bad_limit")
    # outbound
    api("POST", "/api/v1/lxmf-messages/send", {"delivery_method": "direct", "lxmf_message": {"destination_hash": bob_hash, "content": "hi Bob", "title": ""}}, key="send")
    api("POST", "/api/v1/lxmf-messages/send", {"lxmf_message": {"destination_hash": "zz", "content": "x"}}, key="send_bad_hash")
    api("POST", "/api/v1/lxmf-messages/send", {"delivery_method": "bogus", "lxmf_message": {"destination_hash": bob_hash, "content": "x"}}, key="send_bad_method")
    api("POST", "/api/v1/lxmf-messages/send", {}, key="send_empty")
    api("POST", "/api/v1/lxmf-messages/send", b"{nope", key="send_bad_json", raw=True)
    sent_hash = OBS["send"]["resp"]["lxmf_message"]["hash"]
    wait_for("bob received", lambda: any(m.hash.hex() == sent_hash for m in received), 60)
    time.sleep(2)
    # inbound
    app_dest = RNS.Destination(app_id, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")
    msg = LXMF.LXMessage(app_dest, bob, "hello from Bob", "greeting", desired_method=LXMF.LXMessage.OPPORTUNISTIC)
    router.handle_outbound(msg); router.process_outbound()
    wait_for("delivered", lambda: msg.state == LXMF.LXMessage.DELIVERED, 60)
    time.sleep(2)
    api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=10", key="conversation")
    api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=1", key="conversation_limit1")
    cm = OBS["conversation"]["resp"].get("lxmf_messages", [])
    if cm:
        api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=1&after_id={cm[-1]['id']}", key="conversation_after_id")
        api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=1&before_id={cm[0]['id']}", key="conversation_before_id")
    api("GET", f"/api/v1/lxmf-messages/conversation/zz", key="conversation_bad_hash")
    api("GET", "/api/v1/lxmf/conversations", key="conversations")
    api("GET", "/api/v1/lxmf/conversations?search=Bob&limit=5&offset=0", key="conversations_search")
    api("POST", f"/api/v1/lxmf/conversations/{bob_hash}/mark-as-read", {}, key="mark_read")
    api("GET", "/api/v1/lxmf/conversations", key="conversations_after_read")
    api("POST", "/api/v1/favourites/add", {"destination_hash": bob_hash, "display_name": "Bob (fav)", "aspect": "lxmf.delivery"}, key="fav_add")
    api("POST", "/api/v1/favourites/add", {"destination_hash": "bad"}, key="fav_add_bad")
    api("GET", "/api/v1/favourites", key="favourites")
    api("GET", "/api/v1/favourites?aspect=lxmf.delivery", key="favourites_aspect")
    api("POST", f"/api/v1/favourites/{bob_hash}/rename", {"display_name": "Bobbo"}, key="fav_rename")
    api("DELETE", f"/api/v1/favourites/{bob_hash}", key="fav_delete")
    api("DELETE", f"/api/v1/favourites/{bob_hash}", key="fav_delete_again")
    api("GET", f"/api/v1/destination/{bob_hash}/custom-display-name", key="cdn_get_none")
    api("POST", f"/api/v1/destination/{bob_hash}/custom-display-name/update", {"display_name": "Bobby"}, key="cdn_update")
    api("GET", f"/api/v1/destination/{bob_hash}/custom-display-name", key="cdn_get")
    api("POST", f"/api/v1/destination/{bob_hash}/custom-display-name/update", {"display_name": None}, key="cdn_clear")
    api("POST", "/api/v1/blocked-destinations", {"destination_hash": "44444444444444444444444444444444"}, key="block_add")
    api("POST", "/api/v1/blocked-destinations", {"destination_hash": "nothex"}, key="block_add_bad")
    api("GET", "/api/v1/blocked-destinations", key="blocked")
    api("DELETE", "/api/v1/blocked-destinations/44444444444444444444444444444444", key="block_delete")
    api("DELETE", "/api/v1/blocked-destinations/44444444444444444444444444444444", key="block_delete_again")
    api("DELETE", f"/api/v1/lxmf-messages/{sent_hash}", key="message_delete")
    api("DELETE", f"/api/v1/lxmf-messages/{'0'*64}", key="message_delete_missing")
    api("DELETE", f"/api/v1/lxmf-messages/conversation/{bob_hash}", key="conversation_delete")
    api("GET", "/api/v1/lxmf/conversations", key="conversations_after_delete")
    api("GET", "/api/v1/lxmf/propagation-nodes", key="propagation_nodes")
    time.sleep(1)
    OBS["ws"] = WS
finally:
    json.dump(OBS, open(os.path.join(WORK, "observed.json"), "w"), indent=1)
    app.send_signal(signal.SIGTERM)
    try: app.wait(timeout=20)
    except subprocess.TimeoutExpired: app.kill(); app.wait()
os._exit(0)
