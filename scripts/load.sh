#!/usr/bin/env bash
# The end-to-end load run, in one command: real mosquitto and nats-server on loopback, the vmsig
# daemon emulator, and the bridge as its own process, JIT and Native AOT, coalescing and per-event.
#
#   bash scripts/load.sh            # full: bursts of 10^5 and 10^6 events, 30 s trickle (about 20 min)
#   bash scripts/load.sh --quick    # bursts of 10^4 and 10^5, 5 s trickle
#   bash scripts/load.sh --smoke    # seconds; checks that everything works, asserts nothing about timing
#   bash scripts/load.sh --no-aot   # skip the Native AOT publish and run the JIT build only
#   bash scripts/load.sh --fan-in 30 [--fan-in-events 10000]
#                                   # instead: 30 bridges (AOT, else JIT) with their own daemons bursting at
#                                   # once into a three-server NATS cluster (R3), beside one bridge alone
#   (any other option goes to the load tool: bench/RosterBridge.Load/LoadOptions.cs lists them)
#
# Installs what is missing with apt (mosquitto, nats-server; gcc for the AOT link, through
# scripts/publish-aot.sh), builds Release into artifacts/load/build (its own folder, so a build
# in progress elsewhere in the tree is not disturbed), publishes AOT into artifacts/publish-aot,
# and runs bench/RosterBridge.Load. The table goes to stdout, and a copy with a JSON of every figure
# and the processes' logs to artifacts/load/. Exit code: the load tool's (0 ran through,
# 1 something broke, 2 bad usage, 130 interrupted).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
. "$root/scripts/lib/common.sh"
RB_LOG_TAG=load

aot=1
args=()
for arg in "$@"; do
    case "$arg" in
        --no-aot) aot=0 ;;
        *) args+=("$arg") ;;
    esac
done

rb_apt_ensure mosquitto nats-server
command -v dotnet >/dev/null || rb_die "dotnet is not on PATH (the .NET 10 SDK is needed)"

out="$root/artifacts/load"
build="$out/build"
mkdir -p "$out"

rb_log "building the bridge and the load tool (Release)"
for project in src/RosterBridge bench/RosterBridge.Load; do
    dotnet build "$root/$project" -c Release --artifacts-path "$build" -nologo -v quiet >"$out/build.log" 2>&1 \
        || { cat "$out/build.log" >&2; rb_die "build of $project failed"; }
done
jit="$build/bin/RosterBridge/release/RosterBridge.dll"
tool="$build/bin/RosterBridge.Load/release/RosterBridge.Load.dll"
[ -f "$jit" ] && [ -f "$tool" ] || rb_die "the build left no $jit or $tool"

bridges=(--jit "$jit")
if [ "$aot" = 1 ]; then
    rb_log "publishing the Native AOT binary (scripts/publish-aot.sh)"
    bash "$root/scripts/publish-aot.sh" >"$out/publish-aot.log" 2>&1 \
        || { tail -n 40 "$out/publish-aot.log" >&2; rb_die "the AOT publish failed (log: $out/publish-aot.log)"; }
    bridges+=(--aot "$root/artifacts/publish-aot/RosterBridge")
fi

rb_log "running the load tool; progress below, the table on stdout"
# The tool stops every process it started, on Ctrl+C and SIGTERM too; exec passes them straight to it.
exec dotnet "$tool" "${bridges[@]}" --out "$out" "${args[@]}"
