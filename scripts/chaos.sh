#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The randomized fault campaign against real brokers, for as long as you like:
#
#   scripts/chaos.sh [--minutes N | --seconds N] [--seed N] [--stop-at-first-failure] [--no-race]
#                    [--only KIND,KIND...]
#
# A seeded schedule of broker kills (with and without their store), broker pauses, daemon
# restarts with a changed roster, daemon drops, bridge SIGKILLs, bursts, and combinations of
# them, against `rosterbridge run` as its own process; after each fault both brokers must equal
# the daemon's roster. It is the test tests/RosterBridge.IntegrationTests/Chaos/ChaosCampaignTests,
# run through scripts/test.sh (same container set-up) with the long settings: by default 10
# minutes, a random seed, and going on after a failure to find more than one.
# Every test run (scripts/test.sh, CI) runs the same campaign's short mode: one round, ~60-90 s.
#
# Prints each fault as it goes, then the summary: the seed, the faults survived by kind, the
# median and worst recovery time, the events emitted, and every failure with the seed that
# reproduces it (--seed N runs the same schedule again). Summary, progress log and the bridge's
# log at each failure: artifacts/chaos/ (ROSTERBRIDGE_CHAOS_RESULTS_DIR). Exits non-zero on a failure.
# --no-race makes no roster changes at the moment a fault ends (while the bridge reconnects and
# replays), to look past a failure of that race for others. --only runs rounds of these kinds alone
# (e.g. --only mqtt-kill,bridge-kill; a wrong name lists them all).
set -euo pipefail

# shellcheck disable=SC2034 # read by rb_log in lib/common.sh
RB_LOG_TAG="chaos"
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROSTERBRIDGE_ROOT"

usage() { sed -n '3,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

seconds=600 seed="" keep_going=1 race=1 kinds=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --minutes) seconds=$(( ${2:?--minutes needs a number} * 60 )); shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --stop-at-first-failure) keep_going=0; shift ;;
    --no-race) race=0; shift ;;
    --only) kinds="${2:?--only needs kind names}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) rb_log "unknown argument: $1"; usage; exit 2 ;;
    esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { rb_die "--seconds/--minutes: '$seconds' is not a whole number"; exit 2; }
[ -z "$seed" ] || [[ "$seed" =~ ^-?[0-9]+$ ]] || { rb_die "--seed: '$seed' is not a whole number"; exit 2; }

results="${ROSTERBRIDGE_CHAOS_RESULTS_DIR:-$ROSTERBRIDGE_ROOT/artifacts/chaos}"
export ROSTERBRIDGE_CHAOS_SECONDS="$seconds" ROSTERBRIDGE_CHAOS_KEEP_GOING="$keep_going" ROSTERBRIDGE_CHAOS_RACE="$race"
export ROSTERBRIDGE_CHAOS_KINDS="$kinds"
export ROSTERBRIDGE_TEST_RESULTS_DIR="$results" ROSTERBRIDGE_CHAOS_DIR="$results"
if [ -n "$seed" ]; then
    export ROSTERBRIDGE_CHAOS_SEED="$seed"
else
    unset ROSTERBRIDGE_CHAOS_SEED
fi
# The campaign ends the fault it is in when the time is up, and a failure may take a minute more
# (the bounded wait for convergence, then a new bridge): far inside this.
export ROSTERBRIDGE_TEST_TIMEOUT_MINUTES=$(( seconds / 60 + 30 ))

rb_log "chaos campaign: ${seconds} s, seed ${seed:-random}, $([ "$keep_going" = 1 ] && echo "going on after failures" || echo "stopping at the first failure"); results in $results"
# Each fault as it goes (test.sh empties the directory first; -F follows the new file).
tail -n +1 -F --pid=$$ "$results/chaos-progress.log" 2>/dev/null >&2 &
follower=$!
stop_follower() { kill "$follower" 2>/dev/null || true; }
trap stop_follower EXIT

status=0
bash "$ROSTERBRIDGE_ROOT/scripts/test.sh" --filter 'FullyQualifiedName~RosterBridge.IntegrationTests.Chaos' || status=$?
stop_follower
if [ -f "$results/chaos-summary.txt" ]; then
    printf '\n' >&2
    cat "$results/chaos-summary.txt"
else
    rb_log "no summary was written (see $results)"
    [ "$status" != 0 ] || status=1
fi
exit "$status"
