#!/usr/bin/env python3
"""The reference side of bench/net.sh: the same measurements as netbench makes
of our stack, made of the pinned Python reference (rns, lxmf) on this machine.

Our own bench tool; it uses only the public API of RNS and LXMF. Each mode
prints one JSON object per line on stdout; RNS's log goes to stderr.

Modes:
  announce-sink --config DIR --count N
      Runs a node from DIR, prints {"ready": true, "baseline": B}, then waits
      until its path table holds B + N entries (or stops growing for --stall
      seconds) and prints {"done": <unix time of the last growth>, "paths": n}.
  link-server --config DIR
      Registers bench.link, accepts links and every resource, announces,
      prints {"ready": "<destination hex>"} and runs until stdin closes.
  link-client --config DIR --dest HEX --links N --sizes S1,S2 --rounds R
      Opens N links one after another (time from creating the link to its
      established callback), then sends resources of each size R times over one
      link (time from creating the resource to its completion callback) and
      prints {"link_ms": [...], "resource_s": {"size": [...]}}.
  lxmf-recv --config DIR --storage DIR
      An LXMF router with one delivery identity (no stamp cost), announced;
      prints {"ready": "<delivery destination hex>"} and runs until stdin
      closes.
  lxmf-send --config DIR --storage DIR --dest HEX --count N --method M
      Sends through LXMRouter.handle_outbound, the normal send path, with
      method direct or opportunistic: one warm-up message, 20 one at a time
      (unloaded latency), then N submitted at once. Latency runs from
      handle_outbound to the delivery callback (the proof came back). Prints
      {"unloaded_ms": [...], "burst_ms": [...], "burst_s": total}.
  stamp --cost C --rounds R
      Times LXMF.LXStamper.generate_stamp for R random message ids at cost C
      and prints {"stamp_s": [...]}.
  idle --config DIR --storage DIR
      Runs RNS and an LXMF router with one delivery identity, announced, prints
      {"ready": true} and runs until stdin closes (the caller reads its RSS).
"""

import argparse
import json
import os
import sys
import threading
import time

_out = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

import RNS  # noqa: E402  (after the stdout redirection on purpose)


def say(**fields):
    _out.write(json.dumps(fields) + "\n")
    _out.flush()


def wait_for_stdin_close():
    for _ in sys.stdin:
        pass


def announce_sink(args):
    RNS.Reticulum(args.config, loglevel=args.loglevel)
    baseline = len(RNS.Transport.path_table)
    say(ready=True, baseline=baseline)
    target = baseline + args.count
    deadline = time.time() + args.timeout
    last_n, last_change = baseline, time.time()
    while time.time() < deadline:
        n = len(RNS.Transport.path_table)
        now = time.time()
        if n != last_n:
            last_n, last_change = n, now
        if n >= target:
            say(done=now, paths=n - baseline)
            return
        # Some announces may never arrive in the table; report what did once
        # the count stops moving, with the time of its last change.
        if n > baseline and now - last_change > args.stall:
            say(done=last_change, paths=n - baseline)
            return
        time.sleep(0.002)
    say(timeout=True, paths=len(RNS.Transport.path_table) - baseline)


def link_server(args):
    RNS.Reticulum(args.config, loglevel=args.loglevel)
    identity = RNS.Identity()
    dest = RNS.Destination(identity, RNS.Destination.IN, RNS.Destination.SINGLE, "bench", "link")

    def established(link):
        link.set_resource_strategy(RNS.Link.ACCEPT_ALL)

    dest.set_link_established_callback(established)
    dest.announce()
    say(ready=dest.hash.hex())
    wait_for_stdin_close()


def link_client(args):
    RNS.Reticulum(args.config, loglevel=args.loglevel)
    dest_hash = bytes.fromhex(args.dest)
    deadline = time.time() + 30
    RNS.Transport.request_path(dest_hash)
    while not RNS.Transport.has_path(dest_hash):
        if time.time() > deadline:
            say(error="no path")
            return
        time.sleep(0.01)
    identity = RNS.Identity.recall(dest_hash)
    dest = RNS.Destination(identity, RNS.Destination.OUT, RNS.Destination.SINGLE, "bench", "link")

    def open_link():
        ready = threading.Event()
        t0 = time.perf_counter()
        link = RNS.Link(dest, established_callback=lambda _l: ready.set())
        if not ready.wait(10):
            raise RuntimeError("link not established")
        return link, (time.perf_counter() - t0) * 1000.0

    link_ms = []
    for _ in range(args.links):
        link, ms = open_link()
        link_ms.append(ms)
        link.teardown()

    link, _ = open_link()
    resource_s = {}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        times = []
        for _ in range(args.rounds):
            data = os.urandom(size)
            done = threading.Event()
            status = {}

            def concluded(resource, status=status, done=done):
                status["ok"] = resource.status == RNS.Resource.COMPLETE
                done.set()

            t0 = time.perf_counter()
            RNS.Resource(data, link, callback=concluded, auto_compress=False)
            if not done.wait(300) or not status.get("ok"):
                raise RuntimeError("resource of %d bytes failed" % size)
            times.append(time.perf_counter() - t0)
        resource_s[str(size)] = times
    link.teardown()
    say(link_ms=link_ms, resource_s=resource_s)


def lxmf_recv(args):
    import LXMF

    RNS.Reticulum(args.config, loglevel=args.loglevel)
    router = LXMF.LXMRouter(storagepath=args.storage)
    delivery = router.register_delivery_identity(RNS.Identity(), display_name="bench-recv")

    def received(message):
        # The unloaded messages (numbered -2 and below) report when they
        # arrived, on the wall clock the sender also reads.
        number = int(message.content_as_string().rsplit(" ", 1)[-1])
        if number <= -2:
            say(arrived=number, at=time.time())

    router.register_delivery_callback(received)
    router.announce(delivery.hash)
    say(ready=delivery.hash.hex())
    wait_for_stdin_close()


def lxmf_send(args):
    import LXMF

    RNS.Reticulum(args.config, loglevel=args.loglevel)
    router = LXMF.LXMRouter(storagepath=args.storage)
    me = router.register_delivery_identity(RNS.Identity(), display_name="bench-send")
    dest_hash = bytes.fromhex(args.dest)
    deadline = time.time() + 30
    RNS.Transport.request_path(dest_hash)
    while not RNS.Transport.has_path(dest_hash):
        if time.time() > deadline:
            say(error="no path")
            return
        time.sleep(0.01)
    identity = RNS.Identity.recall(dest_hash)
    dest = RNS.Destination(identity, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery")
    method = {"direct": LXMF.LXMessage.DIRECT, "opportunistic": LXMF.LXMessage.OPPORTUNISTIC}[args.method]

    def submit(i):
        done = threading.Event()
        record = {}

        def delivered(_message, record=record, done=done):
            record["t"] = time.perf_counter()
            done.set()

        def failed(_message, done=done):
            done.set()

        message = LXMF.LXMessage(dest, me, "bench message %d" % i, title="", desired_method=method)
        message.register_delivery_callback(delivered)
        message.register_failed_callback(failed)
        record["wall"] = time.time()
        t0 = time.perf_counter()
        router.handle_outbound(message)
        return t0, record, done

    def latency_ms(t0, record, done, timeout):
        if not done.wait(timeout) or "t" not in record:
            raise RuntimeError("a message was not delivered")
        return (record["t"] - t0) * 1000.0

    latency_ms(*submit(-1), 60)
    unloaded, unloaded_sent_at = [], {}
    for i in range(20):
        t0, record, done = submit(-2 - i)
        unloaded.append(latency_ms(t0, record, done, 60))
        unloaded_sent_at[str(-2 - i)] = record["wall"]
    started = time.perf_counter()
    sent = [submit(i) for i in range(args.count)]
    burst = [latency_ms(t0, record, done, 600) for (t0, record, done) in sent]
    burst_s = max(record["t"] for (_t0, record, _d) in sent) - started
    say(unloaded_ms=unloaded, unloaded_sent_at=unloaded_sent_at, burst_ms=burst, burst_s=burst_s)


def stamp(args):
    import LXMF.LXStamper as stamper

    times = []
    for _ in range(args.rounds):
        message_id = os.urandom(32)
        t0 = time.perf_counter()
        stamper.generate_stamp(message_id, args.cost)
        times.append(time.perf_counter() - t0)
    say(stamp_s=times)


def idle(args):
    import LXMF

    RNS.Reticulum(args.config, loglevel=args.loglevel)
    router = LXMF.LXMRouter(storagepath=args.storage)
    identity = RNS.Identity()
    delivery = router.register_delivery_identity(identity, display_name="bench")
    router.announce(delivery.hash)
    say(ready=True)
    wait_for_stdin_close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument(
        "mode",
        choices=["announce-sink", "link-server", "link-client", "lxmf-recv", "lxmf-send", "stamp", "idle"],
    )
    p.add_argument("--config", default="")
    p.add_argument("--loglevel", type=int, default=2)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--stall", type=float, default=10)
    p.add_argument("--dest")
    p.add_argument("--links", type=int, default=100)
    p.add_argument("--sizes", default="")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--storage")
    p.add_argument("--method", default="direct")
    p.add_argument("--cost", type=int, default=8)
    args = p.parse_args()
    {
        "announce-sink": announce_sink,
        "link-server": link_server,
        "link-client": link_client,
        "lxmf-recv": lxmf_recv,
        "lxmf-send": lxmf_send,
        "stamp": stamp,
        "idle": idle,
    }[args.mode](args)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
