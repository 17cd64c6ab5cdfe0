#!/usr/bin/env bash
# The main job, end to end on this machine: real mosquitto and nats-server, a simulated vmsig
# daemon, and `rosterbridge run` between them; then shows what a late subscriber sees.
#
#   bash scripts/demo.sh
#
# Installs mosquitto and nats-server from the distribution when missing (needs root for that).
# Everything runs under .run/demo and is stopped when the script ends. Settings:
#   DEMO_MQTT_PORT (default 18830), DEMO_NATS_PORT (default 14222), DEMO_SECONDS (live phase, 8)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
. "$root/scripts/lib/common.sh"
RB_LOG_TAG=demo

mqtt_port="${DEMO_MQTT_PORT:-18830}"
nats_port="${DEMO_NATS_PORT:-14222}"
live_seconds="${DEMO_SECONDS:-8}"
dir="$root/.run/demo"
node=demo

rb_apt_ensure mosquitto nats-server curl
command -v dotnet >/dev/null || rb_die "dotnet is not on PATH (the .NET 10 SDK is needed)"

rm -rf "$dir" && mkdir -p "$dir/nats"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

rb_log "building rosterbridge and rosterbridge-sim"
# The simulator's project references the bridge's, so one build puts both programs in $dir/bin.
dotnet build "$root/tools/RosterBridge.Simulator" -c Release -o "$dir/bin" -nologo -v quiet >"$dir/build.log" 2>&1 \
    || { cat "$dir/build.log" >&2; rb_die "build failed"; }
rosterbridge=(dotnet "$dir/bin/RosterBridge.dll")
simulator=(dotnet "$dir/bin/rosterbridge-sim.dll")

cat >"$dir/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence false
CONF
/usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 & pids+=($!)
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$dir/nats" >"$dir/nats.log" 2>&1 & pids+=($!)

# Waits (bounded) until a TCP port accepts connections.
wait_port() {
    local port=$1 i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    rb_die "nothing listens on 127.0.0.1:$port (see $dir/*.log)"
}
wait_port "$mqtt_port"
wait_port "$nats_port"
rb_log "mosquitto on 127.0.0.1:$mqtt_port, nats-server (JetStream) on 127.0.0.1:$nats_port"

"${simulator[@]}" --listen "unix://$dir/vmsig.sock" --seed 7 --vms 10 --rate 4 >"$dir/simulator.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do [ -S "$dir/vmsig.sock" ] && break; sleep 0.1; done
[ -S "$dir/vmsig.sock" ] || rb_die "the simulated daemon did not start (see $dir/simulator.log)"

# The bridge is configured through its four documented variables only.
ROSTERBRIDGE_NODE=$node \
ROSTERBRIDGE_DAEMON__ENDPOINT="unix://$dir/vmsig.sock" \
ROSTERBRIDGE_MQTT__URL="mqtt://127.0.0.1:$mqtt_port" \
ROSTERBRIDGE_NATS__URL="nats://127.0.0.1:$nats_port" \
    "${rosterbridge[@]}" run >"$dir/bridge.log" 2>&1 & pids+=($!)

rb_log "bridge running; the simulated daemon changes the roster for ${live_seconds}s"
sleep "$live_seconds"
rb_log "bridge log:"
sed 's/^/    /' "$dir/bridge.log" >&2
rb_log "last simulator events:"
tail -n 8 "$dir/simulator.log" | sed 's/^/    /' >&2

# The simulator keeps changing the roster: stop it, so that what the brokers hold can be compared
# with the daemon's final roster, and wait (bounded) until the bridge has published everything.
kill -TERM "${pids[2]}" 2>/dev/null || true
wait "${pids[2]}" 2>/dev/null || true
for _ in $(seq 1 100); do
    pending="$(curl -s "http://127.0.0.1:8089/readyz" | grep -o '"pending":[0-9]*' | grep -vc '"pending":0' || true)"
    [ "$pending" = 0 ] && break
    sleep 0.1
done

echo
echo "The daemon's roster at the end (from the simulator):"
sed -n '/its roster at the end:/,$p' "$dir/simulator.log" | tail -n +2
echo
echo "What a subscriber connecting now gets (rosterbridge show):"
"${rosterbridge[@]}" show --node $node --mqtt "mqtt://127.0.0.1:$mqtt_port" --nats "nats://127.0.0.1:$nats_port"
