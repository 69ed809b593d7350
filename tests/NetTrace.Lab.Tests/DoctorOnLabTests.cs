using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>`nettrace doctor --netns` pointed at the lab's node namespace while the race runs.</summary>
[Collection("snat-race-lab")]
public class DoctorOnLabTests
{
    [Fact]
    public async Task Doctor_names_the_rule_and_the_failing_inserts_of_a_racing_node()
    {
        Privileged.Require("root (network namespaces, iptables NAT)");
        // A long race, stopped as soon as the doctor is done: the lab must outlive the doctor even on a busy machine.
        using var stopLab = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var ct = TestContext.Current.CancellationToken;
        var lab = Task.Run(() => SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 20000), TextWriter.Null, stopLab.Token), ct);
        string prefix = $"{SnatRaceNames.Prefix}{Environment.ProcessId}-";
        string? node = null;
        for (int i = 0; i < 200 && node == null && !lab.IsCompleted; i++)
        {
            node = SnatRaceCleanup.ListNetns().FirstOrDefault(n => n.StartsWith(prefix) && n.EndsWith("-node"));
            if (node == null) await Task.Delay(50, ct);
        }
        Assert.NotNull(node);
        await Task.Delay(300, ct);   // racing has begun after the warm-up

        var stdout = new StringWriter();
        // The node checks' softnet sampling is not what this test is about: without it the doctor takes ~1 s less,
        // which the lab must outlive.
        int code = new DoctorHandler(new DoctorOptions(Json: false, Netns: node, Sample: TimeSpan.FromSeconds(1), SoftnetInterval: TimeSpan.Zero), stdout, new StringWriter()).Run();
        if (lab.IsFaulted) await lab;   // the lab's own error says more than "it ended"
        Assert.False(lab.IsCompleted, "the lab ended before the doctor finished: the test proves nothing");
        stopLab.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lab);
        Assert.DoesNotContain(SnatRaceCleanup.ListNetns(), n => n == node);
        var text = stdout.ToString();
        Assert.Equal(NetTrace.Cli.Program.ExitWarnings, code);
        Assert.True(text.Contains("RACE [iptables-nft] nat/POSTROUTING: -A POSTROUTING -s 10.244.0.0/24 -o ext0 -j MASQUERADE"), text);
        Assert.Matches(@"\[WARN\s*\] Conntrack insert failures right now: [1-9]\d* failed inserts", text);
    }
}
