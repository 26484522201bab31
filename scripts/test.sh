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

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "python reference stack (rns 1.5.7, lxmf 1.2.1) for the interop tests"
scripts/setup-python.sh

step "reference MeshChatX app (reticulum-meshchatx 4.10.7) for the storage test"
scripts/setup-refapp.sh

step "tests: unit, vectors, property tests, simulations, sockets, interop, binary"
cargo test --workspace --locked

step "benchmarks compile"
cargo bench --workspace --locked --no-run

step "benchmark smoke run: our stack beside the reference, a few seconds (bench/net.sh for the real run)"
cargo build --locked -p netbench
target/debug/netbench --quick
