using System.Net;
using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Conntrack;
using Xunit;

namespace NetTrace.Lab.Tests;

public class LabSnatRaceFindingTests
{
    private static ConntrackDelta Delta(int failed) =>
        ConntrackStats.Parse("entries insert_failed drop\n00000000 00000000 00000000\n")
            .Pipe(b => ConntrackStats.Parse($"entries insert_failed drop\n00000000 {failed:x8} {failed:x8}\n").Since(b));

    private static SnatRaceResult Result(int slow, int failed, SnatClashReport? live = null, bool randomFully = false) => new()
    {
        Options = new SnatRaceOptions(Rounds: 10, RandomFully: randomFully),
        NatRule = "-A POSTROUTING -s 10.244.0.0/24 -o ext0 -j MASQUERADE",
        NodeNetns = "ntsr-1-abc-node",
        Connects = Enumerable.Range(0, 20).Select(i => new ConnectSample(i % 2, i / 2, $"10.244.0.{10 + i % 2}:{20000 + i / 2}",
            1000 + i * 0.001, i < slow ? 1.01 : 0.0002, i < slow ? 1 : 0, null)).ToList(),
        Conntrack = Delta(failed),
        Elapsed = TimeSpan.FromSeconds(2),
        Live = live,
    };

    private static ConntrackNatEvent Ev(ConntrackNatKind k, ulong ts, ulong ct, string inner) =>
        new(k, ts, ct, 1, 0, 6, IPEndPoint.Parse(inner), IPEndPoint.Parse("203.0.113.10:8080"), IPEndPoint.Parse("203.0.113.1:20000"), 0);

    [Fact]
    public void No_loss_no_finding() => Assert.Null(LabSnatRaceFinding.Build(Result(0, 0)));

    [Fact]
    public void Slow_connects_matching_failed_inserts_make_a_confident_finding_per_pod()
    {
        var f = LabSnatRaceFinding.Build(Result(slow: 4, failed: 4))!;
        Assert.Equal("snat-port-race", f.Kind);
        Assert.Equal(0.8, f.Confidence);
        Assert.Equal(["pod0 (10.244.0.10): 2 slow connect(s)", "pod1 (10.244.0.11): 2 slow connect(s)"], f.Affects);
        Assert.Contains("--random-fully", f.Remediation);
    }

    [Fact]
    public void Counts_that_disagree_lower_confidence_and_the_probe_raises_it()
    {
        Assert.Equal(0.6, LabSnatRaceFinding.Build(Result(slow: 3, failed: 4))!.Confidence);
        var events = new List<ConntrackNatEvent>
        {
            Ev(ConntrackNatKind.New, 100, 1, "10.244.0.10:20000"),
            Ev(ConntrackNatKind.ClashDrop, 105, 2, "10.244.0.11:20000"),
        };
        var live = SnatClashJoiner.Join(events, Delta(1), 0);
        var f = LabSnatRaceFinding.Build(Result(slow: 1, failed: 1, live))!;
        Assert.Equal(0.95, f.Confidence);
        Assert.Contains(f.Evidence, e => e.Label == "pod1 lost" && e.Value.Contains("taken 0 µs earlier by pod0 (10.244.0.10:20000)"));
    }
}

internal static class PipeExtensions
{
    public static TOut Pipe<TIn, TOut>(this TIn x, Func<TIn, TOut> f) => f(x);
}
