#!/usr/bin/env bash
# Creates .refapp/ at the repository root with the reference MeshChatX app
# (reticulum-meshchatx, pinned below) for the storage-compatibility test of
# meshchat-store. Idempotent: when the venv already holds the pinned version it
# does nothing but print the path of the interpreter. The last line printed on
# stdout is always that path. Measured on the 2-core dev box: 31 s the first
# time with an empty pip cache (~44 wheels, no compiler; 262 MB venv), ~75 s
# while a cargo build shared the cores, ~0.4 s once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="$ROOT/.refapp"
PY="$VENV/bin/python"
WANT="4.10.7"

# Serialise concurrent runs (parallel test processes on a fresh machine).
if command -v flock >/dev/null 2>&1; then
  exec 9<"$0"
  flock 9
fi

installed_ok() {
  [ -x "$PY" ] && [ -x "$VENV/bin/meshchatx" ] || return 1
  "$PY" - "$WANT" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import RNS, LXMF  # noqa: F401  (the peer side of the script needs both)
sys.exit(0 if version("reticulum-meshchatx") == sys.argv[1] else 1)
PYEOF
}

if ! installed_ok; then
  echo "setup-refapp: installing reticulum-meshchatx==$WANT into $VENV" >&2
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" >&2
  fi
  "$PY" -m pip install --disable-pip-version-check --quiet "reticulum-meshchatx==$WANT" >&2
  if ! installed_ok; then
    echo "setup-refapp: the venv at $VENV does not hold reticulum-meshchatx==$WANT after install" >&2
    exit 1
  fi
fi
echo "$PY"
