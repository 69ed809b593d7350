using System.Net;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Stalls;
using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Stall;
using Xunit;

namespace NetTrace.Bench.Tests.Stalls;

/// <summary>The generator's ground truth and the accuracy measure themselves: each check here must be able to fail.</summary>
public class StallScenarioTests(ITestOutputHelper output)
{
    private static AnalysisResult Analyze(string path, RssSettings rss) =>
        CaptureAnalyzer.Analyze([path], new AnalyzeSettings { Stalls = new StallOptions { Rss = rss } }, null, CancellationToken.None);

    [Fact]
    public void Generator_and_analyzer_toeplitz_agree_on_random_tuples()
    {
        var rng = new Rng(42);
        var gen = new ToeplitzQueue(ToeplitzQueue.MicrosoftKey, 8);
        var rss = RssSettings.WithQueues(8);
        for (int i = 0; i < 2000; i++)
        {
            bool v6 = i % 3 == 0, ports = i % 2 == 0;
            var a = new byte[v6 ? 16 : 4];
            var b = new byte[a.Length];
            for (int k = 0; k < a.Length; k++) { a[k] = (byte)rng.NextU32(); b[k] = (byte)rng.NextU32(); }
            ushort pa = (ushort)rng.NextU32(), pb = (ushort)rng.NextU32();
            IpAddr A = v6 ? IpAddr.FromV6(a) : IpAddr.FromV4(a), B = v6 ? IpAddr.FromV6(b) : IpAddr.FromV4(b);
            Assert.Equal(gen.Queue(a, b, pa, pb, ports), rss.QueueOf(A, B, pa, pb, ports));
        }
        // And the bitwise one on a specification vector (66.9.149.187:2794 → 161.142.100.80:1766, with ports).
        Assert.Equal(0x51ccc178u, gen.Hash([66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6]));
    }

    [Fact]
    public void Truth_windows_hold_what_the_scenario_says()
    {
        var s = new StallScenario { Seed = 9, DurationSeconds = 30, OneQueueStalls = 12, Pauses = 3 };
        using var c = new StallCapture(s);
        var t = c.Truth;
        Assert.Equal(15, t.Windows.Count);
        Assert.Equal(3, t.Windows.Count(w => w.Kind == "pause" && w.Queue is null));
        Assert.All(t.Windows, w => Assert.InRange((w.End - w.Start) * 1000, s.StallMinMs, s.StallMaxMs));
        Assert.True(t.Windows.Zip(t.Windows.Skip(1)).All(x => x.First.End < x.Second.Start), "windows do not overlap");
        Assert.All(t.Windows, w => Assert.False(w.End > t.SlowPathStart && w.Start < t.SlowPathEnd, "no stall inside the slow stretch"));
        // A pause holds pings and connects alike; a one-queue stall holds pings only on the pings' queue.
        Assert.All(t.Windows.Where(w => w.Kind == "pause"), w => Assert.True(w.IcmpHeld > 0 && w.TcpHeld > 0));
        Assert.All(t.Windows.Where(w => w.Kind == "one-queue" && w.Queue != t.IcmpQueue), w => Assert.Equal(0, w.IcmpHeld));
        Assert.Contains(t.Windows, w => w.Queue == t.IcmpQueue && w.IcmpHeld > 0);
        var back = StallTruth.FromJson(t.ToJson());
        Assert.Equal(t.Windows.Select(w => (w.Start, w.Queue, w.ProbesHeld)), back.Windows.Select(w => (w.Start, w.Queue, w.ProbesHeld)));
    }

    [Fact]
    public void Decoys_alone_give_no_stall()
    {
        // Single late replies and a 3-second slow stretch, at a higher outlier rate than the accuracy runs.
        using var c = new StallCapture(new StallScenario { Seed = 11, DurationSeconds = 20, OneQueueStalls = 0, Pauses = 0, OutlierRate = 0.02 });
        Assert.True(c.Truth.Outliers > 100);
        var r = Analyze(c.Path, RssSettings.WithQueues(8));
        Assert.Empty(r.Stalls!.Stalls);
        Assert.DoesNotContain(r.Findings, f => f.Kind == StallDetector.FindingKind);
    }

    [Fact]
    public void The_wrong_rss_key_is_caught_by_the_queue_check()
    {
        var s = new StallScenario { Seed = 6, DurationSeconds = 30, OneQueueStalls = 15, Pauses = 0 };
        using var c = new StallCapture(s);
        var right = StallScore.Of(Analyze(c.Path, RssSettings.WithQueues(8)).Stalls!.Stalls, c.Truth);
        var otherKey = RssSettings.WithQueues(8, Convert.FromHexString("3cb20f5e91aa0417c83d22e67b109f45d1086abf33c27e940518eea1426db9f027815cc60bd473e9"));
        var wrong = StallScore.Of(Analyze(c.Path, otherKey).Stalls!.Stalls, c.Truth);
        output.WriteLine($"right key: {right}\nwrong key: {wrong}");
        Assert.True(right.QueueRight >= 0.95 * (right.QueueRight + right.QueueWrong), right.ToString());
        // The stalls are still there (bunched replies do not depend on the key) but their queues are not.
        Assert.True(wrong.QueueRight <= 0.5 * (wrong.QueueRight + wrong.QueueWrong), wrong.ToString());
    }

    [Fact]
    public void The_score_counts_misses_and_false_alarms()
    {
        using var c = new StallCapture(new StallScenario { Seed = 7, DurationSeconds = 20, OneQueueStalls = 8, Pauses = 2 });
        var detected = Analyze(c.Path, RssSettings.WithQueues(8)).Stalls!.Stalls;
        var full = StallScore.Of(detected, c.Truth);
        Assert.True(full.Recall >= 0.95 && full.Precision >= 0.95, full.ToString());
        // Drop half the detections and move the rest 100 ms later: recall and precision must both fall.
        var shifted = detected.Where((_, i) => i % 2 == 0).Select(w => w with { Start = w.Start + 0.1, End = w.End + 0.1 }).ToList();
        var bad = StallScore.Of(shifted, c.Truth);
        Assert.Equal(0, bad.TruePositives);
        Assert.Equal(0, bad.Precision);
        Assert.Equal(0, bad.Recall);
    }
}
