#!/usr/bin/env python3
"""Record how the reference app sends, stores and shows message reactions.

Run with the interpreter of scripts/setup-refapp.sh:
  observe_reactions.py WORKDIR   -> WORKDIR/observed.json

Loopback only, as observe_api.py (one TCPServerInterface on 127.0.0.1, the
LXMF peer in this process connects to it; plain HTTP on 127.0.0.1; the app
is stopped at the end). Black box: probes POST /api/v1/lxmf-messages/reactions
with body variants and bad input, records what the peer receives (title,
content, fields), then has the peer send reactions back and records how the
messages/conversation API and /ws show them. Not run by CI.
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
        "[logging]\n  loglevel = 2\n[interfaces]\n  [[Default Interface]]\n    type = AutoInterface\n    enabled = no\n" + interface)
write_config(APP_RNS, f"  [[Loopback Server]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = {RNS_PORT}\n    ingress_control = False\n")
write_config(PEER_RNS, f"  [[Loopback Client]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = {RNS_PORT}\n")
jar = http.cookiejar.CookieJar(); opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)); csrf = None
OBS = {}
def api(method, path, body=None, key=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
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
    if key: OBS[key] = {"req": f"{method} {path}", "body": body if not isinstance(body, bytes) else repr(body), "status": code, "resp": out}
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
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            async with s.ws_connect(BASE.replace("http", "ws") + "/ws") as ws:
                async for msg in ws:
                    try: WS.append(json.loads(msg.data))
                    except Exception: WS.append(msg.data)
    asyncio.run(run())
def short(v, n=160):
    r = repr(v); return r if len(r) <= n else r[:n] + "..."
def lxm_dump(m):
    return {"hash": m.hash.hex(), "title": m.title_as_string(), "content": m.content_as_string(),
            "fields": {str(k): short(v) for k, v in (m.fields or {}).items()}}
def ws_since(n):
    return [{"type": e.get("type"), **({k: short(v, 400) for k, v in e.items() if k != "type"})} for e in WS[n:] if isinstance(e, dict) and e.get("type") not in ("config", "announce")]
try:
    wait_for("ready", lambda: api("GET", "/api/v1/status")["stage"] == "ready", 60)
    csrf = api("GET", "/api/v1/auth/csrf")["csrf_token"]
    cfg = wait_for("config", lambda: api("GET", "/api/v1/config")["config"])
    app_lxmf = cfg["lxmf_address_hash"]
    api("PATCH", "/api/v1/config", {"lxmf_inbound_stamp_cost": 0})
    threading.Thread(target=ws_thread, daemon=True).start()
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
    app_dest = RNS.Destination(app_id, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")

    # An outbound message (app -> bob) and an inbound one (bob -> app) to react to.
    out = api("POST", "/api/v1/lxmf-messages/send", {"delivery_method": "direct", "lxmf_message": {"destination_hash": bob_hash, "content": "react to me (out)"}}, key="send_target_out")
    out_hash = out["lxmf_message"]["hash"]
    wait_for("bob got target", lambda: any(m.hash.hex() == out_hash for m in received), 60)
    inb = LXMF.LXMessage(app_dest, bob, "react to me (in)", "", desired_method=LXMF.LXMessage.DIRECT)
    router.handle_outbound(inb)
    wait_for("app got target", lambda: inb.state == LXMF.LXMessage.DELIVERED, 60)
    in_hash = inb.hash.hex()
    wait_for("stored", lambda: any(m["hash"] == in_hash for m in api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=10")["lxmf_messages"]), 30)

    # Probe the route: shapes and bad input.
    probes = [
        ("r_empty", {}),
        ("r_guess_hash_emoji", {"message_hash": in_hash, "emoji": "👍"}),
        ("r_guess_hash_reaction", {"message_hash": in_hash, "reaction": "👍"}),
        ("r_guess_full", {"destination_hash": bob_hash, "message_hash": in_hash, "emoji": "👍"}),
        ("r_guess_full_reaction", {"destination_hash": bob_hash, "message_hash": in_hash, "reaction": "👍"}),
        ("r_ok_to_incoming", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": "👍"}),
        ("r_ok_to_outgoing", {"destination_hash": bob_hash, "target_message_hash": out_hash, "emoji": "😂"}),
        ("r_same_again", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": "👍"}),
        ("r_unknown_target", {"destination_hash": bob_hash, "target_message_hash": "ab" * 32, "emoji": "👍"}),
        ("r_target_not_hex", {"destination_hash": bob_hash, "target_message_hash": "zz", "emoji": "👍"}),
        ("r_target_short_hex", {"destination_hash": bob_hash, "target_message_hash": "abcd", "emoji": "👍"}),
        ("r_dest_not_hex", {"destination_hash": "zz", "target_message_hash": in_hash, "emoji": "👍"}),
        ("r_dest_unknown", {"destination_hash": "cd" * 16, "target_message_hash": in_hash, "emoji": "👍"}),
        ("r_emoji_empty", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": ""}),
        ("r_emoji_spaces", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": "   "}),
        ("r_emoji_text", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": "ok"}),
        ("r_emoji_long", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": "x" * 40}),
        ("r_emoji_int", {"destination_hash": bob_hash, "target_message_hash": in_hash, "emoji": 5}),
        ("r_target_int", {"destination_hash": bob_hash, "target_message_hash": 5, "emoji": "👍"}),
        ("r_body_list", []),
        ("r_body_not_json", b"not json"),
    ]
    extra = json.loads(os.environ.get("EXTRA_PROBES", "[]"))
    for key, body in probes + [tuple(p) for p in extra]:
        n = len(received); w = len(WS)
        api("POST", "/api/v1/lxmf-messages/reactions", body, key=key)
        try: wait_for("peer got reaction", lambda: len(received) > n, 8)
        except RuntimeError: pass
        OBS[key]["bob_received"] = [lxm_dump(m) for m in received[n:]]
        OBS[key]["ws_after"] = ws_since(w)
    OBS["conv_after_outgoing_reactions"] = api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=30")
    OBS["conversations_after_outgoing"] = api("GET", "/api/v1/lxmf/conversations")

    # Bob reacts to the app's outbound message, as the reference sends it.
    w = len(WS)
    # As the reference sends it (emoji as UTF-8 bytes), as a str, to an unknown target.
    for key, target, emoji in [("in_react_bytes", out_hash, "🔥".encode()), ("in_react_str", out_hash, "❤️"),
                               ("in_react_unknown_target", "ef" * 32, "👍".encode()),
                               ("in_react_to_incoming", in_hash, "👍".encode())]:
        m = LXMF.LXMessage(app_dest, bob, "", "", desired_method=LXMF.LXMessage.DIRECT,
                           fields={0x40: {0: bytes.fromhex(target), 1: emoji}})
        router.handle_outbound(m)
        wait_for("delivered", lambda: m.state == LXMF.LXMessage.DELIVERED, 60)
        OBS[key + "_hash"] = m.hash.hex()
    last = OBS["in_react_to_incoming_hash"]
    wait_for("last reaction stored", lambda: any(m["hash"] == last for m in api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=50")["lxmf_messages"]), 30)
    wait_for("last reaction pushed", lambda: any(isinstance(e, dict) and (e.get("lxmf_message") or {}).get("hash") == last for e in WS), 30)
    OBS["ws_incoming_reactions"] = ws_since(w)
    OBS["ws_incoming_first_full"] = next((e for e in WS[w:] if isinstance(e, dict) and e.get("type") == "lxmf.delivery"), None)
    OBS["conv_after_incoming_reactions"] = api("GET", f"/api/v1/lxmf-messages/conversation/{bob_hash}?limit=30")
    OBS["conversations"] = api("GET", "/api/v1/lxmf/conversations")
finally:
    json.dump(OBS, open(os.path.join(WORK, "observed.json"), "w"), indent=1, ensure_ascii=False)
    app.send_signal(signal.SIGTERM)
    try: app.wait(timeout=20)
    except subprocess.TimeoutExpired: app.kill(); app.wait()
os._exit(0)
