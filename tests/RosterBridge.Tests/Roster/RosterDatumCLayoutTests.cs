using System.ComponentModel;
using System.Diagnostics;
using RosterBridge.Frames;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Roster;

/// <summary>
/// Compiles the daemon's own vmsig_roster declaration with gcc, has C write datums with fwrite,
/// and decodes them with <see cref="RosterDatum.Read"/>: the layout is checked against a real C
/// compiler, not against this project's idea of it. gcc is required: without it this test fails.
/// </summary>
public class RosterDatumCLayoutTests
{
    private const string Header = """
        #include <stdint.h>
        enum { VMSIG_ROSTER_ATTACH = 0, VMSIG_ROSTER_DETACH = 1, VMSIG_ROSTER_UPDATE = 2 };
        #define VMSIG_ROSTER_NAME_TRUNC 0x1u
        #define VMSIG_ROSTER_NAME_MAX 32
        typedef struct {
          uint32_t vmid; uint32_t state; uint32_t action; uint32_t flags;
          char name[VMSIG_ROSTER_NAME_MAX]; /* NUL-terminated, truncated display name */
        } vmsig_roster; /* 48 bytes */
        """;

    private const string Program = """
        #include <stddef.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include "vmsig_roster.h"

        _Static_assert(sizeof(vmsig_roster) == 48, "vmsig_roster is 48 bytes");
        _Static_assert(offsetof(vmsig_roster, vmid) == 0, "vmid at 0");
        _Static_assert(offsetof(vmsig_roster, state) == 4, "state at 4");
        _Static_assert(offsetof(vmsig_roster, action) == 8, "action at 8");
        _Static_assert(offsetof(vmsig_roster, flags) == 12, "flags at 12");
        _Static_assert(offsetof(vmsig_roster, name) == 16, "name at 16");
        _Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "fwrite writes host order; the wire is little-endian");
        EXTRA_ASSERT

        #define EURO "\xE2\x82\xAC"
        #define GRIN "\xF0\x9F\x98\x80"
        #define EACUTE "\xC3\xA9"

        /* As the daemon fills a name: cut to NAME_MAX - 1 bytes (byte-wise), NUL, flag the cut. */
        static void set_name(vmsig_roster *r, const char *name)
        {
            size_t len = strlen(name);
            size_t n = len < VMSIG_ROSTER_NAME_MAX - 1 ? len : VMSIG_ROSTER_NAME_MAX - 1;
            memcpy(r->name, name, n);
            r->name[n] = '\0';
            if (n < len) {
                r->flags |= VMSIG_ROSTER_NAME_TRUNC;
            }
        }

        static vmsig_roster datum(uint32_t vmid, uint32_t state, uint32_t action, uint32_t flags)
        {
            vmsig_roster r;
            memset(&r, 0, sizeof r);
            r.vmid = vmid;
            r.state = state;
            r.action = action;
            r.flags = flags;
            return r;
        }

        int main(int argc, char **argv)
        {
            vmsig_roster r[8];
            FILE *f;

            if (argc != 2) {
                return 2;
            }

            /* 0: a short name with junk after its NUL */
            r[0] = datum(100, 3, VMSIG_ROSTER_ATTACH, 0);
            memset(r[0].name, 0xAA, sizeof r[0].name);
            memcpy(r[0].name, "web-01", 7);

            /* 1: a name of exactly 31 bytes: fits with its NUL, not truncated */
            r[1] = datum(0x01020304u, 1, VMSIG_ROSTER_UPDATE, 0);
            set_name(&r[1], "abcdefghijklmnopqrstuvwxyz01234");

            /* 2: 3-byte sequences cut after their first byte */
            r[2] = datum(0xFFFFFFFFu, 8, VMSIG_ROSTER_ATTACH, 0);
            set_name(&r[2], "vm-" EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO);

            /* 3: a state the bridge does not know */
            r[3] = datum(7, 42, VMSIG_ROSTER_DETACH, 0);
            set_name(&r[3], "gone");

            /* 4: 32 name bytes and no NUL */
            r[4] = datum(0x80000000u, 0, VMSIG_ROSTER_ATTACH, 0);
            memcpy(r[4].name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32);

            /* 5: invalid UTF-8, not truncated, another flag bit set */
            r[5] = datum(9, 5, VMSIG_ROSTER_UPDATE, 0x2u);
            set_name(&r[5], "bad" "\xFF" "x");

            /* 6: 4-byte sequences cut after their third byte */
            r[6] = datum(11, 2, VMSIG_ROSTER_ATTACH, 0);
            set_name(&r[6], GRIN GRIN GRIN GRIN GRIN GRIN GRIN GRIN GRIN GRIN);

            /* 7: 2-byte sequences cut after their first byte */
            r[7] = datum(12, 4, VMSIG_ROSTER_UPDATE, 0);
            set_name(&r[7], EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE
                             EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE EACUTE);

            f = fopen(argv[1], "wb");
            if (f == NULL) {
                return 3;
            }

            if (fwrite(r, sizeof r[0], 8, f) != 8 || fclose(f) != 0) {
                return 4;
            }

            printf("%zu %zu %zu\n", sizeof(vmsig_roster), offsetof(vmsig_roster, flags), offsetof(vmsig_roster, name));
            return 0;
        }
        """;

    [Fact]
    public async Task Datums_written_by_C_decode_field_by_field()
    {
        var dir = Directory.CreateTempSubdirectory("rosterbridge-clayout-");
        try
        {
            var exe = await CompileAsync(dir.FullName, extraAssert: string.Empty);
            var data = Path.Combine(dir.FullName, "datums.bin");

            var (code, stdout, stderr) = await RunAsync(exe, data);

            Assert.True(code == 0, $"the C program failed with exit code {code}: {stderr}");
            Assert.Equal("48 12 16", stdout.Trim());
            var bytes = await File.ReadAllBytesAsync(data);
            Assert.Equal(8 * RosterDatum.Size, bytes.Length);
            var d = Enumerable.Range(0, 8).Select(i => RosterDatum.Read(bytes.AsSpan(i * 48, 48))).ToArray();

            AssertDatum(d[0], 100, 3, RosterAction.Attach, 0, "web-01");
            Assert.Equal(6, RosterName.Meaningful(d[0].Name, d[0].NameTruncated).Length);
            Assert.Equal(0xAA, ((ReadOnlySpan<byte>)d[0].Name)[31]);

            AssertDatum(d[1], 0x01020304, 1, RosterAction.Update, 0, "abcdefghijklmnopqrstuvwxyz01234");
            Assert.Equal(0, ((ReadOnlySpan<byte>)d[1].Name)[31]);

            AssertDatum(d[2], 0xFFFFFFFF, 8, RosterAction.Attach, RosterDatum.FlagNameTruncated, "vm-" + new string('€', 9));
            Assert.True(d[2].NameTruncated);
            Assert.Equal(0xE2, ((ReadOnlySpan<byte>)d[2].Name)[30]);
            Assert.Equal("crashed", VmsigWire.VmStateName(d[2].State));

            AssertDatum(d[3], 7, 42, RosterAction.Detach, 0, "gone");
            Assert.Equal("state_42", VmsigWire.VmStateName(d[3].State));

            AssertDatum(d[4], 0x80000000, 0, RosterAction.Attach, 0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
            Assert.Equal(32, RosterName.Meaningful(d[4].Name, d[4].NameTruncated).Length);

            AssertDatum(d[5], 9, 5, RosterAction.Update, 0x2, "bad\uFFFDx");
            Assert.False(d[5].NameTruncated);

            AssertDatum(d[6], 11, 2, RosterAction.Attach, RosterDatum.FlagNameTruncated, string.Concat(Enumerable.Repeat("😀", 7)));

            AssertDatum(d[7], 12, 4, RosterAction.Update, RosterDatum.FlagNameTruncated, new string('é', 15));

            // Writing a decoded datum gives back C's bytes exactly.
            for (var i = 0; i < d.Length; i++)
            {
                var written = new byte[RosterDatum.Size];
                d[i].Write(written);
                Assert.Equal(bytes[(i * 48)..((i + 1) * 48)], written);
            }

            // SetName cuts and flags a name exactly as the daemon's C does.
            AssertSameNameAsC(d[1], "abcdefghijklmnopqrstuvwxyz01234");
            AssertSameNameAsC(d[2], "vm-" + new string('€', 14));
            AssertSameNameAsC(d[6], string.Concat(Enumerable.Repeat("😀", 10)));
            AssertSameNameAsC(d[7], new string('é', 16));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("sizeof(vmsig_roster) == 44")]
    [InlineData("offsetof(vmsig_roster, flags) == 16")]
    [InlineData("offsetof(vmsig_roster, name) == 20")]
    public async Task A_wrong_layout_assertion_stops_the_compile(string wrong)
    {
        // The control for the test above: its _Static_asserts really are checked by gcc.
        var dir = Directory.CreateTempSubdirectory("rosterbridge-clayout-");
        try
        {
            await WriteSourcesAsync(dir.FullName, $"_Static_assert({wrong}, \"deliberately wrong\");");

            var (code, _, stderr) = await RunAsync("gcc", CompilerArguments(dir.FullName));

            Assert.NotEqual(0, code);
            Assert.Contains("deliberately wrong", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void AssertDatum(in RosterDatum datum, uint vmid, uint state, RosterAction action, uint flags, string name)
    {
        Assert.Equal(vmid, datum.Vmid);
        Assert.Equal(state, datum.State);
        Assert.Equal((uint)action, datum.Action);
        Assert.Equal(flags, datum.Flags);
        Assert.Equal(name, RosterName.Decode(datum.Name, datum.NameTruncated));
    }

    private static void AssertSameNameAsC(in RosterDatum fromC, string name)
    {
        var datum = new RosterDatum { Flags = fromC.Flags & ~RosterDatum.FlagNameTruncated };
        datum.SetName(name);
        Assert.Equal(((ReadOnlySpan<byte>)fromC.Name).ToArray(), ((ReadOnlySpan<byte>)datum.Name).ToArray());
        Assert.Equal(fromC.Flags, datum.Flags);
    }

    private static async Task WriteSourcesAsync(string dir, string extraAssert)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, "vmsig_roster.h"), Header + "\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "roster_layout.c"), Program.Replace("EXTRA_ASSERT", extraAssert, StringComparison.Ordinal) + "\n");
    }

    private static string[] CompilerArguments(string dir) =>
    [
        "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
        "-o", Path.Combine(dir, "roster_layout"), Path.Combine(dir, "roster_layout.c"),
    ];

    private static async Task<string> CompileAsync(string dir, string extraAssert)
    {
        await WriteSourcesAsync(dir, extraAssert);
        var (code, stdout, stderr) = await RunAsync("gcc", CompilerArguments(dir));
        Assert.True(code == 0, $"gcc could not compile the vmsig_roster layout check (exit {code}):\n{stdout}{stderr}");
        return Path.Combine(dir, "roster_layout");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception ex)
        {
            process = null;
            Assert.Fail($"'{program}' could not be started ({ex.Message}). This test needs gcc on PATH to check the vmsig_roster layout against C; install it (Debian: apt-get install gcc).");
        }

        Assert.NotNull(process);
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
