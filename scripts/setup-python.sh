#!/usr/bin/env bash
# Creates .venv/ at the repository root with the pinned Python reference stack
# (rns, lxmf) used by the interop tests (crates/interop). Idempotent: when the
# venv already holds the pinned versions it does nothing but print the path of
# the interpreter. The last line printed on stdout is always that path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
REQ="$ROOT/tests/interop/requirements.txt"

want_rns="$(sed -n 's/^rns==\(.*\)$/\1/p' "$REQ")"
want_lxmf="$(sed -n 's/^lxmf==\(.*\)$/\1/p' "$REQ")"

# Serialise concurrent runs (parallel test processes on a fresh machine).
if command -v flock >/dev/null 2>&1; then
  exec 9<"$0"
  flock 9
fi

installed_ok() {
  [ -x "$PY" ] || return 1
  "$PY" - "$want_rns" "$want_lxmf" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import RNS, LXMF  # noqa: F401  (import must work, not only the metadata)
sys.exit(0 if (version("rns"), version("lxmf")) == (sys.argv[1], sys.argv[2]) else 1)
PYEOF
}

if ! installed_ok; then
  echo "setup-python: installing rns==$want_rns lxmf==$want_lxmf into $VENV" >&2
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" >&2
  fi
  "$PY" -m pip install --disable-pip-version-check --quiet -r "$REQ" >&2
  if ! installed_ok; then
    echo "setup-python: the venv at $VENV does not import the pinned rns/lxmf after install" >&2
    exit 1
  fi
fi
echo "$PY"
