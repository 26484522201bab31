#!/usr/bin/env bash
# Our stack beside the Python reference, same machine, same run, loopback only.
# Usage: bench/net.sh [--quick] [--only announces,links,resources,idle]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh >/dev/null
cargo build --release --locked -p netbench
exec target/release/netbench "$@"
