#!/usr/bin/env bash
# Builds the web UI and everything else in release mode and starts
# MeshChatX-rs on its defaults. Extra arguments go to the binary, e.g.
# `scripts/run.sh --storage-dir /tmp/mc`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The UI first: meshchat-web embeds frontend/dist when the binary is built.
scripts/build-ui.sh
cargo build --release --workspace
exec ./target/release/meshchatx "$@"
