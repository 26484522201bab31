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
    p.add_argument("mode", choices=["announce-sink", "link-server", "link-client", "idle"])
    p.add_argument("--config", required=True)
    p.add_argument("--loglevel", type=int, default=2)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--stall", type=float, default=10)
    p.add_argument("--dest")
    p.add_argument("--links", type=int, default=100)
    p.add_argument("--sizes", default="")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--storage")
    args = p.parse_args()
    {
        "announce-sink": announce_sink,
        "link-server": link_server,
        "link-client": link_client,
        "idle": idle,
    }[args.mode](args)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
