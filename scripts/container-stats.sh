#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# What a running bridge container costs: its image's size, and its process's resident memory and
# CPU over a window, read from the host's /proc (as root, with Podman or Docker).
#
#   scripts/container-stats.sh CONTAINER [SECONDS]     # default 30 s
#
# Prints: image size (MB), RSS at the end and its peak (VmHWM) in MiB, CPU seconds used in the window
# and the average share of one core. Idle means: the bridge connected and synced, no roster changes.
set -euo pipefail

container="${1:?usage: $0 CONTAINER [SECONDS]}"
seconds="${2:-30}"
engine="${ROSTERBRIDGE_ENGINE:-$(command -v podman || command -v docker)}"
[ -n "$engine" ] || { echo "neither podman nor docker is installed" >&2; exit 1; }

pid="$("$engine" inspect --format '{{.State.Pid}}' "$container")"
image="$("$engine" inspect --format '{{.Image}}' "$container")"
[ "$pid" -gt 0 ] 2>/dev/null || { echo "$container is not running" >&2; exit 1; }
ticks="$(getconf CLK_TCK)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; } # utime + stime
kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$pid/status"; }

before="$(cpu_ticks)"
sleep "$seconds"
after="$(cpu_ticks)"

size="$("$engine" image inspect --format '{{.Size}}' "$image")"
awk -v size="$size" -v rss="$(kib VmRSS)" -v hwm="$(kib VmHWM)" -v used="$((after - before))" -v hz="$ticks" -v s="$seconds" 'BEGIN {
    printf "image size: %.1f MB\n", size / 1e6
    printf "RSS: %.1f MiB (peak %.1f MiB)\n", rss / 1024, hwm / 1024
    printf "CPU over %d s: %.2f s, %.2f%% of one core\n", s, used / hz, 100 * used / hz / s
}'
