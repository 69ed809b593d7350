#!/usr/bin/env bash
# Benchmark of the HTML report (not a timed test): a synthetic analysis with N handshakes (default 1,000,000;
# sub-millisecond body, a 2 ms mode, periodic 400 ms stalls, SYNs retransmitted at 1 s and 3 s, unanswered
# attempts) plus N/100 ICMP echoes is rendered to one HTML file. Prints seconds and size for each run.
# Goal (issue 3): under 10 s and under 10 MB for 1,000,000 handshakes.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-1000000}"
runs="${RUNS:-3}"
out="${OUT:-bench/out/report}"
mkdir -p "$out"
dotnet build cli/NetTrace.Cli/NetTrace.Cli.csproj -c Release -v quiet -clp:ErrorsOnly >/dev/null
bin=cli/NetTrace.Cli/bin/Release/net10.0/nettrace
echo "report-bench: $(nproc) CPUs, $(dotnet --version) SDK, $runs runs of $n handshakes"
for i in $(seq 1 "$runs"); do
  "$bin" report --synthetic "$n" -o "$out/report-$n.html"
done
