using NetTrace.Analyzer.Stalls;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Analyzer.Tests.Stalls;

/// <summary>Real captures from other projects have slow handshakes, traceroutes and retransmits, but no RX stalls.</summary>
public class SharedPcapsStallTests
{
    private static List<string> Names() =>
        Directory.EnumerateFiles(SharedPcaps.Dir).Where(f => f.EndsWith(".pcap") || f.EndsWith(".pcapng")).Select(Path.GetFileName).Order().ToList()!;

    public static TheoryData<string> Captures() => new(Names());

    [Theory]
    [MemberData(nameof(Captures))]
    public void No_stall_is_reported(string name)
    {
        var r = CaptureAnalyzer.Analyze([SharedPcaps.File(name)], AnalyzeSettings.Default, null, CancellationToken.None);
        Assert.DoesNotContain(r.Findings, f => f.Kind == StallDetector.FindingKind);
        Assert.Empty(r.Stalls?.Stalls ?? []);
    }

    [Fact]
    public void The_shared_captures_are_there_and_some_carry_probes()
    {
        Assert.True(Names().Count >= 20);
        // The detector must have judged something, or "nothing found" would prove nothing.
        int judged = Names().Count(n => CaptureAnalyzer.Analyze([SharedPcaps.File(n)], AnalyzeSettings.Default, null, CancellationToken.None).Stalls?.Timeline.Count > 0);
        Assert.True(judged >= 5, $"only {judged} shared captures had handshakes or echoes to judge");
    }
}
