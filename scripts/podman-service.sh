#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Points Testcontainers at a Podman API service when no Docker engine is reachable.
#
#   source scripts/podman-service.sh       # sets the variables in this shell
#   eval "$(scripts/podman-service.sh)"    # the same from another shell: prints export lines
#   scripts/podman-service.sh --stop       # stops the service this script started
#
# What it does, unless a real Docker engine answers (`docker info`) or DOCKER_HOST is
# already set by the user, in which case it changes nothing and the tests pull the
# official images (eclipse-mosquitto:2, nats:2.10):
#   - writes .run/containers.conf (runc, cgroupfs, no default ulimits) -> CONTAINERS_CONF
#   - builds the local broker images if needed (scripts/build-test-images.sh)
#   - starts `podman system service` on .run/podman.sock unless it already answers,
#     and waits (bounded) until it answers
#   - exports DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED=true (Ryuk's image cannot be had),
#     TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (the ports are published on this host; without it
#     Testcontainers, seeing /.dockerenv, would use the container network's gateway), CONTAINERS_CONF,
#     ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE and ROSTERBRIDGE_TEST_NATS_IMAGE (these three only when not
#     set already), and ROSTERBRIDGE_PODMAN_SERVICE_STARTED=1 when this call started the service.
#
# Settings: ROSTERBRIDGE_TEST_ENGINE=auto|podman|docker (default auto; podman forces the
# Podman set-up even when DOCKER_HOST is set or Docker answers), ROSTERBRIDGE_PODMAN_WAIT_SECONDS
# (default 60), ROSTERBRIDGE_SKIP_IMAGE_BUILD=1.
#
# Needs podman and runc (and mosquitto, nats-server for the images): scripts/test.sh
# installs them. When sourced it changes no shell option and never exits the shell.

_rb_ps_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
. "$_rb_ps_dir/lib/common.sh"
# shellcheck source=lib/containers-conf.sh
. "$_rb_ps_dir/lib/containers-conf.sh"

_RB_PODMAN_SOCK="$ROSTERBRIDGE_RUN_DIR/podman.sock"
_RB_PODMAN_PIDFILE="$ROSTERBRIDGE_RUN_DIR/podman-service.pid"
_RB_PODMAN_LOG="$ROSTERBRIDGE_RUN_DIR/podman-service.log"

_rb_podman_ping() {
    [ -S "$_RB_PODMAN_SOCK" ] || return 1
    [ "$(curl -fsS --max-time 3 --unix-socket "$_RB_PODMAN_SOCK" http://d/_ping 2>/dev/null)" = "OK" ]
}

# Prints the pid in the pid file if that process is our podman service.
_rb_podman_service_pid() {
    local pid
    [ -f "$_RB_PODMAN_PIDFILE" ] || return 1
    pid="$(cat "$_RB_PODMAN_PIDFILE" 2>/dev/null)" || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline")" in
    *"system service "*"unix://$_RB_PODMAN_SOCK"*) ;;
    *) return 1 ;;
    esac
    printf '%s\n' "$pid"
}

_rb_podman_stop() {
    local pid i
    if ! pid="$(_rb_podman_service_pid)"; then
        rb_log "no podman service started by this script is running"
        rm -f "$_RB_PODMAN_PIDFILE"
        return 0
    fi
    rb_log "stopping podman service (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
        rb_log "podman service (pid $pid) did not stop within 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$_RB_PODMAN_PIDFILE" "$_RB_PODMAN_SOCK"
}

_rb_podman_start() {
    local wait_s="${ROSTERBRIDGE_PODMAN_WAIT_SECONDS:-60}" deadline pid
    ROSTERBRIDGE_PODMAN_SERVICE_STARTED=""
    if _rb_podman_ping; then
        rb_log "podman service already answers on $_RB_PODMAN_SOCK"
        return 0
    fi
    rm -f "$_RB_PODMAN_SOCK"
    # Detached (own session, no terminal, output to a log) so it outlives this script and
    # does not hold the stdout of `eval "$(...)"` open.
    CONTAINERS_CONF="$RB_CONTAINERS_CONF" setsid podman system service --time=0 "unix://$_RB_PODMAN_SOCK" \
        </dev/null >"$_RB_PODMAN_LOG" 2>&1 {_RB_LOCK_FD}>&- &
    pid=$!
    printf '%s\n' "$pid" >"$_RB_PODMAN_PIDFILE"
    rb_log "started podman service (pid $pid), waiting up to ${wait_s}s for $_RB_PODMAN_SOCK"
    deadline=$((SECONDS + wait_s))
    until _rb_podman_ping; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rb_die "podman service exited; its log ($_RB_PODMAN_LOG):"$'\n'"$(tail -n 30 "$_RB_PODMAN_LOG" 2>/dev/null)"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            rb_die "podman service did not answer on $_RB_PODMAN_SOCK within ${wait_s}s; log ($_RB_PODMAN_LOG):"$'\n'"$(tail -n 30 "$_RB_PODMAN_LOG" 2>/dev/null)"
            kill -TERM "$pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.2
    done
    ROSTERBRIDGE_PODMAN_SERVICE_STARTED=1
    rb_log "podman service answers"
}

# Sets _RB_EXPORTS to the NAME=VALUE pairs to export; returns non-zero on failure.
_rb_podman_service_main() {
    local engine="${ROSTERBRIDGE_TEST_ENGINE:-auto}" our_host="unix://$_RB_PODMAN_SOCK"
    _RB_EXPORTS=()
    case "$engine" in
    docker)
        rb_log "ROSTERBRIDGE_TEST_ENGINE=docker: leaving the Docker settings alone"
        return 0 ;;
    podman) ;;
    auto)
        if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$our_host" ]; then
            rb_log "DOCKER_HOST is set ($DOCKER_HOST): leaving it alone"
            return 0
        fi
        if [ -z "${DOCKER_HOST:-}" ] && rb_docker_engine_reachable; then
            rb_log "a Docker engine answers: leaving it alone (the tests pull the official images)"
            return 0
        fi ;;
    *)
        rb_die "ROSTERBRIDGE_TEST_ENGINE must be auto, podman or docker, not '$engine'"
        return 1 ;;
    esac

    local tool
    for tool in podman runc curl setsid; do
        command -v "$tool" >/dev/null 2>&1 \
            || { rb_die "$tool is not installed (scripts/test.sh installs it: apt-get install podman runc curl)"; return 1; }
    done
    rb_write_containers_conf || { rb_die "cannot write $RB_CONTAINERS_CONF"; return 1; }

    if [ "${ROSTERBRIDGE_SKIP_IMAGE_BUILD:-}" != "1" ]; then
        CONTAINERS_CONF="$RB_CONTAINERS_CONF" bash "$_rb_ps_dir/build-test-images.sh" || return 1
    fi

    # Serialises check-and-start between concurrent callers. The service must not inherit
    # this descriptor (it would hold the lock for its whole life): _rb_podman_start closes it.
    exec {_RB_LOCK_FD}>"$ROSTERBRIDGE_RUN_DIR/podman-service.lock"
    if ! flock -w 120 "$_RB_LOCK_FD"; then
        exec {_RB_LOCK_FD}>&-
        rb_die "could not lock $ROSTERBRIDGE_RUN_DIR/podman-service.lock within 120 s"
        return 1
    fi
    _rb_podman_start
    local rc=$?
    exec {_RB_LOCK_FD}>&-
    [ "$rc" -eq 0 ] || return "$rc"

    _RB_EXPORTS=(
        "DOCKER_HOST=$our_host"
        "TESTCONTAINERS_RYUK_DISABLED=true"
        "TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}"
        "CONTAINERS_CONF=$RB_CONTAINERS_CONF"
        "ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE=${ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE:-$(rb_mosquitto_image)}"
        "ROSTERBRIDGE_TEST_NATS_IMAGE=${ROSTERBRIDGE_TEST_NATS_IMAGE:-$(rb_nats_image)}"
    )
    if [ "$ROSTERBRIDGE_PODMAN_SERVICE_STARTED" = "1" ]; then
        _RB_EXPORTS+=("ROSTERBRIDGE_PODMAN_SERVICE_STARTED=1")
    fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced.
    if [ "${1:-}" = "--stop" ]; then
        _rb_podman_stop
    elif _rb_podman_service_main; then
        for _rb_kv in "${_RB_EXPORTS[@]}"; do
            export "${_rb_kv?}"
        done
        unset _rb_kv
    else
        return 1
    fi
else
    set -euo pipefail
    case "${1:-}" in
    --stop) _rb_podman_stop ;;
    "")
        _rb_podman_service_main
        for kv in "${_RB_EXPORTS[@]}"; do
            printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
        done ;;
    *) rb_die "usage: $0 [--stop]  (or: source $0)"; exit 2 ;;
    esac
fi
