# syntax=docker/dockerfile:1
# RosterBridge as a sidecar image: the Native AOT build (as scripts/publish-aot.sh makes it) on the
# .NET runtime-deps base, running as UID 1654 (the .NET images' "app" user), with a read-only root
# file system and a HEALTHCHECK that is the bridge's own probe (no shell, no curl in the image).
#
#   docker build -t rosterbridge .                                  # the bridge
#   docker build --target simulator -t rosterbridge-sim .           # docker-compose.yml's demo daemon
#
# The base images are build arguments. CI (no registry reachable) builds this same file with local
# stand-ins made FROM scratch from the distribution's files, the host's .NET SDK and the NuGet
# packages the restore resolves (scripts/build-test-images.sh), and runs it with --network=none.
# With podman, build with --format docker: the OCI image format has no HEALTHCHECK.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble-aot
ARG RUNTIME_DEPS_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled

FROM ${SDK_IMAGE} AS build
ARG TARGETARCH
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY config/rosterbridge.json config/
COPY src/RosterBridge/RosterBridge.csproj src/RosterBridge/
RUN case "${TARGETARCH:-amd64}" in amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; *) exit 1 ;; esac >/rid \
 && dotnet restore src/RosterBridge/RosterBridge.csproj -r "$(cat /rid)" -p:PublishAot=true
COPY src/RosterBridge/ src/RosterBridge/
# Any trimming or AOT warning fails the build (TreatWarningsAsErrors); the symbols (.dbg) stay out of the image.
RUN dotnet publish src/RosterBridge/RosterBridge.csproj -c Release -r "$(cat /rid)" --no-restore \
        -p:PublishAot=true -p:TrimmerSingleWarn=false -o /app \
 && rm -f /app/*.dbg

# The demo's daemon emulator: its own program, never in the bridge's image (a stage of its own, so
# that building the bridge does not build it).
FROM ${SDK_IMAGE} AS build-simulator
ARG TARGETARCH
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY config/rosterbridge.json config/
COPY src/RosterBridge/ src/RosterBridge/
COPY tools/RosterBridge.Simulator/ tools/RosterBridge.Simulator/
RUN case "${TARGETARCH:-amd64}" in amd64) rid=linux-x64 ;; arm64) rid=linux-arm64 ;; *) exit 1 ;; esac \
 && dotnet publish tools/RosterBridge.Simulator/RosterBridge.Simulator.csproj -c Release -r "$rid" \
        -p:PublishAot=true -o /sim \
 && rm -f /sim/*.dbg \
 && mkdir -p /socket-dir

FROM ${RUNTIME_DEPS_IMAGE} AS simulator
COPY --from=build-simulator /sim/rosterbridge-sim /app/rosterbridge-sim
# Owned by the simulator's user, so that a new volume mounted here is too (compose's vmsig-demo).
COPY --from=build-simulator --chown=1654:1654 /socket-dir /run/vmsig
ENV DOTNET_EnableDiagnostics=0
USER 1654:1654
ENTRYPOINT ["/app/rosterbridge-sim"]
CMD ["--listen", "unix:///run/vmsig/vmsig.sock"]

# The bridge (the default target). Everything it needs is read-only: the binary and the defaults
# file, owned by root. It writes nothing: no diagnostics IPC socket (DOTNET_EnableDiagnostics=0),
# no ICU data (invariant globalization, as built), no temporary files.
FROM ${RUNTIME_DEPS_IMAGE} AS bridge
COPY --from=build /app/RosterBridge /app/rosterbridge.json /app/
ENV DOTNET_EnableDiagnostics=0 \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
    ROSTERBRIDGE_DAEMON__ENDPOINT=unix:///run/vmsig/vmsig.sock
# Mount the daemon's socket directory here, and add the socket's group (--group-add <GID>).
VOLUME ["/run/vmsig"]
USER 1654:1654
# 0 when /readyz says ready: the daemon synced and every sink caught up (rosterbridge ready --help).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/app/RosterBridge", "ready"]
ENTRYPOINT ["/app/RosterBridge"]
CMD ["run"]
