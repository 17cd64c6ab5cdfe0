# shellcheck shell=bash
# Writes the project-local containers.conf that makes podman work on this kind of host:
# crun fails on its hybrid cgroups (so runc with the cgroupfs manager), and a container
# may not set RLIMIT_NOFILE (so no default ulimits). Sourced after lib/common.sh.

RB_CONTAINERS_CONF="$ROSTERBRIDGE_RUN_DIR/containers.conf"

rb_write_containers_conf() {
    mkdir -p "$ROSTERBRIDGE_RUN_DIR" || return 1
    local tmp="$RB_CONTAINERS_CONF.$$"
    cat >"$tmp" <<'CONF' || return 1
# Written by scripts/lib/containers-conf.sh; rewritten on every run.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
    mv -f "$tmp" "$RB_CONTAINERS_CONF"
}
