# RosterBridge as a sidecar image: docker build -t rosterbridge .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY config/ config/
COPY src/RosterBridge/RosterBridge.csproj src/RosterBridge/
RUN dotnet restore src/RosterBridge/RosterBridge.csproj
COPY src/ src/
RUN dotnet publish src/RosterBridge/RosterBridge.csproj -c Release --no-restore -o /app

# aspnet: the runtime with ASP.NET Core, whose Kestrel serves /healthz and /readyz.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The daemon's socket is shared into the container at this path (see docker-compose.yml).
ENV ROSTERBRIDGE_DAEMON__ENDPOINT=unix:///run/vmsig/vmsig.sock
ENTRYPOINT ["dotnet", "/app/RosterBridge.dll"]
CMD ["run"]
