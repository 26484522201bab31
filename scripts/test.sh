#!/usr/bin/env bash
# Runs every check and test the project has. CI runs exactly this (via .ci/run).
# Each step installs what it needs; nothing relies on a hand-installed tool.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "house rules: sans-IO crates do no I/O and pull in no runtime"
scripts/check-sans-io.sh

step "web UI: npm ci, type check, vite build, dist check (no inline script/style, JS budget)"
# Before any cargo build: meshchat-web embeds frontend/dist.
scripts/build-ui.sh

step "web UI unit tests (Vitest)"
(cd frontend && npm test --silent)

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "python reference stack (rns 1.5.7, lxmf 1.2.1) for the interop tests"
scripts/setup-python.sh

step "reference MeshChatX app (reticulum-meshchatx 4.10.7) for the storage test"
scripts/setup-refapp.sh

step "tests: unit, vectors, property tests, simulations, sockets, interop, binary"
cargo test --workspace --locked

step "web UI end-to-end smoke test: the real binary and Debian's Chromium (screenshots in frontend/test-results/e2e/)"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
cargo build --locked -p meshchatx
(cd frontend && MESHCHATX_BIN=../target/debug/meshchatx npm run e2e --silent)

step "web UI end-to-end pages test: the binary, a Python LXMF peer and Chromium (send, delivered, reply, attachments, identities, login, 10,000-message scroll check)"
(cd frontend && MESHCHATX_BIN=../target/debug/meshchatx npm run e2e:chat --silent)

step "web UI end-to-end network test: the binary with no interfaces, a Python peer and lxmd on loopback TCP, Chromium (add/edit/disable/delete interfaces, path/probe/ping tools, propagation node sync)"
(cd frontend && MESHCHATX_BIN=../target/debug/meshchatx npm run e2e:network --silent)

step "benchmarks compile"
cargo bench --workspace --locked --no-run

step "benchmark smoke run: our stack beside the reference, a few seconds (bench/net.sh for the real run)"
cargo build --locked -p netbench
target/debug/netbench --quick
