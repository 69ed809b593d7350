using System.Net;

namespace NetTrace.Tracer.Conntrack;

/// <summary>One lost insert race: the dropped connection (which pod) and the one that holds the outer tuple.</summary>
public sealed record SnatClash(ConntrackNatEvent Loser, ConntrackNatEvent? Winner)
{
    /// <summary>Time between the winner's translation and the loser's drop, when the winner was seen.</summary>
    public double? GapMicros => Winner is null ? null : ((double)Loser.TimestampNs - Winner.TimestampNs) / 1000.0;
}

public sealed record SnatClashReport(
    IReadOnlyList<SnatClash> Clashes,
    long NewConnections,
    long PortRemapped,
    long? InsertFailed,
    long? Drop,
    ulong LostEvents,
    double Confidence)
{
    public IReadOnlyDictionary<IPAddress, int> LosersByInnerAddress =>
        Clashes.GroupBy(c => c.Loser.Inner.Address).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Every kernel-counted failed insert was seen as a clash drop (and nothing was lost on the way).</summary>
    public bool CountsAgree => InsertFailed is long f && f == Clashes.Count && LostEvents == 0;
}

/// <summary>
/// Joins the conntrack NAT probe's events into SNAT race evidence: each clash drop (unconfirmed conntrack dropped by
/// netfilter) is paired with the connection translated to the same outer ip:port towards the same remote just
/// before it — the loser's REPLY tuple equals the winner's — and set against the insert_failed rise of the window.
/// </summary>
public static class SnatClashJoiner
{
    /// <summary>The winner is translated within the same race window; anything older is a different story.</summary>
    public const ulong WinnerWindowNs = 50_000_000;

    public static SnatClashReport Join(IReadOnlyList<ConntrackNatEvent> events, ConntrackDelta? counters, ulong lostEvents)
    {
        var news = events.Where(e => e.Kind == ConntrackNatKind.New).ToList();
        var byOuter = news.ToLookup(e => (e.Outer.ToString(), e.Remote.ToString(), e.Protocol));
        var clashes = new List<SnatClash>();
        foreach (var drop in events.Where(e => e.Kind == ConntrackNatKind.ClashDrop))
        {
            var winner = byOuter[(drop.Outer.ToString(), drop.Remote.ToString(), drop.Protocol)]
                .Where(w => w.Conntrack != drop.Conntrack && !w.Inner.Equals(drop.Inner)
                            && w.TimestampNs <= drop.TimestampNs + WinnerWindowNs && drop.TimestampNs <= w.TimestampNs + WinnerWindowNs)
                .OrderBy(w => w.TimestampNs > drop.TimestampNs ? w.TimestampNs - drop.TimestampNs : drop.TimestampNs - w.TimestampNs)
                .FirstOrDefault();
            clashes.Add(new SnatClash(drop, winner));
        }
        long? failed = counters?.InsertFailed;
        // Evidence strength: drops seen and matched to a winner, agreeing with the kernel's own count.
        double confidence = clashes.Count == 0 ? 0
            : 0.6 + (clashes.Count(c => c.Winner != null) == clashes.Count ? 0.2 : 0)
                  + (failed == clashes.Count ? 0.15 : 0);
        if (lostEvents > 0) confidence *= 0.8;
        return new SnatClashReport(clashes, news.Count, news.Count(n => n.PortRemapped), failed, counters?.Drop, lostEvents,
            Math.Round(confidence, 2));
    }
}
