#!/usr/bin/env bash
# A longer fuzz run of the frame reader and decoder than CI's few seconds.
#   bash scripts/fuzz.sh [SECONDS]     (default 60)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
ROSTERBRIDGE_FUZZ_SECONDS="$seconds" dotnet test "$root/tests/RosterBridge.Tests" -c Release \
    --filter "FullyQualifiedName~Fuzz" --logger "console;verbosity=detailed" 2>&1 | grep -E "fuzz:|Passed|Failed|error" 
