#!/usr/bin/env bash
# Long fuzz run of the capture analyzer over mutated shared captures.
#   scripts/fuzz.sh [seconds] [seed]      (default: 600 s, a time-based seed)
# A crashing input is copied to /tmp/seed<seed>-iter<n>-<capture> and the test fails naming it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NETTRACE_FUZZ_SECONDS="${1:-600}"
export NETTRACE_FUZZ_SEED="${2:-$(date +%s)}"
echo "fuzz: ${NETTRACE_FUZZ_SECONDS} s, seed ${NETTRACE_FUZZ_SEED}" >&2
dotnet build "$here/tests/NetTrace.Analyzer.Tests/NetTrace.Analyzer.Tests.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet "$here/tests/NetTrace.Analyzer.Tests/bin/Release/net10.0/NetTrace.Analyzer.Tests.dll" \
  -method "NetTrace.Analyzer.Tests.BadInput.FuzzTests.Mutated_captures_never_crash_or_hang" -diagnostics
