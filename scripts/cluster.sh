#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The three-server NATS cluster tests in their full form:
#
#   scripts/cluster.sh [--rounds N]
#
# tests/RosterBridge.IntegrationTests/Cluster: three nats-server processes (routes between them,
# JetStream on each, stores in a temporary directory), an R3 stream (and, in KV mode, an R3 bucket,
# each bridge as its node's user), three in-process bridges with their own simulated daemons. Each fault (kill the stream's leader while every roster changes,
# then restart it; SIGSTOP the leader, then SIGCONT; restart a bridge while the leader is down)
# runs N times on the same cluster (default 5), each time on whichever server then leads the
# stream. CI (scripts/test.sh) runs each once. Runs through scripts/test.sh (it installs
# nats-server); prints "N passed, N failed" last and exits non-zero on a failure.
set -euo pipefail

# shellcheck disable=SC2034 # read by rb_log in lib/common.sh
RB_LOG_TAG="cluster"
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROSTERBRIDGE_ROOT"

rounds=5
while [ "$#" -gt 0 ]; do
    case "$1" in
    --rounds) rounds="${2:?--rounds needs a number}"; shift 2 ;;
    -h | --help) sed -n '3,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) rb_log "unknown argument: $1"; exit 2 ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { rb_die "--rounds: '$rounds' is not a whole number from 1"; exit 2; }

export ROSTERBRIDGE_CLUSTER_ROUNDS="$rounds"
export ROSTERBRIDGE_TEST_RESULTS_DIR="${ROSTERBRIDGE_TEST_RESULTS_DIR:-$ROSTERBRIDGE_ROOT/artifacts/cluster}"
rb_log "cluster tests, $rounds round(s) of each fault; results in $ROSTERBRIDGE_TEST_RESULTS_DIR"
exec bash "$ROSTERBRIDGE_ROOT/scripts/test.sh" --filter 'FullyQualifiedName~RosterBridge.IntegrationTests.Cluster'
