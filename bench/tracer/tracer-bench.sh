#!/usr/bin/env bash
# Tracer overhead benchmark (not a timed test). A loopback connect/request/close load (connload.c) runs
#   1. with no tracer,  2. under `nettrace trace` with every probe and a recording,  3. under an equivalent
#   bpftrace tracepoint script (equivalent.bt),
# ROUNDS times in that order, and prints connects/s, the ratios to the untraced run, and the tracer's events/s
# and lost events. Needs root. Traffic stays on 127.0.0.1; every run is bounded by SECONDS_PER_RUN.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-4}
SERVERS=${SERVERS:-2}
ROUNDS=${ROUNDS:-2}
out=bench/out/tracer
mkdir -p "$out"

[ "$(id -u)" -eq 0 ] || { echo "tracer-bench: needs root (eBPF)" >&2; exit 2; }
for tool in gcc bpftrace unshare dotnet; do
  command -v "$tool" >/dev/null || { echo "tracer-bench: '$tool' missing; run ./scripts/setup.sh" >&2; exit 2; }
done

gcc -O2 -pthread -Wall -o "$out/connload" bench/tracer/connload.c
./nettrace --help >/dev/null   # builds the CLI when sources changed
cli=cli/NetTrace.Cli/bin/Release/net10.0/nettrace.dll

tracer_pid=""; bpftrace_pid=""
cleanup() {
  # Whatever happens, no tracer stays attached.
  [ -n "$tracer_pid" ] && kill -TERM "$tracer_pid" 2>/dev/null && wait "$tracer_pid" 2>/dev/null || true
  [ -n "$bpftrace_pid" ] && kill -INT "$bpftrace_pid" 2>/dev/null && wait "$bpftrace_pid" 2>/dev/null || true
}
trap cleanup EXIT

wait_for() {  # file pattern timeout-seconds
  for _ in $(seq $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "tracer-bench: '$2' did not appear in $1" >&2; cat "$1" >&2; return 1
}

# utime+stime of a process in seconds (clock ticks / CLK_TCK).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

load() { "$out/connload" "$SECONDS_PER_RUN" "$CLIENTS" "$SERVERS" | sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }

declare -a OFF ON BT EV LOST CPU
for r in $(seq "$ROUNDS"); do
  echo "round $r/$ROUNDS: no tracer" >&2
  OFF[r]=$(load)

  echo "round $r/$ROUNDS: nettrace trace (all probes, recording)" >&2
  rm -f "$out/bench.ntrace"
  dotnet "$cli" trace --view lines -o "$out/bench.ntrace" --duration $(( SECONDS_PER_RUN + 60 ))s \
    >"$out/trace-$r.log" 2>"$out/trace-$r.err" &
  tracer_pid=$!
  wait_for "$out/trace-$r.err" "nettrace trace: tracing" 60
  cpu0=$(cpu_s "$tracer_pid")
  ON[r]=$(load)
  CPU[r]=$(awk -v a="$cpu0" -v b="$(cpu_s "$tracer_pid")" 'BEGIN { printf "%.2f", b - a }')
  kill -TERM "$tracer_pid"; wait "$tracer_pid" || true; tracer_pid=""
  ended=$(grep "trace ended" "$out/trace-$r.log" | tail -1)
  EV[r]=$(sed -n 's/.*\] events \([0-9]*\).*/\1/p' <<<"$ended")
  LOST[r]=$(sed -n 's/.*| \(lost=0\|LOST [^|]*\).*/\1/p' <<<"$ended")

  echo "round $r/$ROUNDS: bpftrace equivalent" >&2
  # bpftrace needs tracefs; mount it in a private mount namespace so the host is left as it was.
  unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace bench/tracer/equivalent.bt' \
    >"$out/bpftrace-$r.log" 2>&1 &
  bpftrace_pid=$!
  wait_for "$out/bpftrace-$r.log" "Attaching" 60
  sleep 1
  BT[r]=$(load)
  kill -INT "$bpftrace_pid"; wait "$bpftrace_pid" || true; bpftrace_pid=""
done

echo
printf "%-6s %12s %14s %8s %16s %8s %12s %10s %s\n" round "off conn/s" "nettrace c/s" ratio "bpftrace c/s" ratio "events/s" "tracer cpu" "lost"
for r in $(seq "$ROUNDS"); do
  awk -v r="$r" -v off="${OFF[r]}" -v on="${ON[r]}" -v bt="${BT[r]}" -v ev="${EV[r]:-0}" -v s="$SECONDS_PER_RUN" -v lost="${LOST[r]}" -v cpu="${CPU[r]}" \
    'BEGIN { printf "%-6s %12d %14d %8.3f %16d %8.3f %12.0f %9.2fs %s\n", r, off, on, on/off, bt, bt/off, ev/s, cpu, lost }'
done
echo
echo "load: $CLIENTS client + $SERVERS server threads, ${SECONDS_PER_RUN}s per run, loopback; kernel $(uname -r), $(nproc) CPUs"
echo "events/s = events the tracer delivered during its run / ${SECONDS_PER_RUN}s (the run spans the load plus ~1 s)"
echo "tracer cpu = user+system CPU seconds of the nettrace process during the load run"
echo "logs: $out/"
