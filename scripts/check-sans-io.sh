#!/usr/bin/env bash
# House rule 2: rns-msgpack, rns-crypto, rns-wire, rns-proto and lxmf do no I/O:
# no async runtime in their dependency tree, and no sockets, files, clocks,
# threads or processes in their source. lxmf is checked whole for now; if its
# router driver moves in, exclude only that module's path here.
# Fails loudly, naming what it found.
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(rns-msgpack rns-crypto rns-wire rns-proto lxmf)
runtimes='^(tokio|async-std|smol|mio|futures-io|async-io|socket2)$'
io_apis='std::(fs|net|process|thread)|std::time::(SystemTime|Instant)|(SystemTime|Instant)::now|std::io::std(in|out|err)|std::env::'
failed=0

for crate in "${crates[@]}"; do
  deps=$(cargo tree -p "$crate" -e normal --prefix none --format '{p}' 2>/dev/null | awk '{print $1}' | sort -u)
  bad=$(grep -E "$runtimes" <<<"$deps" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $crate depends on an async runtime or socket crate: $bad"
    failed=1
  fi
  src="crates/$crate/src"
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
echo "ok: ${crates[*]} are free of runtimes and I/O"
