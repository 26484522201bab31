#!/usr/bin/env bash
# Our meshchatx beside the reference MeshChatX app (4.10.7), same machine,
# one after the other, loopback only, plain HTTP on 127.0.0.1.
# Usage: bench/app.sh [--quick] [--ours-only]
set -euo pipefail
cd "$(dirname "$0")/.."
REF_PY="$(bash scripts/setup-refapp.sh | tail -n 1)"
cargo build --release --locked -p meshchatx -p appbench
export APPBENCH_OURS="$PWD/target/release/meshchatx"
export APPBENCH_REFERENCE="$(dirname "$REF_PY")/meshchatx"
exec target/release/appbench "$@"
