namespace RosterBridge.Roster;

/// <summary>VMSIG_ROSTER_* transitions, as vmsig_roster.h defines them.</summary>
internal enum RosterAction : uint
{
    Attach = 0,
    Detach = 1,
    Update = 2,
}
