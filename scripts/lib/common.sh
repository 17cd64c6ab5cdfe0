# shellcheck shell=bash
# Helpers shared by the test scripts. Meant to be sourced; defines functions and
# variables only and changes no shell options, so it is safe in an interactive shell.

ROSTERBRIDGE_ROOT="${ROSTERBRIDGE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
ROSTERBRIDGE_RUN_DIR="${ROSTERBRIDGE_RUN_DIR:-$ROSTERBRIDGE_ROOT/.run}"

rb_log() { printf '[%s] %s\n' "${RB_LOG_TAG:-rosterbridge}" "$*" >&2; }
rb_die() { rb_log "error: $*"; return 1; }

# rb_upstream_version PACKAGE -> "2.0.11" for a Debian version "2.0.11-1.2+deb12u2".
rb_upstream_version() {
    local v
    v="$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null)" || return 1
    v="${v#*:}"          # epoch
    v="${v%-*}"          # Debian revision
    v="${v%%+*}"         # +ds, +dfsg...
    printf '%s\n' "$v"
}

rb_mosquitto_image() { printf 'localhost/rosterbridge-test-mosquitto:%s\n' "$(rb_upstream_version mosquitto || echo latest)"; }
rb_bridge_image() { printf '%s\n' "${ROSTERBRIDGE_TEST_BRIDGE_IMAGE:-localhost/rosterbridge:test}"; }
rb_simulator_image() { printf 'localhost/rosterbridge-sim:test\n'; }
rb_nats_image() { printf 'localhost/rosterbridge-test-nats:%s\n' "$(rb_upstream_version nats-server || echo latest)"; }

# rb_apt_ensure PACKAGE... : installs the Debian packages that are not installed yet.
rb_apt_ensure() {
    local missing=() p
    for p in "$@"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then
            missing+=("$p")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        rb_die "missing packages: ${missing[*]} (run as root or install them: apt-get install ${missing[*]})"
        return 1
    fi
    rb_log "installing: ${missing[*]}"
    local apt_opts=(-o DPkg::Lock::Timeout=600 -q)
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2 \
        || { rb_die "apt-get update failed"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${missing[@]}" >&2 \
        || { rb_die "apt-get install ${missing[*]} failed"; return 1; }
}

# rb_docker_engine_reachable: true when a real Docker engine answers with the user's own
# settings (default socket or the user's DOCKER_HOST).
rb_docker_engine_reachable() {
    command -v docker >/dev/null 2>&1 || return 1
    timeout 15 docker info >/dev/null 2>&1
}
