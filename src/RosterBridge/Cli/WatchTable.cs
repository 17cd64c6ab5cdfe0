using Spectre.Console;
using Spectre.Console.Rendering;

namespace RosterBridge.Cli;

/// <summary>The watch's table on a terminal: one row per occupied endpoint, states coloured.</summary>
internal static class WatchTable
{
    public static IRenderable Render(WatchedRoster roster, string source, string status)
    {
        var table = new Table()
            .Border(TableBorder.Rounded)
            .Title(Markup.Escape(source))
            .Caption(Markup.Escape($"{roster.Rows.Count} endpoints occupied{PerNode(roster)} · {status} · Ctrl-C to stop"));
        table.AddColumn("node");
        table.AddColumn(new TableColumn("endpoint").RightAligned());
        table.AddColumn(new TableColumn("vmid").RightAligned());
        table.AddColumn("name");
        table.AddColumn("state");
        table.AddColumn(new TableColumn("seq").RightAligned());
        table.AddColumn("since");
        string? node = null;
        foreach (var row in roster.Rows)
        {
            if (node is not null && row.Node != node)
            {
                table.AddEmptyRow(); // node by node: a gap between one host's endpoints and the next's
            }

            node = row.Node;
            table.AddRow(
                new Text(row.Node),
                new Text(row.Endpoint.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Text(row.Vmid),
                new Text(row.NameTruncated ? row.Name + "…" : row.Name),
                new Markup($"[{Colour(row.State)}]{Markup.Escape(row.State)}[/]"),
                new Text(row.Seq),
                new Text(row.Ts));
        }

        return table;
    }

    /// <summary>" on 3 nodes (pve1 12, pve2 30, pve3 7)" when more than one node is shown.</summary>
    private static string PerNode(WatchedRoster roster)
    {
        var nodes = roster.Rows.GroupBy(row => row.Node, StringComparer.Ordinal).Select(group => $"{group.Key} {group.Count()}").ToList();
        return nodes.Count > 1 ? $" on {nodes.Count} nodes ({string.Join(", ", nodes)})" : string.Empty;
    }

    private static string Colour(string state) => state switch
    {
        "running" => "green",
        "crashed" => "red bold",
        "paused" or "suspended" => "yellow",
        "starting" or "stopping" or "migrating" => "blue",
        _ => "grey",
    };
}
