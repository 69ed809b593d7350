using NetTrace.Events;

namespace NetTrace.Tracer.Trace.LiveView;

/// <summary>What a user watching `nettrace trace` sees. Refresh runs on a timer thread, Event on the poll thread.</summary>
public interface ILiveView
{
    /// <summary>An accepted event; views show the notable ones (failed/slow connects, drops, stalls).</summary>
    void Event(TraceEvent e);
    void Refresh(TraceStatsSnapshot stats);
    /// <summary>The session ended: final counts, why it ended.</summary>
    void Complete(TraceStatsSnapshot stats, string reason);
}

public sealed class NoLiveView : ILiveView
{
    public void Event(TraceEvent e) { }
    public void Refresh(TraceStatsSnapshot stats) { }
    public void Complete(TraceStatsSnapshot stats, string reason) { }
}

/// <summary>One-line descriptions of events, shared by the rolling view and the table.</summary>
public static class EventLines
{
    public static bool IsNotable(TraceEvent e) => e.KindCase switch
    {
        TraceEvent.KindOneofCase.Connect => e.Connect.Outcome != ConnectOutcome.Established || e.Connect.SynRetransmits > 0
                                            || e.Connect.LatencyNs >= (ulong)TraceStats.SlowConnect.TotalNanoseconds,
        TraceEvent.KindOneofCase.Drop or TraceEvent.KindOneofCase.SoftirqStall or TraceEvent.KindOneofCase.Nat => true,
        _ => false,
    };

    public static string Describe(TraceEvent e)
    {
        var o = e.KindCase switch
        {
            TraceEvent.KindOneofCase.Connect => e.Connect.Origin,
            TraceEvent.KindOneofCase.Drop => e.Drop.Origin,
            TraceEvent.KindOneofCase.SoftirqStall => e.SoftirqStall.Origin,
            TraceEvent.KindOneofCase.Nat => e.Nat.Origin,
            TraceEvent.KindOneofCase.IcmpEcho => e.IcmpEcho.Origin,
            _ => null,
        };
        var when = o == null ? "" : DateTimeOffset.UnixEpoch.AddTicks((long)(o.TimeUnixNs / 100)).ToString("HH:mm:ss.fff") + " ";
        // The pod names the netns when enrichment knows it; the raw inode otherwise.
        var ns = o?.Pod is { Name.Length: > 0 } pod ? $" pod {PeerNames.Of(pod)}"
            : o == null || o.NetnsIno == 0 ? "" : $" netns {o.NetnsIno}";
        return when + e.KindCase switch
        {
            TraceEvent.KindOneofCase.Connect =>
                $"connect {TraceStats.OutcomeName(e.Connect.Outcome)} {e.Connect.Tuple?.Source()} -> " +
                $"{PeerNames.With(e.Connect.Tuple?.Destination() ?? "?", PeerNames.Of(e.Connect.Remote))} " +
                $"{e.Connect.LatencyNs / 1e6:0.0} ms, {e.Connect.SynRetransmits} SYN retransmit(s) [{o?.Comm}]{ns}",
            TraceEvent.KindOneofCase.Drop =>
                $"drop {Or(e.Drop.Reason, "reason " + e.Drop.ReasonCode)} at {Or(e.Drop.LocationSymbol, $"0x{e.Drop.Location:x}")} " +
                (e.Drop.Tuple != null ? $"{PeerNames.With(e.Drop.Tuple.Source(), PeerNames.Of(e.Drop.SrcPeer))} -> " +
                                        $"{PeerNames.With(e.Drop.Tuple.Destination(), PeerNames.Of(e.Drop.DstPeer))}" : "") + ns,
            TraceEvent.KindOneofCase.SoftirqStall => DescribeStall(e.SoftirqStall),
            TraceEvent.KindOneofCase.Nat =>
                $"nat {e.Nat.Kind} {e.Nat.Original?.Source()} -> {PeerNames.With(e.Nat.Original?.Destination() ?? "?", PeerNames.Of(e.Nat.OriginalDstPeer))} " +
                $"as {e.Nat.Reply?.Destination()}{ns}",
            TraceEvent.KindOneofCase.IcmpEcho =>
                $"icmp echo {EventAddresses.Format(e.IcmpEcho.Src)} -> {EventAddresses.Format(e.IcmpEcho.Dst)} id {e.IcmpEcho.Id} seq {e.IcmpEcho.Seq} cpu{o?.Cpu}",
            _ => e.KindCase.ToString(),
        };
    }

    // "softirq NET_RX cpu1 waited 20.125 ms, held by ip[4242], ran in softirq-in-task ip[4242]"
    private static string DescribeStall(SoftirqStallEvent s)
    {
        var o = s.Origin;
        var ranIn = $"{JsonLinesWriter.ContextName(s.Context)} {o?.Comm}[{o?.Pid}]";
        return s.Metric == SoftirqMetric.RunTime
            ? $"softirq {JsonLinesWriter.VectorName(s.Vector)} cpu{o?.Cpu} ran {s.RunNs / 1e6:0.000} ms ({ranIn})"
            : $"softirq {JsonLinesWriter.VectorName(s.Vector)} cpu{o?.Cpu} waited {s.RaiseToEntryNs / 1e6:0.000} ms" +
              (s.RaiseComm.Length > 0 ? $", held by {s.RaiseComm}[{s.RaisePid}]" : "") + $", ran in {ranIn}";
    }

    private static string Or(string s, string fallback) => s.Length > 0 ? s : fallback;
}
