#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the local broker images the integration tests use when no image can be pulled:
#   localhost/rosterbridge-test-mosquitto:<version>  from Debian's /usr/sbin/mosquitto
#   localhost/rosterbridge-test-nats:<version>       from Debian's nats-server
# Each image is FROM scratch: the binary, the libraries ldd lists, and a config file
# (scripts/images/<name>/). Idempotent: the staged root file system is hashed, and an
# image whose label carries the same hash is kept as it is.
#
#   scripts/build-test-images.sh --bridge   # instead: the repository's Dockerfile, built as CI builds it
# builds the bridge's image from the Dockerfile itself, its base images replaced by stand-ins
# (build arguments), and prints its tag (localhost/rosterbridge:test) on stdout:
#   localhost/rosterbridge-test-sdk:<dotnet version>   FROM scratch: the host's .NET SDK, Debian's
#       dash, coreutils, gcc, binutils and libc6-dev with their dependencies (the AOT toolchain), and
#       the NuGet packages the bridge's AOT restore resolves, copied from the host's NuGet cache
#       (restored first, on the host, from NuGet) into /root/.nuget/packages, as the SDK image's
#       restore would put them; a NuGet.Config that reads them as a local source;
#   localhost/rosterbridge-test-runtime-deps:<libc version>   FROM scratch: what the runtime-deps
#       image holds (libc6, libgcc-s1, libstdc++6, libssl3, zlib1g, the CA bundle) and the
#       user app (UID/GID 1654).
# The Dockerfile's stages then run unchanged (restore, AOT publish, the runtime stage), with
# --network=none: nothing comes from a registry. Also idempotent (a hash of the inputs).
# ROSTERBRIDGE_BRIDGE_TARGETS="bridge simulator" builds the simulator's stage too.
#
# Needs podman, mosquitto and nats-server installed (scripts/test.sh installs them); --bridge
# needs dotnet and gcc (or clang) on the host.
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

# build_image NAME TAG [ARG=VALUE]: builds from scripts/images/NAME/Containerfile and the staged
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
    podman build --quiet --pull=never --layers=false --build-arg "SOURCE_SHA256=$hash" ${3:+--build-arg "$3"} \
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

# --- the bridge's image (--bridge) ------------------------------------------------------------

# stage_packages ROOTFS PACKAGE...: every file of the installed Debian packages (dpkg -L) into
# ROOTFS, symlinks kept, in the merged-/usr layout of the host (bin -> usr/bin, ...).
stage_packages() {
    local rootfs="$1" d
    shift
    mkdir -p "$rootfs/usr"
    for d in bin sbin lib lib64; do
        if [ -L "/$d" ]; then
            mkdir -p "$rootfs/usr/$d" && ln -sfn "usr/$d" "$rootfs/$d"
        fi
    done
    dpkg -L "$@" | while IFS= read -r f; do
        if [ -L "$f" ] || [ -f "$f" ]; then printf '%s\n' "${f#/}"; fi
    done | sort -u >"$rootfs.files"
    tar -C / --no-recursion -cf - -T "$rootfs.files" | tar -C "$rootfs" --keep-directory-symlink -xf -
    rm -f "$rootfs.files"
}

# package_closure PACKAGE...: the installed packages these need (Depends, Pre-Depends), recursively.
package_closure() {
    apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^[ <]' | sort -u
}

stage_users() { # stage_users ROOTFS: root, and app (1654) as in the .NET images
    mkdir -p "$1/etc" "$1/tmp" && chmod 1777 "$1/tmp"
    printf 'root:x:0:0:root:/root:/nonexistent\napp:x:1654:1654:app:/home/app:/nonexistent\n' >"$1/etc/passwd"
    printf 'root:x:0:\napp:x:1654:\n' >"$1/etc/group"
}

stage_runtime_deps() {
    local rootfs="$ROSTERBRIDGE_RUN_DIR/images/runtime-deps/rootfs"
    rm -rf "$rootfs" && mkdir -p "$rootfs/etc/ssl/certs"
    stage_packages "$rootfs" libc6 libgcc-s1 libstdc++6 libssl3 zlib1g
    cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    stage_users "$rootfs"
    mkdir -p "$rootfs/home/app" && chown 1654:1654 "$rootfs/home/app"
}

# nuget_packages ASSETS_JSON...: "id/version" (lower case) of every package those restores use.
nuget_packages() {
    python3 - "$@" <<'PY'
import json, sys
seen = set()
for path in sys.argv[1:]:
    assets = json.load(open(path))
    for key, library in assets["libraries"].items():
        if library.get("type") == "package":
            seen.add(key.lower())
    for framework in assets["project"]["frameworks"].values():
        for download in framework.get("downloadDependencies", []):
            seen.add(f"{download['name']}/{download['version'].strip('[]').split(',')[0].strip()}".lower())
print("\n".join(sorted(seen)))
PY
}

# sdk_restore RID LIST: the host's restore, from NuGet, of what the Dockerfile's stages restore (the
# bridge and the simulator, AOT for RID); writes the "id/version" of every package they use to LIST.
sdk_restore() {
    local rid="$1" list="$2" project assets=()
    for project in src/RosterBridge/RosterBridge.csproj tools/RosterBridge.Simulator/RosterBridge.Simulator.csproj; do
        dotnet restore "$ROSTERBRIDGE_ROOT/$project" -r "$rid" -p:PublishAot=true \
            --artifacts-path "$ROSTERBRIDGE_ROOT/artifacts/aot" -nologo -v quiet >&2 \
            || { rb_die "dotnet restore $project -r $rid failed"; return 1; }
        assets+=("$ROSTERBRIDGE_ROOT/artifacts/aot/obj/$(basename "$project" .csproj)/project.assets.json")
    done
    nuget_packages "${assets[@]}" >"$list"
}

sdk_toolchain() { # the Debian packages of the SDK stand-in, before their dependencies
    local toolchain=(dash bash coreutils grep sed findutils tar binutils libc6-dev libssl3 zlib1g libstdc++6 libgcc-s1)
    # ICU, as in the SDK image (NuGet and MSBuild know the packages' resource cultures by it).
    toolchain+=("$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'libicu[0-9]*' 2>/dev/null | awk '$1 == "installed" { print $2; exit }')")
    if command -v clang >/dev/null; then toolchain+=(clang); else toolchain+=(gcc); fi
    package_closure "${toolchain[@]}"
}

# sdk_inputs_hash LIST: what the SDK stand-in is made of (the SDK's files, the packages' versions, the
# NuGet packages, this script and the Containerfile), hashed without staging a gigabyte first.
sdk_inputs_hash() {
    local dotnet_root
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    { (cd "$dotnet_root" && find . -printf '%p %s %m\n' | sort)
      # shellcheck disable=SC2046 # one package name per word
      dpkg-query -W $(sdk_toolchain)
      cat "$1" "${BASH_SOURCE[0]}" "$ROSTERBRIDGE_ROOT/scripts/images/sdk/Containerfile"; } | sha256sum | cut -d' ' -f1
}

stage_sdk() {
    local rootfs="$ROSTERBRIDGE_RUN_DIR/images/sdk/rootfs" list="$1" dotnet_root cache package
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
    rm -rf "$rootfs" && mkdir -p "$rootfs/usr/share/dotnet" "$rootfs/root/.nuget/packages" "$rootfs/root/.nuget/NuGet"
    # shellcheck disable=SC2046 # one package name per word
    stage_packages "$rootfs" $(sdk_toolchain)
    ln -sfn dash "$rootfs/usr/bin/sh"
    cp -a "$dotnet_root/." "$rootfs/usr/share/dotnet/"
    ln -sfn ../share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
    while IFS= read -r package; do
        [ -d "$cache/$package" ] || { rb_die "$cache/$package is missing after the restore"; return 1; }
        mkdir -p "$rootfs/root/.nuget/packages/${package%/*}"
        cp -a "$cache/$package" "$rootfs/root/.nuget/packages/$package"
    done <"$list"
    # Restores find everything in the global packages folder; this source stands in for NuGet.
    cat >"$rootfs/root/.nuget/NuGet/NuGet.Config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="stand-in" value="/root/.nuget/packages" />
  </packageSources>
</configuration>
XML
    mkdir -p "$rootfs/etc/ssl/certs" && cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
    stage_users "$rootfs"
}

# build_bridge_image TAG SDK_TAG RUNTIME_DEPS_TAG TARGET: the Dockerfile, with the stand-ins as its bases.
build_bridge_image() {
    local tag="$1" sdk="$2" deps="$3" target="$4" hash existing old_id
    hash="$( { podman image inspect --format '{{.Id}}' "$sdk" "$deps"
               cd "$ROSTERBRIDGE_ROOT" && git ls-files -z -co --exclude-standard -- Dockerfile .dockerignore \
                   Directory.Build.props Directory.Packages.props .editorconfig config src/RosterBridge tools \
                   | sort -z | xargs -0 -r sha256sum; echo "$target"; } | sha256sum | cut -d' ' -f1)"
    existing="$(podman image inspect --format '{{index .Labels "org.rosterbridge.test-image.source-sha256"}}' "$tag" 2>/dev/null || true)"
    if [ "$existing" = "$hash" ]; then
        rb_log "$tag is up to date"
        return 0
    fi
    old_id="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    rb_log "building $tag from the Dockerfile (target $target; bases $sdk, $deps; no network)"
    # --layers=false: no gigabyte-sized intermediate image of the build stage is left behind.
    podman build --pull=never --network=none --format docker --layers=false --target "$target" \
        --build-arg "SDK_IMAGE=$sdk" --build-arg "RUNTIME_DEPS_IMAGE=$deps" \
        --label "org.rosterbridge.test-image.source-sha256=$hash" \
        -f "$ROSTERBRIDGE_ROOT/Dockerfile" -t "$tag" "$ROSTERBRIDGE_ROOT" >&2 \
        || { rb_die "podman build of $tag failed"; return 1; }
    if [ -n "$old_id" ]; then
        podman rmi "$old_id" >/dev/null 2>&1 || true
    fi
}

build_bridge() {
    local rid sdk deps target
    case "$(uname -m)" in
        x86_64) rid=linux-x64 ;;
        aarch64 | arm64) rid=linux-arm64 ;;
        *) rb_die "unknown machine $(uname -m)"; return 1 ;;
    esac
    command -v dotnet >/dev/null || { rb_die "dotnet is not on PATH"; return 1; }
    command -v clang >/dev/null || rb_apt_ensure gcc libc6-dev binutils || return 1
    sdk="localhost/rosterbridge-test-sdk:$(dotnet --version)"
    deps="localhost/rosterbridge-test-runtime-deps:$(rb_upstream_version libc6 || echo latest)"
    local list="$ROSTERBRIDGE_RUN_DIR/images/sdk-packages.txt" inputs
    mkdir -p "$ROSTERBRIDGE_RUN_DIR/images"
    sdk_restore "$rid" "$list" || return 1
    inputs="$(sdk_inputs_hash "$list")"
    if [ "$(podman image inspect --format '{{index .Labels "org.rosterbridge.test-image.inputs-sha256"}}' "$sdk" 2>/dev/null || true)" = "$inputs" ]; then
        rb_log "$sdk is up to date"
    else
        stage_sdk "$list" || return 1
        build_image sdk "$sdk" "INPUTS_SHA256=$inputs" || return 1
        rm -rf "$ROSTERBRIDGE_RUN_DIR/images/sdk/rootfs" # a gigabyte, kept in the image
    fi
    stage_runtime_deps || return 1
    build_image runtime-deps "$deps" || return 1
    for target in ${ROSTERBRIDGE_BRIDGE_TARGETS:-bridge}; do
        case "$target" in
            bridge) build_bridge_image "$(rb_bridge_image)" "$sdk" "$deps" bridge || return 1 ;;
            simulator) build_bridge_image "$(rb_simulator_image)" "$sdk" "$deps" simulator || return 1 ;;
            *) rb_die "unknown target $target (bridge or simulator)"; return 1 ;;
        esac
    done
    rb_bridge_image
}

if [ "${1:-}" = "--bridge" ]; then
    build_bridge
    exit
fi

stage_mosquitto
build_image mosquitto "$(rb_mosquitto_image)"
stage_nats
build_image nats "$(rb_nats_image)"
