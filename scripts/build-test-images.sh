#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the local broker images the integration tests use when no image can be pulled:
#   localhost/rosterbridge-test-mosquitto:<version>  from Debian's /usr/sbin/mosquitto
#   localhost/rosterbridge-test-nats:<version>       from Debian's nats-server
# Each image is FROM scratch: the binary, the libraries ldd lists, and a config file
# (scripts/images/<name>/). Idempotent: the staged root file system is hashed, and an
# image whose label carries the same hash is kept as it is.
#
# Needs podman, mosquitto and nats-server installed (scripts/test.sh installs them).
# Honours CONTAINERS_CONF (scripts/podman-service.sh writes one; without it this script
# writes the same file itself, since podman's defaults fail on this kind of host).
set -euo pipefail

# shellcheck disable=SC2034 # read by rb_log in lib/common.sh
RB_LOG_TAG="build-test-images"
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/containers-conf.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/containers-conf.sh"

command -v podman >/dev/null || { rb_die "podman is not installed (apt-get install podman runc)"; exit 1; }
rb_write_containers_conf
export CONTAINERS_CONF="${CONTAINERS_CONF:-$RB_CONTAINERS_CONF}"

# stage_libs BINARY ROOTFS: copies the binary's shared libraries (and the loader) into ROOTFS
# at the paths ldd prints, dereferencing symlinks.
stage_libs() {
    local binary="$1" rootfs="$2" lib
    local ldd_out
    ldd_out="$(ldd "$binary")" || { rb_die "ldd $binary failed"; return 1; }
    if grep -q 'not found' <<<"$ldd_out"; then
        rb_die "ldd $binary: a library is missing:"$'\n'"$ldd_out"
        return 1
    fi
    # "libx.so => /path (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)"; skip linux-vdso.
    while read -r lib; do
        [ -n "$lib" ] || continue
        mkdir -p "$rootfs$(dirname "$lib")"
        cp -L "$lib" "$rootfs$lib"
    done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out" | sort -u)
}

# build_image NAME TAG: builds from scripts/images/NAME/Containerfile and the staged
# rootfs in .run/images/NAME, unless TAG already carries the same content hash.
build_image() {
    local name="$1" tag="$2" context="$ROSTERBRIDGE_RUN_DIR/images/$1"
    local containerfile="$ROSTERBRIDGE_ROOT/scripts/images/$name/Containerfile"
    local hash existing old_id
    hash="$( { (cd "$context" && find rootfs -type f -print0 | sort -z | xargs -0 -r sha256sum)
               (cd "$context" && find rootfs -printf '%p %m %y\n' | sort)
               cat "$containerfile"; } | sha256sum | cut -d' ' -f1)"
    existing="$(podman image inspect --format '{{index .Labels "org.rosterbridge.test-image.source-sha256"}}' "$tag" 2>/dev/null || true)"
    if [ "$existing" = "$hash" ]; then
        rb_log "$tag is up to date"
        return 0
    fi
    old_id="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    rb_log "building $tag"
    podman build --quiet --pull=never --layers=false --build-arg "SOURCE_SHA256=$hash" \
        -f "$containerfile" -t "$tag" "$context" >&2 \
        || { rb_die "podman build of $tag failed"; return 1; }
    # The previous build of this tag is now untagged; drop it unless a container still uses it.
    if [ -n "$old_id" ]; then
        podman rmi "$old_id" >/dev/null 2>&1 || true
    fi
}

stage_mosquitto() {
    local binary rootfs="$ROSTERBRIDGE_RUN_DIR/images/mosquitto/rootfs"
    binary="$(dpkg -L mosquitto 2>/dev/null | grep -E '/s?bin/mosquitto$' | head -n1)"
    [ -x "$binary" ] || { rb_die "mosquitto binary not found (apt-get install mosquitto)"; return 1; }
    rm -rf "$rootfs" && mkdir -p "$rootfs/usr/sbin" "$rootfs/etc" "$rootfs/mosquitto/config" \
        "$rootfs/mosquitto/data" "$rootfs/mosquitto/log" "$rootfs/tmp"
    chmod 1777 "$rootfs/tmp"
    cp -L "$binary" "$rootfs/usr/sbin/mosquitto"
    stage_libs "$binary" "$rootfs"
    cp "$ROSTERBRIDGE_ROOT/scripts/images/mosquitto/mosquitto.conf" "$rootfs/mosquitto/config/mosquitto.conf"
    printf 'root:x:0:0:root:/root:/nonexistent\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$rootfs/etc/group"
}

stage_nats() {
    local binary rootfs="$ROSTERBRIDGE_RUN_DIR/images/nats/rootfs"
    binary="$(dpkg -L nats-server 2>/dev/null | grep -E '/s?bin/nats-server$' | head -n1)"
    [ -x "$binary" ] || { rb_die "nats-server binary not found (apt-get install nats-server)"; return 1; }
    rm -rf "$rootfs" && mkdir -p "$rootfs/data" "$rootfs/tmp" "$rootfs/etc"
    chmod 1777 "$rootfs/tmp"
    cp -L "$binary" "$rootfs/nats-server"
    stage_libs "$binary" "$rootfs"
    cp "$ROSTERBRIDGE_ROOT/scripts/images/nats/nats-server.conf" "$rootfs/nats-server.conf"
    printf 'root:x:0:0:root:/root:/nonexistent\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$rootfs/etc/group"
}

stage_mosquitto
build_image mosquitto "$(rb_mosquitto_image)"
stage_nats
build_image nats "$(rb_nats_image)"
