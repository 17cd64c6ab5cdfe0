#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The project's test command: runs every test project of RosterBridge.sln, the integration
# tests against real brokers (mosquitto, nats-server) in containers through Testcontainers.
#
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Brokers]
#
# On a machine without a Docker engine (this project's dev and CI machines: Debian, root) it
#   1. installs what is missing: podman runc mosquitto nats-server curl (apt-get), prometheus
#      (promtool and the server, for the metrics tests), docker-compose,
#      python3-jinja2 wherever no python3 has Jinja2, and nodejs npm where there is no node or npm,
#   2. sources scripts/podman-service.sh: local broker images, a Podman API service on
#      .run/podman.sock, and the environment Testcontainers needs,
# and with a reachable Docker engine (or DOCKER_HOST set) it uses that and the official images.
# Then it runs `dotnet test RosterBridge.sln -c Release --logger trx`, sums the counters of
# the TRX files and prints, as its last line, "N passed, N failed". It exits non-zero if
# dotnet test failed, a test failed, or no test ran.
#
# The chaos campaign's summary (tests/RosterBridge.IntegrationTests/Chaos) is printed before that line.
#
# Settings: ROSTERBRIDGE_TEST_RESULTS_DIR (default artifacts/test-results; emptied first),
# ROSTERBRIDGE_TEST_TIMEOUT_MINUTES (default 60), ROSTERBRIDGE_KEEP_PODMAN=1 (leave a Podman
# service this script started running), and those of scripts/podman-service.sh.
set -euo pipefail

# shellcheck disable=SC2034 # read by rb_log in lib/common.sh
RB_LOG_TAG="test"
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROSTERBRIDGE_ROOT"

started_at=$SECONDS
results_dir="${ROSTERBRIDGE_TEST_RESULTS_DIR:-$ROSTERBRIDGE_ROOT/artifacts/test-results}"
timeout_minutes="${ROSTERBRIDGE_TEST_TIMEOUT_MINUTES:-60}"
# The chaos campaign writes its summary and logs there (scripts/chaos.sh's settings are read by the
# test itself); absolute, since the tests run in their own directory.
export ROSTERBRIDGE_CHAOS_DIR="${ROSTERBRIDGE_CHAOS_DIR:-$results_dir}"
[[ "$ROSTERBRIDGE_CHAOS_DIR" = /* ]] || ROSTERBRIDGE_CHAOS_DIR="$ROSTERBRIDGE_ROOT/$ROSTERBRIDGE_CHAOS_DIR"
export ROSTERBRIDGE_TEST_RUN_ID="${ROSTERBRIDGE_TEST_RUN_ID:-$(date +%Y%m%d%H%M%S)-$$}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { rb_die "dotnet is not on PATH"; exit 1; }

# --- 1. what the container set-up needs ------------------------------------------------
engine="${ROSTERBRIDGE_TEST_ENGINE:-auto}"
use_podman=1
if [ "$engine" = docker ]; then
    use_podman=0
elif [ "$engine" = auto ]; then
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$ROSTERBRIDGE_RUN_DIR/podman.sock" ]; then
        use_podman=0
    elif [ -z "${DOCKER_HOST:-}" ] && rb_docker_engine_reachable; then
        use_podman=0
    fi
fi
if [ "$use_podman" = 1 ]; then
    rb_apt_ensure podman runc mosquitto nats-server curl util-linux
fi
# The metrics tests check the exposition with promtool and scrape it with a Prometheus server.
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    rb_apt_ensure prometheus
fi
# docker-compose.yml is checked with the distribution's docker-compose (`docker-compose config`).
rb_apt_ensure docker-compose
# The KV mode tests read the bucket with nats.js as well (their fixture runs npm ci from the lock file
# in tests/RosterBridge.IntegrationTests/KvClient).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    rb_apt_ensure nodejs npm
fi
# The NATS cluster tests (tests/RosterBridge.IntegrationTests/Cluster) run nats-server as processes, whatever the engine.
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || rb_apt_ensure nats-server
# The Home Assistant tests render discovery's templates with the real Jinja2.
if ! python3 -c 'import jinja2' 2>/dev/null && ! /usr/bin/python3 -c 'import jinja2' 2>/dev/null; then
    rb_apt_ensure python3-jinja2
fi

# --- 2. container engine ----------------------------------------------------------------
cleaned_up=0
cleanup() {
    [ "$cleaned_up" = 1 ] && return 0
    cleaned_up=1
    if [ "$use_podman" = 1 ] && command -v podman >/dev/null; then
        # Containers a crashed test host left behind (Ryuk, which would remove them, is off).
        local left
        left="$(podman ps -aq --filter "label=org.rosterbridge.test-run=$ROSTERBRIDGE_TEST_RUN_ID" 2>/dev/null || true)"
        if [ -n "$left" ]; then
            rb_log "removing containers left by this run: $(echo "$left" | tr '\n' ' ')"
            # shellcheck disable=SC2086
            podman rm -f -t 2 $left >/dev/null 2>&1 || true
        fi
    fi
    if [ "${ROSTERBRIDGE_PODMAN_SERVICE_STARTED:-}" = 1 ] && [ "${ROSTERBRIDGE_KEEP_PODMAN:-}" != 1 ]; then
        bash "$ROSTERBRIDGE_ROOT/scripts/podman-service.sh" --stop || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$use_podman" = 1 ]; then
    # shellcheck source=podman-service.sh
    . "$ROSTERBRIDGE_ROOT/scripts/podman-service.sh"
else
    rb_log "using the Docker engine at ${DOCKER_HOST:-the default socket}; images are pulled"
fi

# --- 3. tests ---------------------------------------------------------------------------
rm -rf "$results_dir"
mkdir -p "$results_dir"
rm -f "$ROSTERBRIDGE_CHAOS_DIR/chaos-summary.txt" # only this run's
rb_log "dotnet test RosterBridge.sln (results in $results_dir, run id $ROSTERBRIDGE_TEST_RUN_ID)"
test_rc=0
timeout --kill-after=60 "$((timeout_minutes * 60))" \
    dotnet test RosterBridge.sln -c Release --logger trx --results-directory "$results_dir" "$@" \
    || test_rc=$?
if [ "$test_rc" = 124 ] || [ "$test_rc" = 137 ]; then
    rb_log "dotnet test did not finish within $timeout_minutes minutes"
fi

if [ -f "$ROSTERBRIDGE_CHAOS_DIR/chaos-summary.txt" ]; then
    rb_log "chaos campaign (logs in $ROSTERBRIDGE_CHAOS_DIR):"
    cat "$ROSTERBRIDGE_CHAOS_DIR/chaos-summary.txt" >&2
fi

# The benchmarks, once each in a few seconds: they must run, and nothing about timing is asserted.
bench_rc=0
if [ "$#" = 0 ]; then
    rb_log "benchmarks, smoke mode"
    timeout --kill-after=30 600 dotnet run -c Release --project bench/RosterBridge.Benchmarks -- --smoke >&2 || bench_rc=$?
    if [ -d bench/RosterBridge.Load ]; then
        # dotnet test -c Release built the bridge beside its project.
        timeout --kill-after=30 600 dotnet run -c Release --project bench/RosterBridge.Load -- --smoke \
            --jit src/RosterBridge/bin/Release/net10.0/RosterBridge.dll >&2 || bench_rc=$?
        # The fan-in measurement's smoke form: three bridges into a three-server cluster, seconds.
        timeout --kill-after=30 600 dotnet run -c Release --project bench/RosterBridge.Load -- --smoke --fan-in 3 \
            --jit src/RosterBridge/bin/Release/net10.0/RosterBridge.dll >&2 || bench_rc=$?
    fi
fi

cleanup

# --- 4. summary (the last line) ---------------------------------------------------------
# Sums the <Counters .../> element of each TRX file; "failed" counts error, timeout and
# aborted results too. A TRX file without it counts as one failure.
counter() { # counter NAME ELEMENT -> the attribute's value, 0 if absent
    if [[ "$2" =~ [[:space:]]$1=\"([0-9]+)\" ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}
trx_files=0 total=0 passed=0 failed=0
while IFS= read -r -d '' trx; do
    trx_files=$((trx_files + 1))
    element="$(grep -o '<Counters [^>]*>' "$trx" | head -n1 || true)"
    if [ -z "$element" ]; then
        rb_log "no <Counters> element in $trx"
        failed=$((failed + 1))
        continue
    fi
    total=$((total + $(counter total "$element")))
    passed=$((passed + $(counter passed "$element")))
    failed=$((failed + $(counter failed "$element") + $(counter error "$element") \
        + $(counter timeout "$element") + $(counter aborted "$element")))
done < <(find "$results_dir" -name '*.trx' -type f -print0)

# A test project that ran leaves a TRX file; fewer files than test projects means lost results.
expected_trx=0
while read -r project; do
    if grep -qE '<IsTestProject>true|Microsoft\.NET\.Test\.Sdk' "$project" 2>/dev/null; then
        expected_trx=$((expected_trx + 1))
    fi
done < <(sed -nE 's/^Project\([^)]*\) = "[^"]*", "([^"]*\.csproj)".*/\1/p' RosterBridge.sln | tr '\134' '/')

# The failed tests by name, last before the totals, so that the tail of a CI log says which.
failed_names="$(find "$results_dir" -name '*.trx' -type f -exec grep -ho '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"[^>]*>' {} + 2>/dev/null \
    | sed -nE 's/.*testName="([^"]*)".*/\1/p' | head -n 20 || true)"

elapsed=$((SECONDS - started_at))
rb_log "$trx_files TRX file(s), $total test(s); dotnet test exit code $test_rc; ${elapsed}s in all"
status=0
if [ "$test_rc" != 0 ]; then
    rb_log "FAILED: dotnet test exited with $test_rc"
    status=1
fi
if [ "$bench_rc" != 0 ]; then
    rb_log "FAILED: a benchmark smoke run exited with $bench_rc"
    status=1
fi
if [ "$failed" != 0 ]; then
    rb_log "FAILED: $failed test(s) failed"
    while IFS= read -r name; do
        [ -n "$name" ] && rb_log "  failed: $name"
    done <<<"$failed_names"
    status=1
fi
if [ "$test_rc" = 0 ] && [ "$trx_files" -lt "$expected_trx" ]; then
    rb_log "FAILED: $expected_trx test projects but only $trx_files TRX file(s) in $results_dir"
    status=1
fi
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
    rb_log "FAILED: no test ran"
    status=1
fi
echo "$passed passed, $failed failed"
exit "$status"
