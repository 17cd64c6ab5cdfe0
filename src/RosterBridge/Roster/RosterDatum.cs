using System.Buffers.Binary;

namespace RosterBridge.Roster;

/// <summary>
/// The 48-byte roster datum, decoded byte for byte as the daemon's vmsig_roster.h lays it out:
/// <c>u32 vmid, u32 state, u32 action, u32 flags, char name[32]</c>, little-endian.
/// This layout is the daemon's contract, not an assumption.
/// </summary>
internal struct RosterDatum
{
    public const int Size = 48;
    public const int NameMax = 32;
    public const uint FlagNameTruncated = 0x1;

    private const int VmidOffset = 0;
    private const int StateOffset = 4;
    private const int ActionOffset = 8;
    private const int FlagsOffset = 12;
    private const int NameOffset = 16;

    public uint Vmid;
    public uint State;
    public uint Action;
    public uint Flags;
    public RosterNameBytes Name;

    public readonly bool NameTruncated => (Flags & FlagNameTruncated) != 0;

    public static RosterDatum Read(ReadOnlySpan<byte> datum)
    {
        var result = new RosterDatum
        {
            Vmid = BinaryPrimitives.ReadUInt32LittleEndian(datum[VmidOffset..]),
            State = BinaryPrimitives.ReadUInt32LittleEndian(datum[StateOffset..]),
            Action = BinaryPrimitives.ReadUInt32LittleEndian(datum[ActionOffset..]),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(datum[FlagsOffset..]),
        };
        datum.Slice(NameOffset, NameMax).CopyTo(result.Name);
        return result;
    }

    public readonly void Write(Span<byte> datum)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(datum[VmidOffset..], Vmid);
        BinaryPrimitives.WriteUInt32LittleEndian(datum[StateOffset..], State);
        BinaryPrimitives.WriteUInt32LittleEndian(datum[ActionOffset..], Action);
        BinaryPrimitives.WriteUInt32LittleEndian(datum[FlagsOffset..], Flags);
        ((ReadOnlySpan<byte>)Name).CopyTo(datum.Slice(NameOffset, NameMax));
    }

    /// <summary>Sets the name from a string, cut to fit (NUL-terminated) and flagged as the daemon does.</summary>
    public void SetName(string name)
    {
        Span<byte> name32 = Name;
        name32.Clear();
        var utf8 = System.Text.Encoding.UTF8.GetBytes(name);
        var fits = Math.Min(utf8.Length, NameMax - 1);
        utf8.AsSpan(0, fits).CopyTo(name32);
        Flags = fits < utf8.Length ? Flags | FlagNameTruncated : Flags & ~FlagNameTruncated;
    }
}
