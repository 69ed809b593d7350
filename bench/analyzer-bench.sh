#!/usr/bin/env bash
# The analyzer benchmark, one command: builds what it needs, generates a large realistic capture with the project's
# own generator (bench/NetTrace.CaptureGen), then runs over the same file, one after the other, each with
# /usr/bin/time -v: our analyzer (`nettrace analyze --json --quiet`, end to end, JSON written to bench/out), the
# analyzer's stages alone (reader, reader+decoder, whole analysis without output), a minimal C libpcap
# read-and-parse loop (the floor) and tshark computing the same facts (bench/tshark-facts.sh). Every tool's counts
# are checked against the generator's truth. The analyzer's allocations per packet are measured on a capture of a
# few long connections, where per-flow allocations vanish. Then ours again on a file twice as big: peak memory should follow
# the live flows (the same in both files), not the file size.
#
# usage: bench/analyzer-bench.sh [--packets N] [--no-2x] [--tshark-2x]
#   --packets N   size of the capture (default 5000000); the second file has 2N
#   --no-2x       skip the 2N file
#   --tshark-2x   also run tshark on the 2N file (slow: tshark does ~20k packets/s here)
# Output: a table on stdout, also saved as bench/out/results-N.txt. Files stay in bench/out/ (gitignored) and are
# reused while the generator is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

packets=5000000; big=1; tshark_big=0
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) packets="${2:?--packets needs a number}"; shift 2 ;;
    --no-2x) big=0; shift ;;
    --tshark-2x) tshark_big=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "analyzer-bench: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
[[ "$packets" =~ ^[0-9]+$ ]] || { echo "analyzer-bench: --packets takes a whole number" >&2; exit 64; }

missing=""
for tool in gcc tshark python3 dotnet; do command -v "$tool" >/dev/null || missing+=" $tool"; done
[ -x /usr/bin/time ] || missing+=" time(/usr/bin/time)"
[ -f /usr/include/pcap/pcap.h ] || missing+=" libpcap-dev"
[ -z "$missing" ] || { echo "analyzer-bench: missing:$missing; run ./scripts/setup.sh" >&2; exit 2; }

out=bench/out
mkdir -p "$out"
gen=bench/NetTrace.CaptureGen/bin/Release/net10.0/capturegen.dll
stages=bench/NetTrace.AnalyzerBench/bin/Release/net10.0/analyzer-bench.dll

echo "== building (generator, analyzer stages, nettrace, C loop)" >&2
build() { dotnet build "$1" -c Release --nologo -v quiet -clp:ErrorsOnly >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 2; }; }
build bench/NetTrace.CaptureGen/NetTrace.CaptureGen.csproj
build bench/NetTrace.AnalyzerBench/NetTrace.AnalyzerBench.csproj
gcc -O2 -Wall -o "$out/pcap_loop" bench/c/pcap_loop.c -lpcap
# Build the CLI here and run its dll directly: the ./nettrace launcher would rebuild inside a timed run whenever a
# source file changed in the meantime (and its staleness check costs a little each time).
nettrace_dll=cli/NetTrace.Cli/bin/Release/net10.0/nettrace.dll
have_analyze=0
for attempt in 1 2 3; do   # a parallel edit elsewhere in the checkout can break a build for a moment: retry
  if dotnet build cli/NetTrace.Cli/NetTrace.Cli.csproj -c Release --nologo -v quiet -clp:ErrorsOnly >"$out/nettrace-build.log" 2>&1 \
     && dotnet "$nettrace_dll" analyze --help >/dev/null 2>>"$out/nettrace-build.log"; then have_analyze=1; break; fi
  [ "$attempt" = 3 ] || { echo "   nettrace build failed, retrying in 30 s" >&2; sleep 30; }
done
if [ "$have_analyze" = 0 ]; then
  echo "analyzer-bench: 'nettrace analyze' is not available (see $out/nettrace-build.log); measuring the analyzer through analyzer-bench only" >&2
fi
# Run from copies, so a build started elsewhere in this checkout cannot swap the binaries in the middle of a run.
rm -rf "$out/bin" && mkdir -p "$out/bin"
cp -r "$(dirname "$stages")" "$out/bin/stages" && stages="$out/bin/stages/analyzer-bench.dll"
if [ "$have_analyze" = 1 ]; then cp -r "$(dirname "$nettrace_dll")" "$out/bin/nettrace" && nettrace_dll="$out/bin/nettrace/nettrace.dll"; fi

generate() { # $1 = packets -> path of the capture (regenerated when the generator changed)
  local f="$out/bench-$1.pcapng"
  if [ ! -f "$f.truth.json" ] || [ "$gen" -nt "$f.truth.json" ]; then
    echo "== generating $1 packets -> $f" >&2
    dotnet "$gen" -o "$f" --packets "$1" >&2
  fi
  echo "$f"
}

timed() { # $1 = run name; rest = command. stdout -> $out/$1.out, time -v -> $out/$1.time
  local name="$1"; shift
  cat "$capture" >/dev/null                        # every tool starts with the file in the page cache
  echo "   running $name" >&2
  /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.out" || echo "   ($name exited with $?)" >&2
}

bench_file() { # $1 = packets, $2 = 1 to run tshark
  local n="$1" with_tshark="$2"
  capture="$(generate "$n")"
  echo "== $capture ($(du -h "$capture" | cut -f1))" >&2
  local runs=()
  if [ "$have_analyze" = 1 ]; then
    timed "ours-$n" dotnet "$nettrace_dll" analyze --json --quiet "$capture"
    runs+=("ours (nettrace analyze --json)|json|$out/ours-$n.out|$out/ours-$n.time")
  fi
  timed "stage-analyze-$n" dotnet "$stages" --stage analyze "$capture"
  if [ "$have_analyze" = 1 ]; then
    runs+=("stage: analysis, no output|stage|$out/stage-analyze-$n.out|$out/stage-analyze-$n.time")
  else
    runs+=("ours (analysis, no output)|stage|$out/stage-analyze-$n.out|$out/stage-analyze-$n.time")
  fi
  timed "stage-decode-$n" dotnet "$stages" --stage decode "$capture"
  runs+=("stage: reader + decoder|stage|$out/stage-decode-$n.out|$out/stage-decode-$n.time")
  timed "stage-read-$n" dotnet "$stages" --stage read "$capture"
  runs+=("stage: reader only|stage|$out/stage-read-$n.out|$out/stage-read-$n.time")
  timed "c-$n" "$out/pcap_loop" "$capture"
  runs+=("C libpcap loop (floor)|c|$out/c-$n.out|$out/c-$n.time")
  if [ "$with_tshark" = 1 ]; then
    timed "tshark-$n" bench/tshark-facts.sh "$capture"
    runs+=("tshark (bench/tshark-facts.sh)|tshark|$out/tshark-$n.out|$out/tshark-$n.time")
  fi
  python3 bench/bench_report.py "$capture.truth.json" "${runs[@]}"
  echo "allocations (analyzer-bench): $(grep -o 'allocated_bytes_per_packet=[^ ]*' "$out/stage-analyze-$n.out") whole analysis," \
       "$(grep -o 'allocated_bytes_per_packet=[^ ]*' "$out/stage-decode-$n.out") reader+decoder;" \
       "GCs $(grep -o 'gc0=[0-9]* gc1=[0-9]* gc2=[0-9]*' "$out/stage-analyze-$n.out")"
}

per_packet_allocations() {
  # Few connections, a million packets: whatever the analysis allocates here is (nearly) all per-packet.
  local f="$out/longflows-1000000.pcapng"
  if [ ! -f "$f.truth.json" ] || [ "$gen" -nt "$f.truth.json" ]; then
    dotnet "$gen" -o "$f" --profile longflows --packets 1000000 >&2
  fi
  local line; line="$(dotnet "$stages" --stage analyze "$f")"
  echo "per-packet path (longflows capture, $(grep -o '"frames": [0-9]*' "$f.truth.json" | grep -o '[0-9]*') frames in" \
       "$(grep -o '"tcpConnections": [0-9]*' "$f.truth.json" | grep -o '[0-9]*') TCP connections):" \
       "$(grep -o 'allocated_bytes=[0-9]*' <<<"$line"), $(grep -o 'allocated_bytes_per_packet=[^ ]*' <<<"$line"), $(grep -o 'gc0=[0-9]* gc1=[0-9]* gc2=[0-9]*' <<<"$line")"
}

results="$out/results-$packets.txt"
{
  echo "# analyzer benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GB RAM;" \
       "dotnet $(dotnet --version); $(tshark --version 2>/dev/null | head -1); $(gcc --version | head -1)"
  echo "# load average before the runs (other work on the machine skews wall times): $(cut -d" " -f1-3 /proc/loadavg)"
  bench_file "$packets" 1
  per_packet_allocations
  if [ "$big" = 1 ]; then
    echo
    echo "# the same traffic, twice as long: memory must follow live flows, not file size"
    bench_file $((packets * 2)) "$tshark_big"
    ours_tag=$([ "$have_analyze" = 1 ] && echo ours || echo stage-analyze)
    r1=$(awk '/Maximum resident/{print $6}' "$out/$ours_tag-$packets.time")
    r2=$(awk '/Maximum resident/{print $6}' "$out/$ours_tag-$((packets * 2)).time")
    echo "peak RSS of ours: $((r1 / 1024)) MB at $packets packets, $((r2 / 1024)) MB at $((packets * 2)) packets ($(python3 -c "print(f'{$r2/$r1:.2f}')")x)"
  fi
} | tee "$results"
echo "(saved to $results)" >&2
