#!/usr/bin/env bash
# Builds everything in release mode and starts MeshChatX-rs on its defaults.
# Extra arguments go to the binary, e.g. `scripts/run.sh --storage-dir /tmp/mc`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace
exec ./target/release/meshchatx "$@"
