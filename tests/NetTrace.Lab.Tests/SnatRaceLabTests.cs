using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>
/// The lab on real namespaces, MASQUERADE and conntrack. One class, so xunit runs these one after another:
/// two labs racing on the same two CPUs at once would disturb each other's timing.
/// </summary>
[Collection("snat-race-lab")]
public class SnatRaceLabTests
{
    private static async Task<SnatRaceResult> Run(SnatRaceOptions o)
    {
        Privileged.Require("root (network namespaces, iptables NAT, conntrack)");
        Privileged.RequireTool("ip");
        Privileged.RequireTool("iptables-nft");
        var log = new StringWriter();
        var r = await SnatRaceLab.RunAsync(o, log, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(SnatRaceCleanup.ListNetns(), n => n.StartsWith(r.NodeNetns[..^5], StringComparison.Ordinal));
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(60), $"lab took {r.Elapsed}");
        return r;
    }

    [Fact]
    public async Task Plain_masquerade_loses_syns_exactly_as_often_as_conntrack_insert_fails()
    {
        var r = await Run(new SnatRaceOptions(Rounds: 500));
        Assert.Equal(1000, r.Connects.Count);
        Assert.True(r.InsertFailed > 0, "no failed conntrack insert in 500 racing rounds");
        // Each lost SYN = one failed insert = one drop = one connect that waited for the 1 s retransmit.
        double tolerance = Math.Max(1, 0.02 * r.InsertFailed);
        Assert.InRange(r.SlowConnects, r.InsertFailed - tolerance, r.InsertFailed + tolerance);
        // drop counts every failed insert, plus the odd packet the TCP tracker rejects (seen: +1 in 500 rounds).
        Assert.InRange(r.Conntrack.Drop, r.InsertFailed, r.InsertFailed + Math.Max(2, r.InsertFailed / 50));
        Assert.Equal(0, r.Conntrack.ClashResolve);   // TCP clashes are not resolved, they are dropped
        Assert.Equal(r.SlowConnects, r.RetransmittedSyns);
        // A lost SYN costs one initial RTO (1 s); 3.5 s leaves room for a second loss or a CPU-starved CI machine.
        Assert.All(r.Connects.Where(c => c.Slow), c => Assert.InRange(c.LatencySeconds ?? 99, 0.95, 3.5));
        // The kernel's own account per socket: slow exactly when a SYN was retransmitted.
        Assert.All(r.Connects, c => Assert.Equal(c.Slow, c.SynRetransmits > 0));
        Assert.Equal(0, r.FailedConnects);
        var finding = NetTrace.Cli.Commands.LabSnatRaceFinding.Build(r)!;
        Assert.Equal("snat-port-race", finding.Kind);
        Assert.True(finding.Confidence >= 0.8);
        Assert.NotEmpty(finding.Affects);
        Assert.All(finding.Affects, a => Assert.Matches(@"^pod[01] \(10\.244\.0\.1[01]\): \d+ slow connect\(s\)$", a));
    }

    [Fact]
    public async Task Random_fully_removes_the_race()
    {
        var r = await Run(new SnatRaceOptions(Rounds: 300, RandomFully: true));
        Assert.Contains("--random-fully", r.NatRule);
        Assert.Equal(600, r.Connects.Count);
        Assert.Equal(0, r.InsertFailed);
        Assert.Equal(0, r.Conntrack.Drop);
        Assert.Equal(0, r.SlowConnects);
        Assert.Null(NetTrace.Cli.Commands.LabSnatRaceFinding.Build(r));
    }

    [Fact]
    public async Task Kernel_chosen_source_ports_do_not_race()
    {
        var r = await Run(new SnatRaceOptions(Rounds: 300, EphemeralPorts: true));
        Assert.Equal(600, r.Connects.Count);
        // Rare, not impossible: each pod's kernel picks its port on its own, and two pods released together can still
        // pick the same one now and then (one insert failure in 600 connects, seen once in ~25 CI runs) — the same
        // race at a far lower rate, which is why --random-fully exists. Equal ports lose hundreds (test above).
        Assert.InRange(r.InsertFailed, 0, 2);
        Assert.Equal(r.InsertFailed, r.SlowConnects);
        if (r.InsertFailed == 0) Assert.Null(NetTrace.Cli.Commands.LabSnatRaceFinding.Build(r));
    }

    [Fact]
    public void Leftovers_of_dead_owners_are_removed_and_live_ones_kept()
    {
        Privileged.Require("root (network namespaces)");
        var dead = new SnatRaceNames(FindDeadPid(), "t" + Random.Shared.Next(100000));
        var live = new SnatRaceNames(Environment.ProcessId, "t" + Random.Shared.Next(100000));
        try
        {
            Cmd.Check("ip", "netns", "add", dead.Node);
            Cmd.Check("ip", "netns", "add", live.Node);
            var removed = SnatRaceCleanup.RemoveLeftovers();
            Assert.Contains(dead.Node, removed);
            Assert.DoesNotContain(live.Node, removed);
            var now = SnatRaceCleanup.ListNetns();
            Assert.DoesNotContain(dead.Node, now);
            Assert.Contains(live.Node, now);
        }
        finally
        {
            Cmd.Run("ip", "netns", "del", dead.Node);
            Cmd.Run("ip", "netns", "del", live.Node);
        }
    }

    private static int FindDeadPid()
    {
        for (int pid = 4_000_000; ; pid--)
            if (!Directory.Exists($"/proc/{pid}")) return pid;
    }
}

/// <summary>The capture detector on the lab's own pre- and post-NAT captures: the race found, and counted right.</summary>
[Collection("snat-race-lab")]
public class SnatRaceLabCaptureTests
{
    [Fact]
    public async Task Detector_finds_the_race_in_the_labs_captures_and_counts_every_loser()
    {
        Privileged.Require("root (network namespaces, iptables NAT, tcpdump)");
        Privileged.RequireTool("tcpdump");
        var dir = Directory.CreateTempSubdirectory("nt-snatrace-").FullName;
        try
        {
            var ct = TestContext.Current.CancellationToken;
            var r = await SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 300, CaptureDir: dir), TextWriter.Null, ct);
            Assert.True(r.InsertFailed > 0);
            Assert.All(r.Captures, c => Assert.Equal(0, c.KernelDrops));
            string pre = Path.Combine(dir, "pre.pcap"), post = Path.Combine(dir, "post.pcap");

            var both = Analyzer.CaptureAnalyzer.Analyze([pre, post], Analyzer.AnalyzeSettings.Default, null, ct);
            var f = Assert.Single(both.Findings, x => x.Kind == Analyzer.Detectors.SnatRaceDetector.Kind);
            long losers = long.Parse(f.Evidence.First(e => e.Label.StartsWith("inner connects whose first SYN never left")).Value);
            long clashes = long.Parse(f.Evidence.First(e => e.Label.StartsWith("of them with another inner flow")).Value);
            double tolerance = Math.Max(1, 0.02 * r.InsertFailed);
            Assert.InRange(losers, r.InsertFailed - tolerance, r.InsertFailed + tolerance);
            Assert.Equal(losers, clashes);
            Assert.True(f.Confidence >= 0.9);

            var preOnly = Analyzer.CaptureAnalyzer.Analyze([pre], Analyzer.AnalyzeSettings.Default, null, ct);
            Assert.Single(preOnly.Findings, x => x.Kind == Analyzer.Detectors.SnatRaceDetector.SuspectedKind);
            var postOnly = Analyzer.CaptureAnalyzer.Analyze([post], Analyzer.AnalyzeSettings.Default, null, ct);
            Assert.DoesNotContain(postOnly.Findings, x => x.Kind.StartsWith("snat-port-race"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task Ordinary_traffic_captures_give_no_finding()
    {
        Privileged.Require("root (network namespaces, iptables NAT, tcpdump)");
        Privileged.RequireTool("tcpdump");
        var dir = Directory.CreateTempSubdirectory("nt-snatrace-").FullName;
        try
        {
            var ct = TestContext.Current.CancellationToken;
            // Ordinary traffic means no race the kernel counted. Kernel-chosen ports still race now and then (see
            // Kernel_chosen_source_ports_do_not_race; once here in ~30 CI runs) and then the detector rightly reports
            // it, so a run with an insert failure is not this test's input: run again, at most three times.
            SnatRaceResult r = null!;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                foreach (var f in Directory.GetFiles(dir)) File.Delete(f);
                r = await SnatRaceLab.RunAsync(new SnatRaceOptions(Rounds: 200, EphemeralPorts: true, CaptureDir: dir), TextWriter.Null, ct);
                if (r.InsertFailed == 0) break;
                TestContext.Current.SendDiagnosticMessage($"attempt {attempt + 1}: {r.InsertFailed} insert failure(s) with kernel-chosen ports; running again");
            }
            Assert.Equal(0, r.InsertFailed);
            var both = Analyzer.CaptureAnalyzer.Analyze([Path.Combine(dir, "pre.pcap"), Path.Combine(dir, "post.pcap")],
                Analyzer.AnalyzeSettings.Default, null, ct);
            Assert.True(both.Handshakes.Count >= 800, $"{both.Handshakes.Count} handshakes");
            Assert.DoesNotContain(both.Findings, x => x.Kind.StartsWith("snat-port-race"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
