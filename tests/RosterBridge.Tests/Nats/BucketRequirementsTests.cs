using NATS.Client.JetStream.Models;
using RosterBridge.Nats;
using Xunit;

namespace RosterBridge.Tests.Nats;

public class BucketRequirementsTests
{
    private const string Ours = "$KV.vmsig_roster.pve1.*";

    /// <summary>The stream of a bucket as NATS.Client.KeyValueStore and <c>nats kv add</c> make it, history 1.</summary>
    private static StreamConfig AsCreated() => new("KV_vmsig_roster", ["$KV.vmsig_roster.>"])
    {
        MaxMsgsPerSubject = 1,
        MaxMsgs = -1,
        MaxBytes = -1,
        MaxMsgSize = -1,
        Discard = StreamConfigDiscard.New,
        DenyDelete = true,
        AllowRollupHdrs = true,
        AllowDirect = true,
        DuplicateWindow = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public void A_bucket_as_the_kv_client_creates_it_has_no_problem_though_it_discards_new_and_denies_deletes()
    {
        Assert.Empty(BucketRequirements.Problems(AsCreated(), Ours));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(64)]
    public void A_longer_history_still_has_the_last_value_as_the_entry(long history)
    {
        var config = AsCreated();
        config.MaxMsgsPerSubject = history;
        Assert.Empty(BucketRequirements.Problems(config, Ours));
    }

    [Fact]
    public void Memory_storage_replicas_compression_and_a_large_value_limit_are_fine()
    {
        var config = AsCreated();
        config.Storage = StreamConfigStorage.Memory;
        config.NumReplicas = 3;
        config.Compression = StreamConfigCompression.S2;
        config.MaxMsgSize = StreamRequirements.RequiredMessageSize;
        Assert.Empty(BucketRequirements.Problems(config, Ours));
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "ttl", "ttl (max_age) is 60s" },
        { "history", "history (max_msgs_per_subject) is -1" },
        { "max_bucket_size", "max_bucket_size (max_bytes) is 4096" },
        { "max_value_size", "max_value_size (max_msg_size) is 128" },
        { "max_msgs", "max_msgs is 100" },
        { "discard_new_per_subject", "discard_new_per_subject is true" },
        { "retention", "retention is interest" },
        { "sealed", "sealed is true" },
        { "no_ack", "no_ack is true" },
        { "mirror", "mirror is KV_origin" },
        { "subjects", "subjects [$KV.other.>] do not cover $KV.vmsig_roster.pve1.*" },
        { "subject_transform", "subject_transform moves $KV.vmsig_roster.> to elsewhere.>" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Each_setting_that_can_lose_expire_or_refuse_an_entry_is_named_as_nats_kv_names_it_with_its_value(string setting, string expected)
    {
        var config = AsCreated();
        switch (setting)
        {
            case "ttl": config.MaxAge = TimeSpan.FromMinutes(1); break;
            case "history": config.MaxMsgsPerSubject = -1; break;
            case "max_bucket_size": config.MaxBytes = 4096; break;
            case "max_value_size": config.MaxMsgSize = 128; break;
            case "max_msgs": config.MaxMsgs = 100; break;
            case "discard_new_per_subject": config.DiscardNewPerSubject = true; break;
            case "retention": config.Retention = StreamConfigRetention.Interest; break;
            case "sealed": config.Sealed = true; break;
            case "no_ack": config.NoAck = true; break;
            case "mirror": config.Mirror = new StreamSource { Name = "KV_origin" }; break;
            case "subjects": config.Subjects = ["$KV.other.>"]; break;
            case "subject_transform": config.SubjectTransform = new SubjectTransform { Src = "$KV.vmsig_roster.>", Dest = "elsewhere.>" }; break;
        }

        var problem = Assert.Single(BucketRequirements.Problems(config, Ours));
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var config = AsCreated();
        config.MaxAge = TimeSpan.FromHours(1);
        config.MaxBytes = 1 << 20;
        config.Sealed = true;

        Assert.Equal(3, BucketRequirements.Problems(config, Ours).Count);
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 3, false)]
    [InlineData(5, 3, false)]
    [InlineData(1, 3, true)]
    [InlineData(0, 2, true)]
    public void Fewer_replicas_than_asked_are_a_warning_named_as_nats_kv_names_it_not_a_problem(int held, int asked, bool warned)
    {
        var config = AsCreated();
        config.NumReplicas = held;

        var shortfall = BucketRequirements.ReplicaShortfall(config, "vmsig_roster", asked);

        Assert.Equal(warned, shortfall is not null);
        Assert.Empty(BucketRequirements.Problems(config, Ours));
        if (warned)
        {
            Assert.Contains($"KV bucket vmsig_roster (stream KV_vmsig_roster) has {Math.Max(held, 1)} replica(s) and Nats:Replicas asks {asked}", shortfall, StringComparison.Ordinal);
            Assert.Contains($"nats kv edit vmsig_roster --replicas {asked}", shortfall, StringComparison.Ordinal);
        }
    }
}
