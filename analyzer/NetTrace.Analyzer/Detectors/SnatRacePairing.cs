using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Detectors;

/// <summary>
/// Pairs connections across a NAT between two captures (same ISN, same server, different client) and finds the
/// inner connections whose first SYN did not come out the other side.
/// </summary>
internal static class SnatRacePairing
{
    internal sealed record Pair(SnatRaceTcp Inner, SnatRaceTcp Outer);
    internal sealed record Loser(SnatRaceTcp Inner, SnatRaceTcp Outer, Pair? Winner);

    internal sealed record Result(IReadOnlyList<Loser> Losers, int PairedCount, string? InnerFile, string? OuterFile)
    {
        public HashSet<string> InnerFiles => InnerFile == null ? [] : [InnerFile];
    }

    public static Result Find(IReadOnlyList<SnatRaceTcp> all)
    {
        var files = all.Select(t => t.File).Distinct().ToList();
        if (files.Count < 2) return new([], 0, null, null);
        Result best = new([], 0, null, null);
        // Any two files may be the two sides of a NAT; keep the pairing that explains the most connections.
        for (int i = 0; i < files.Count; i++)
            for (int j = i + 1; j < files.Count; j++)
            {
                var r = PairFiles(all.Where(t => t.File == files[i]).ToList(),
                                  all.Where(t => t.File == files[j]).ToList(), files[i], files[j]);
                if (r.Losers.Count > best.Losers.Count || (r.Losers.Count == best.Losers.Count && r.PairedCount > best.PairedCount)) best = r;
            }
        return best;
    }

    private static Result PairFiles(List<SnatRaceTcp> a, List<SnatRaceTcp> b, string fileA, string fileB)
    {
        var byIsnB = b.Where(t => t.Isn != null).ToLookup(t => (t.Isn!.Value, t.Server.Ip, t.Server.Port));
        var pairs = new List<(SnatRaceTcp A, SnatRaceTcp B)>();
        foreach (var x in a)
        {
            if (x.Isn is not uint isn) continue;
            var match = byIsnB[(isn, x.Server.Ip, x.Server.Port)]
                .Where(y => !y.Client.SameAddressAndPort(x.Client) && Overlaps(x, y))
                .OrderBy(y => Math.Abs(y.FirstSyn - x.FirstSyn)).FirstOrDefault();
            if (match != null) pairs.Add((x, match));
        }
        if (pairs.Count == 0) return new([], 0, null, null);

        // The inner side shows the pods' many addresses; the outer side the node's one (or few) NAT addresses.
        int distinctA = pairs.Select(p => p.A.Client.Ip).Distinct().Count();
        int distinctB = pairs.Select(p => p.B.Client.Ip).Distinct().Count();
        bool aInner = distinctA >= distinctB;
        var paired = pairs.Select(p => aInner ? new Pair(p.A, p.B) : new Pair(p.B, p.A)).ToList();

        // Outer endpoint -> the pairs that used it, for finding who took the port a loser would have kept.
        var byOuter = paired.ToLookup(p => (p.Outer.Client.Ip, p.Outer.Client.Port));
        var losers = new List<Loser>();
        foreach (var p in paired)
        {
            // The inner's first SYN has no copy on the outer side: the first outer SYN comes a retransmit later.
            if (p.Inner.SynTimes.Length < 2) continue;
            if (p.Outer.FirstSyn - p.Inner.FirstSyn < 0.5) continue;
            var wanted = (p.Outer.Client.Ip, p.Inner.Client.Port);
            var winner = byOuter[wanted].Where(w => !ReferenceEquals(w, p)
                                                    && Math.Abs(w.Inner.FirstSyn - p.Inner.FirstSyn) <= SnatRaceDetector.RaceWindowSeconds
                                                    && w.Inner.Server.SameAddressAndPort(p.Inner.Server))
                .OrderBy(w => Math.Abs(w.Inner.FirstSyn - p.Inner.FirstSyn)).FirstOrDefault();
            losers.Add(new Loser(p.Inner, p.Outer, winner));
        }
        return new(losers, paired.Count, aInner ? fileA : fileB, aInner ? fileB : fileA);
    }

    /// <summary>The outer copy must fall within the inner connection's SYN period (same clock, small slack).</summary>
    private static bool Overlaps(SnatRaceTcp x, SnatRaceTcp y)
    {
        double s = SnatRaceDetector.CrossCaptureSlackSeconds;
        return (y.FirstSyn >= x.FirstSyn - s && y.FirstSyn <= x.LastSyn + s)
            || (x.FirstSyn >= y.FirstSyn - s && x.FirstSyn <= y.LastSyn + s);
    }
}
