using System.Reflection;

namespace RosterBridge.Cli;

internal static class Usage
{
    public static int Print(TextWriter output, int exitCode)
    {
        output.WriteLine("""
            rosterbridge — republishes the vmsig daemon's VM roster to MQTT and NATS JetStream

            usage:
              rosterbridge run [options]        run the bridge until SIGTERM
              rosterbridge show [options]       print what a late subscriber sees on each broker
              rosterbridge ready [options]      exit 0 when a running bridge's /readyz says ready (health checks)
              rosterbridge simulate [options]   serve a simulated vmsig daemon (see 'simulate --help')
              rosterbridge version

            options of run, show and ready (each overrides rosterbridge.json and ROSTERBRIDGE_* variables):
              --config FILE          the JSON configuration file (default: rosterbridge.json beside the program)
              --node NAME            Node             this bridge's name in topics and subjects
              --daemon ENDPOINT      Daemon:Endpoint  unix:///PATH or tcp://HOST:PORT
              --mqtt URL             Mqtt:Url         mqtt://HOST:PORT or off
              --nats URL             Nats:Url         nats://HOST:PORT or off
              --Section:Key=VALUE    any other key, e.g. --Mqtt:Format=msgpack

            exit codes: 0 stopped cleanly, 1 unexpected failure, 2 bad configuration, 3 refused by the daemon
            """);
        return exitCode;
    }

    public static int Version()
    {
        var version = typeof(Usage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        Console.WriteLine($"rosterbridge {version}");
        return ExitCodes.Ok;
    }
}
