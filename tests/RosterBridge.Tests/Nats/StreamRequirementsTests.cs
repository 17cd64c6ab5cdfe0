using NATS.Client.JetStream.Models;
using RosterBridge.Nats;
using Xunit;

namespace RosterBridge.Tests.Nats;

public class StreamRequirementsTests
{
    private const string Ours = "vmsig.pve1.roster.*";

    private static StreamConfig AsCreated() => new("VMSIG_ROSTER", ["vmsig.*.roster.*"]) { MaxMsgsPerSubject = 1, MaxMsgs = -1, MaxBytes = -1, MaxMsgSize = -1 };

    [Fact]
    public void The_stream_the_bridge_creates_has_no_problem()
    {
        Assert.Empty(StreamRequirements.Problems(AsCreated(), Ours));
    }

    [Theory]
    [InlineData("vmsig.>")]
    [InlineData("vmsig.pve1.roster.*")]
    [InlineData(">")]
    public void Wider_or_exact_subjects_cover_the_nodes_roster(string subjects)
    {
        var config = AsCreated();
        config.Subjects = [subjects];
        Assert.Empty(StreamRequirements.Problems(config, Ours));
    }

    [Fact]
    public void Memory_storage_a_large_message_limit_and_unlimited_zeroes_are_fine()
    {
        var config = AsCreated();
        config.Storage = StreamConfigStorage.Memory;
        config.MaxMsgSize = StreamRequirements.RequiredMessageSize;
        config.MaxMsgs = 0;
        config.MaxBytes = 0;
        Assert.Empty(StreamRequirements.Problems(config, Ours));
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "subjects", "subjects [vmsig.other.roster.*] do not cover vmsig.pve1.roster.*" },
        { "max_msgs_per_subject", "max_msgs_per_subject is 0" },
        { "max_age", "max_age is 90s" },
        { "max_msgs", "max_msgs is 64" },
        { "max_bytes", "max_bytes is 4096" },
        { "max_msg_size", "max_msg_size is 512" },
        { "discard", "discard is new" },
        { "retention", "retention is workqueue" },
        { "sealed", "sealed is true" },
        { "deny_delete", "deny_delete is true" },
        { "no_ack", "no_ack is true" },
        { "mirror", "mirror is ORIGIN" },
        { "subject_transform", "subject_transform moves vmsig.> to other.>" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Each_setting_that_can_lose_or_refuse_an_entry_is_named_with_its_value(string setting, string expected)
    {
        var config = AsCreated();
        switch (setting)
        {
            case "subjects": config.Subjects = ["vmsig.other.roster.*"]; break;
            case "max_msgs_per_subject": config.MaxMsgsPerSubject = 0; break;
            case "max_age": config.MaxAge = TimeSpan.FromSeconds(90); break;
            case "max_msgs": config.MaxMsgs = 64; break;
            case "max_bytes": config.MaxBytes = 4096; break;
            case "max_msg_size": config.MaxMsgSize = 512; break;
            case "discard": config.Discard = StreamConfigDiscard.New; break;
            case "retention": config.Retention = StreamConfigRetention.Workqueue; break;
            case "sealed": config.Sealed = true; break;
            case "deny_delete": config.DenyDelete = true; break;
            case "no_ack": config.NoAck = true; break;
            case "mirror": config.Mirror = new StreamSource { Name = "ORIGIN" }; break;
            case "subject_transform": config.SubjectTransform = new SubjectTransform { Src = "vmsig.>", Dest = "other.>" }; break;
        }

        var problem = Assert.Single(StreamRequirements.Problems(config, Ours));
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var config = AsCreated();
        config.MaxAge = TimeSpan.FromDays(1);
        config.MaxMsgsPerSubject = 10;
        config.DenyDelete = true;

        Assert.Equal(3, StreamRequirements.Problems(config, Ours).Count);
    }

    [Theory]
    [InlineData("pve1")]
    [InlineData("pve2")]
    [InlineData("host-30")]
    public void The_stream_another_nodes_bridge_created_fits_every_node(string node)
    {
        // Whichever bridge of a cluster comes first creates the stream; every other node's must fit in it.
        var createdByAnother = AsCreated();
        createdByAnother.NumReplicas = 3;

        Assert.Empty(StreamRequirements.Problems(createdByAnother, NatsSubjects.RosterFilter("vmsig", node)));
        Assert.Equal("vmsig.*.roster.*", NatsSubjects.StreamSubject("vmsig"));
        Assert.Equal($"vmsig.{node}.roster.*", NatsSubjects.RosterFilter("vmsig", node));
    }

    [Fact]
    public void A_stream_that_holds_one_node_only_does_not_fit_another()
    {
        var config = AsCreated();
        config.Subjects = ["vmsig.pve1.roster.*"];

        Assert.Single(StreamRequirements.Problems(config, NatsSubjects.RosterFilter("vmsig", "pve2")));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 3, false)]
    [InlineData(5, 3, false)]
    [InlineData(1, 3, true)]
    [InlineData(0, 2, true)]
    public void Fewer_replicas_than_asked_are_a_warning_not_a_problem(int held, int asked, bool warned)
    {
        var config = AsCreated();
        config.NumReplicas = held;

        var shortfall = StreamRequirements.ReplicaShortfall(config, "VMSIG_ROSTER", asked);

        Assert.Equal(warned, shortfall is not null);
        Assert.Empty(StreamRequirements.Problems(config, Ours));
        if (warned)
        {
            Assert.Contains($"has {Math.Max(held, 1)} replica(s) and Nats:Replicas asks {asked}", shortfall, StringComparison.Ordinal);
            Assert.Contains($"nats stream edit VMSIG_ROSTER --replicas {asked}", shortfall, StringComparison.Ordinal);
        }
    }
}
