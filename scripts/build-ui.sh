#!/usr/bin/env bash
# Builds the web UI into frontend/dist, which meshchat-web's build.rs embeds
# into the binary: npm ci (from the committed package-lock.json), type check,
# vite build, then the dist check (no inline script/style; initial JS under
# its gzip budget). Needs node >= 20.19 and npm. Run it before `cargo build`;
# without it the binary carries a placeholder page instead of the UI.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if ! command -v npm >/dev/null 2>&1; then
  echo "build-ui: npm not found; install Node.js 20.19+ (the API builds without it)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build
