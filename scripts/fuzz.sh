#!/usr/bin/env bash
# A longer fuzz run of the daemon read loop (frame cutting and protocol) than CI's few seconds.
#   bash scripts/fuzz.sh [SECONDS] [SEED]     (default 60 s, a random seed; a failure names its seed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
seed="${2:-$(( (RANDOM << 15) | RANDOM ))}"
echo "fuzz: ${seconds} s, seed ${seed} (again: bash scripts/fuzz.sh ${seconds} ${seed})"
ROSTERBRIDGE_FUZZ_SECONDS="$seconds" ROSTERBRIDGE_FUZZ_SEED="$seed" dotnet test "$root/tests/RosterBridge.Tests" -c Release \
    --filter "FullyQualifiedName~Fuzz" --logger "console;verbosity=detailed" 2>&1 | grep -E "fuzz:|ROSTERBRIDGE_FUZZ_SEED=|Passed|Failed|error"
