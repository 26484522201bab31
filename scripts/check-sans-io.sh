#!/usr/bin/env bash
# House rule 2: rns-msgpack, rns-crypto, rns-wire, rns-proto and lxmf do no I/O:
# no async runtime in their dependency tree, and no sockets, files, clocks,
# threads or processes in their source. lxmf's async driver (src/driver.rs and
# src/driver/) is the one exception: lxmf may depend on tokio and rns-net, but
# nothing outside the driver may use them or do I/O.
# Fails loudly, naming what it found.
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(rns-msgpack rns-crypto rns-wire rns-proto lxmf)
runtimes='^(tokio|async-std|smol|mio|futures-io|async-io|socket2)$'
io_apis='std::(fs|net|process|thread)|std::time::(SystemTime|Instant)|(SystemTime|Instant)::now|std::io::std(in|out|err)|std::env::'
failed=0

# Paths of a crate's source that may do I/O (its async driver).
driver_paths() {
  case "$1" in
    lxmf) echo "crates/lxmf/src/driver.rs crates/lxmf/src/driver" ;;
    *) echo "" ;;
  esac
}

for crate in "${crates[@]}"; do
  src="crates/$crate/src"
  excluded=$(driver_paths "$crate")
  if [ -n "$excluded" ]; then
    excludes=()
    for p in $excluded; do excludes+=(--exclude="$(basename "$p")" --exclude-dir="$(basename "$p")"); done
    hits=$(grep -rnE "$io_apis|\\b(tokio|rns_net)::|use (tokio|rns_net)\\b" "${excludes[@]}" "$src" || true)
    if [ -n "$hits" ]; then
      echo "FAIL: $crate uses I/O, a clock or its driver's runtime outside the driver:"
      echo "$hits"
      failed=1
    fi
    continue
  fi
  deps=$(cargo tree -p "$crate" -e normal --prefix none --format '{p}' 2>/dev/null | awk '{print $1}' | sort -u)
  bad=$(grep -E "$runtimes" <<<"$deps" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $crate depends on an async runtime or socket crate: $bad"
    failed=1
  fi
  hits=$(grep -rnE "$io_apis" "$src" || true)
  if [ -n "$hits" ]; then
    echo "FAIL: $crate does I/O or reads a clock in its library code:"
    echo "$hits"
    failed=1
  fi
done

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "ok: ${crates[*]} are free of runtimes and I/O (lxmf outside src/driver)"
