#!/usr/bin/env bash
# The main job on an embedded default: installs what is missing, builds, runs `nettrace demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec ./nettrace demo "$@"
