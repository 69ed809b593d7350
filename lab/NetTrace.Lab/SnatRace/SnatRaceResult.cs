using NetTrace.Tracer.Conntrack;

namespace NetTrace.Lab.SnatRace;

public sealed record CaptureFile(string Role, string Path, string Interface, long? Packets, long? KernelDrops);

public sealed record SnatRaceResult
{
    public required SnatRaceOptions Options { get; init; }
    public required string NatRule { get; init; }
    public required string NodeNetns { get; init; }
    public required IReadOnlyList<ConnectSample> Connects { get; init; }
    public required ConntrackDelta Conntrack { get; init; }
    public IReadOnlyList<CaptureFile> Captures { get; init; } = [];
    public required TimeSpan Elapsed { get; init; }
    /// <summary>With --trace: what the conntrack NAT probe saw, joined (clash drops, their winners, the counters).</summary>
    public SnatClashReport? Live { get; init; }

    public int SlowConnects => Connects.Count(c => c.Slow);
    public int FailedConnects => Connects.Count(c => c.Error != null);
    public int RetransmittedSyns => Connects.Sum(c => c.SynRetransmits ?? 0);
    public long InsertFailed => Conntrack.InsertFailed;
    /// <summary>Every lost SYN is one failed insert and one SYN the client kernel had to send again (TCP_INFO); it
    /// costs its connect one initial RTO. A connect that loses twice is one slow connect but two failed inserts, so
    /// the exact relation is with retransmitted SYNs. (Each is also one conntrack drop, but drop also counts
    /// packets the TCP tracker rejects, so it may be a little higher.)</summary>
    public bool CountsMatch => RetransmittedSyns == InsertFailed && (InsertFailed > 0 || SlowConnects == 0);

    public IReadOnlyDictionary<int, int> SlowPerPod =>
        Connects.Where(c => c.Slow).GroupBy(c => c.Pod).ToDictionary(g => g.Key, g => g.Count());
}
