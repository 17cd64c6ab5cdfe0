#!/usr/bin/env bash
# Publishes RosterBridge as one Native AOT executable (no .NET runtime needed where it runs).
#
#   bash scripts/publish-aot.sh [OUT_DIR]        # default OUT_DIR: artifacts/publish-aot
#
# What it needs, and installs with apt when missing (as root):
#   - the .NET 10 SDK (dotnet on PATH); the ILCompiler packages come from NuGet with the restore,
#     in the version the SDK picks;
#   - a C toolchain to link: clang, or else gcc (the ILCompiler's targets fall back to gcc by
#     themselves when clang is not on PATH), with libc6-dev;
#   - objcopy (binutils), to strip the symbols into RosterBridge.dbg.
#   Not needed: lld (Linux links with ld.bfd), zlib1g-dev (the AOT runtime pack ships libz.a).
#
# Any trimming or AOT warning fails the publish (TreatWarningsAsErrors from Directory.Build.props),
# each one listed in full (TrimmerSingleWarn=false) rather than one line per assembly.
# AOT_ALLOW_WARNINGS=1 publishes anyway, with the warnings printed. AOT_RID overrides the
# runtime identifier (default: this machine's, linux-x64 or linux-arm64).
#
# Intermediate files go to artifacts/aot (not src/RosterBridge/obj), so a RID-specific restore
# never rewrites the obj/ folder that ordinary builds and tests use at the same time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/publish-aot}"
log() { printf '[publish-aot] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt_ensure PACKAGE...: installs the Debian packages that are not installed yet.
apt_ensure() {
    local missing=() p
    for p in "$@"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then
            missing+=("$p")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    command -v apt-get >/dev/null || die "missing packages: ${missing[*]}, and no apt-get to install them"
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends "${missing[@]}" >&2
}

command -v dotnet >/dev/null || die "dotnet is not on PATH (the .NET 10 SDK is needed)"

if ! command -v clang >/dev/null && ! command -v gcc >/dev/null; then
    apt_ensure gcc libc6-dev
fi
if command -v gcc >/dev/null && ! command -v clang >/dev/null; then
    apt_ensure libc6-dev
fi
command -v objcopy >/dev/null || apt_ensure binutils

rid="${AOT_RID:-}"
if [ -z "$rid" ]; then
    case "$(uname -m)" in
        x86_64) rid=linux-x64 ;;
        aarch64 | arm64) rid=linux-arm64 ;;
        *) die "unknown machine $(uname -m): set AOT_RID" ;;
    esac
fi

warnings_as_errors=true
if [ "${AOT_ALLOW_WARNINGS:-0}" = 1 ]; then
    warnings_as_errors=false
    log "AOT_ALLOW_WARNINGS=1: trimming and AOT warnings are printed, not fatal"
fi

linker="$(command -v clang || command -v gcc)"
log "publishing for $rid, linking with $linker, into $out"
if ! dotnet publish "$root/src/RosterBridge/RosterBridge.csproj" \
    -c Release -r "$rid" \
    -p:PublishAot=true \
    -p:TrimmerSingleWarn=false \
    -p:TreatWarningsAsErrors="$warnings_as_errors" \
    --artifacts-path "$root/artifacts/aot" \
    -o "$out"; then
    die "publish failed (trimming and AOT warnings are errors here; AOT_ALLOW_WARNINGS=1 publishes anyway)"
fi

exe="$out/RosterBridge"
[ -x "$exe" ] || die "no executable at $exe"
"$exe" version >/dev/null || die "$exe does not start"
log "$("$exe" version): $exe, $(du -h "$exe" | cut -f1) ($(stat -c %s "$exe") bytes; symbols in RosterBridge.dbg)"
