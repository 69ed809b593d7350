#!/usr/bin/env bash
# The one test command: installs what is missing, builds everything, runs every test (privileged ones included).
# Opt out of the root-only tests (BPF, namespaces, containerd) only on purpose: NETTRACE_SKIP_PRIVILEGED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "test: building"
dotnet build NetTrace.sln -c Release --nologo -v quiet -clp:ErrorsOnly
echo "test: running every test project"
mkdir -p artifacts/test-results
dotnet test NetTrace.sln -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@"
