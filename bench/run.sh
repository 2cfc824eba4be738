#!/usr/bin/env bash
# Runs Portico's benchmark suites (BENCHMARKING.md) and rewrites docs/benchmarks.md from the sections they write.
# Installs wrk and nginx from Debian packages when missing (scripts/ensure-nginx.sh). Every suite runs in its own process group, bounded by
# BENCH_SUITE_TIMEOUT, and is killed by its id on exit, together with the servers it started.
#   BENCH_SUITES="proxy-baselines edge-stack"  BENCH_DURATION=8  BENCH_ROUNDS=3  BENCH_WARMUP=5  bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_SUITES="proxy-baselines composition-clients portico-composition compression conditional-get jwt-verify telemetry-overhead edge-stack ws-fanout grpc-vs-rest bff-order-details bff-startup"
SUITES=${BENCH_SUITES:-$ALL_SUITES}
SUITE_TIMEOUT=${BENCH_SUITE_TIMEOUT:-900}
export BENCH_DURATION=${BENCH_DURATION:-8} BENCH_ROUNDS=${BENCH_ROUNDS:-3} BENCH_WARMUP=${BENCH_WARMUP:-5}
export NODE_ENV=production
# ws-fanout holds thousands of sockets on each side: raise the open-file limit as far as the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

install_tools() {
  local packages=()
  command -v wrk >/dev/null || packages+=(wrk)
  command -v taskset >/dev/null || packages+=(util-linux)
  # nginx-light (or nginx) comes through the same script the load-balancer tests use.
  bash scripts/ensure-nginx.sh "${packages[@]}"
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
# The soak (`make soak`) is not run here, but its latest section stays in the report.
npx tsx bench/lib/assemble.ts $ALL_SUITES soak
exit $status
