#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a given time each and summarises
# executions and crashes. Usage: scripts/fuzz.sh SECONDS [TARGET...]
# Needs the nightly toolchain; installs cargo-fuzz from crates.io if missing.
# Crash inputs land in fuzz/artifacts/<target>/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  # Seed with the reference vectors so the fuzzer starts from real traffic.
  if [ -d "seeds/$t" ]; then cp -n seeds/"$t"/* "corpus/$t/"; fi
  echo "==> $t for ${seconds}s"
  status=0
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 \
    >"logs/$t.log" 2>&1 || status=$?
  execs=$(grep -E '^stat::number_of_executed_units' "logs/$t.log" | awk '{print $2}' | tail -1)
  crashes=$(find "artifacts/$t" -type f | wc -l)
  echo "    execs=${execs:-?} exit=$status crash_artifacts=$crashes corpus=$(ls "corpus/$t" | wc -l)"
done
