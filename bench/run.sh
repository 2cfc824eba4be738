#!/usr/bin/env bash
# Runs Portico's benchmark suites (BENCHMARKING.md) and rewrites docs/benchmarks.md from the sections they write.
# Installs wrk and nginx from Debian packages when missing. Every suite runs in its own process group, bounded by
# BENCH_SUITE_TIMEOUT, and is killed by its id on exit, together with the servers it started.
#   BENCH_SUITES="proxy-baselines edge-stack"  BENCH_DURATION=8  BENCH_ROUNDS=3  BENCH_WARMUP=5  bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_SUITES="proxy-baselines composition-clients jwt-verify telemetry-overhead edge-stack"
SUITES=${BENCH_SUITES:-$ALL_SUITES}
SUITE_TIMEOUT=${BENCH_SUITE_TIMEOUT:-900}
export BENCH_DURATION=${BENCH_DURATION:-8} BENCH_ROUNDS=${BENCH_ROUNDS:-3} BENCH_WARMUP=${BENCH_WARMUP:-5}
export NODE_ENV=production

install_tools() {
  local packages=()
  command -v wrk >/dev/null || packages+=(wrk)
  if ! command -v nginx >/dev/null; then
    # nginx-light is enough (proxy and upstream modules) where the distribution still has it; otherwise plain nginx.
    if apt-cache policy nginx-light 2>/dev/null | grep -q 'Candidate: [0-9]'; then packages+=(nginx-light); else packages+=(nginx); fi
  fi
  command -v taskset >/dev/null || packages+=(util-linux)
  [ ${#packages[@]} -eq 0 ] && return 0
  local sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  echo "bench: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  # The package may start a system nginx; the benchmarks run their own on private ports and leave that one alone.
}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

install_tools
status=0
for suite in $SUITES; do
  if [ ! -f "bench/$suite.ts" ]; then
    echo "bench: skipping $suite (bench/$suite.ts does not exist yet)"
    continue
  fi
  echo "bench: $suite (BENCH_DURATION=$BENCH_DURATION BENCH_ROUNDS=$BENCH_ROUNDS BENCH_WARMUP=$BENCH_WARMUP)"
  # setsid: the suite, its servers and nginx's workers share one process group that cleanup() can end by its id.
  setsid timeout --kill-after=10 "$SUITE_TIMEOUT" npx tsx "bench/$suite.ts" &
  pids+=("$!")
  if ! wait "$!"; then
    echo "bench: $suite failed" >&2
    status=1
  fi
done
# Every suite's latest section goes in, so running one suite refreshes its section and keeps the others.
npx tsx bench/lib/assemble.ts $ALL_SUITES
exit $status
