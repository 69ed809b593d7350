using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Stalls;
using Xunit;
using static NetTrace.Analyzer.Tests.Stalls.ProbeScript;

namespace NetTrace.Analyzer.Tests.Stalls;

public class StallDetectorTests
{
    [Fact]
    public void One_queue_stall_at_the_responder_is_found_with_its_queue_and_the_icmp_tcp_contrast()
    {
        int q = IcmpQueueAtB; // the queue the pings use: ICMP is caught too, as in the story
        var s = Run(2, (icmp, t, atB, atA) => atB == q ? Held(t, 1.0, 1.3, 0.3) : 0.3 + 0.05 * Jitter(t));
        var r = s.Detect()!;
        var w = Assert.Single(r.Analysis.Stalls);
        Assert.Equal(StallScope.OneCpu, w.Scope);
        Assert.Equal(q, w.RxQueue);
        Assert.Equal("capture", w.Source);
        Assert.InRange(w.Start, T0 + 1.0 - 0.003, T0 + 1.003);
        Assert.InRange(w.End, T0 + 1.3, T0 + 1.301);
        Assert.InRange(w.MaxDelayMs, 295, 300);
        Assert.InRange(w.IcmpDelayed, 29, 30); // 300 ms of pings every 10 ms (the last few ms are not late)
        Assert.True(w.TcpDelayed is > 5 and < 30, $"about 1/8 of 120 connects: {w.TcpDelayed}");
        Assert.Equal(w.IcmpDelayed + w.TcpDelayed, w.PacketsDelayed);
        Assert.Contains(w.Flows, f => f.EndsWith("icmp") && f.StartsWith(A));

        var queue = Assert.Single(r.Analysis.Queues, x => x.Queue == q);
        Assert.Equal(1, queue.Stalls);
        Assert.Equal(w.PacketsDelayed, queue.DelayedPackets);
        Assert.Equal(1, queue.IcmpFlows);
        Assert.All(r.Analysis.Queues.Where(x => x.Queue != q), x => Assert.Equal(0, x.DelayedPackets));
        Assert.Contains(r.Analysis.Timeline, p => p.InStall && p.Kind == "icmp" && p.RxQueue == q);

        var f = r.Finding!;
        Assert.Equal(StallDetector.FindingKind, f.Kind);
        Assert.Contains($"RX queue {q} of {B}", f.Title);
        Assert.Contains(f.Evidence, e => e.Label.StartsWith("ICMP echoes sent during") && e.Value.StartsWith($"held in 1 stall(s) ({w.IcmpDelayed} of {w.IcmpDelayed} held)"));
        Assert.Contains(f.Evidence, e => e.Label.StartsWith("TCP connects sent during") && e.Value.StartsWith($"{w.TcpDelayed} of "));
        Assert.Contains("nettrace trace", f.Remediation);
    }

    [Fact]
    public void A_stall_on_the_requesters_queue_is_attributed_to_the_requester()
    {
        int q = QueueAtA(40003 + 3 * 7);
        var s = Run(2, (icmp, t, atB, atA) => !icmp && atA == q ? Held(t + 0.0003, 0.8, 1.0, 0.3) : 0.3);
        var w = Assert.Single(s.Detect()!.Analysis.Stalls);
        Assert.Equal(StallScope.OneCpu, w.Scope);
        Assert.Equal(q, w.RxQueue);
        Assert.Equal(0, w.IcmpDelayed);
        var f = s.Detect()!.Finding!;
        Assert.Contains($"RX queue {q} of {A}", f.Title);
        Assert.Contains(f.Evidence, e => e.Label == "where the packets waited" && e.Value == "1 stall(s) held replies on arrival at the requester");
    }

    [Fact]
    public void A_pause_of_every_queue_is_a_whole_host_stall()
    {
        var s = Run(2, (icmp, t, atB, atA) => Held(t, 0.5, 0.75, 0.3));
        var w = Assert.Single(s.Detect()!.Analysis.Stalls);
        Assert.Equal(StallScope.AllCpus, w.Scope);
        Assert.Null(w.RxQueue);
        Assert.Contains("whole", s.Detect()!.Finding!.Remediation);
    }

    [Fact]
    public void A_uniformly_slow_path_single_outliers_and_a_slow_stretch_are_not_stalls()
    {
        // Slow everywhere: the baseline rises with it.
        Assert.Empty(Run(2, (icmp, t, atB, atA) => 40 + 10 * Jitter(t)).Detect()!.Analysis.Stalls);
        // Lone outliers, even several close together, are not released together.
        var outliers = Run(2, (icmp, t, atB, atA) => t is > 0.5 and < 0.506 || t is > 1.2 and < 1.202 ? 120 + 100 * Jitter(t) : 0.3);
        Assert.Empty(outliers.Detect()!.Analysis.Stalls);
        // A second of queueing on the path: every probe 30 ms ± 5 ms late, replies as spread as requests.
        var stretch = Run(3, (icmp, t, atB, atA) => t is > 1 and < 2 ? 30 + 10 * Jitter(t) : 0.3 + 0.05 * Jitter(t));
        var r = stretch.Detect()!;
        Assert.Empty(r.Analysis.Stalls);
        Assert.Null(r.Finding);
    }

    [Fact]
    public void Two_stalls_on_different_queues_at_overlapping_times_are_told_apart()
    {
        int q1 = IcmpQueueAtB, q2 = (q1 + 3) % 8;
        var s = Run(2, (icmp, t, atB, atA) => atB == q1 ? Held(t, 0.5, 0.8, 0.3) : atB == q2 ? Held(t, 0.6, 0.9, 0.3) : 0.3);
        var stalls = s.Detect()!.Analysis.Stalls;
        Assert.Equal(2, stalls.Count);
        Assert.Equal([q1, q2], stalls.Select(w => w.RxQueue!.Value));
        Assert.All(stalls, w => Assert.Equal(StallScope.OneCpu, w.Scope));
    }

    [Fact]
    public void Nothing_to_judge_gives_no_analysis_and_disabled_detection_none_either()
    {
        Assert.Null(StallDetector.Detect([], [], StallOptions.Default));
        var s = Run(1, (icmp, t, atB, atA) => Held(t, 0.2, 0.5, 0.3));
        Assert.Null(s.Detect(new StallOptions { Enabled = false }));
    }

    [Fact]
    public void The_timeline_is_downsampled_but_keeps_every_point_inside_a_stall()
    {
        var s = Run(20, (icmp, t, atB, atA) => atB == IcmpQueueAtB ? Held(t, 10, 10.4, 0.3) : 0.3, connectMs: 1);
        var r = s.Detect(new StallOptions { Rss = Rss, MaxTimelinePoints = 500 })!;
        int inStall = r.Analysis.Stalls.Sum(w => w.PacketsDelayed);
        Assert.True(s.Handshakes.Count + s.Echoes.Count > 20_000);
        Assert.Equal(inStall, r.Analysis.Timeline.Count(p => p.InStall));
        Assert.InRange(r.Analysis.Timeline.Count, inStall, inStall + 500);
        Assert.True(r.Analysis.Timeline.Zip(r.Analysis.Timeline.Skip(1)).All(x => x.First.Time <= x.Second.Time));
    }
}
