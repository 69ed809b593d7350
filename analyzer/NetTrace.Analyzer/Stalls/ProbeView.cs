namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// The probes that would share a stalled NIC, in time order. A stall hits every flow arriving at one host's queue
/// whatever its peer, so probes are grouped by the host that may have stalled: per responder address (requests
/// held), per requester address (replies held), and the whole capture as one host — the capture's own node, whose
/// pods' addresses differ but whose NIC is one.
/// </summary>
internal sealed class ProbeView
{
    public required string Name { get; init; }
    /// <summary>The sides whose queue hypothesis makes sense for this grouping.</summary>
    public required StalledSide[] Sides { get; init; }
    /// <summary>Probe indices ordered by segment, then request time.</summary>
    public required int[] Order { get; init; }
    public required List<Segment> Segments { get; init; }

    /// <summary>Order[Start..End) are one host's probes; Host names it ("10.0.0.2", or null for the capture's host).</summary>
    public readonly record struct Segment(int Start, int End, string? Host);

    /// <summary>All probes by request time (one primitive-key sort, shared by every view).</summary>
    public static int[] ByTime(Probe[] probes)
    {
        var times = new double[probes.Length];
        var order = new int[probes.Length];
        for (int i = 0; i < order.Length; i++) { order[i] = i; times[i] = probes[i].Time; }
        Array.Sort(times, order);
        return order;
    }

    /// <summary>Probes grouped by the responder's or the requester's address, each host's in time order (a stable counting sort).</summary>
    public static ProbeView ByHost(Probe[] probes, int[] byTime, int hosts, string name, StalledSide side, Func<int, string> hostName)
    {
        bool responder = side == StalledSide.Responder;
        var start = new int[hosts + 1];
        foreach (ref readonly var p in probes.AsSpan()) start[(responder ? p.ResponderHost : p.RequesterHost) + 1]++;
        for (int h = 0; h < hosts; h++) start[h + 1] += start[h];
        var next = (int[])start.Clone();
        var order = new int[probes.Length];
        foreach (int i in byTime) order[next[responder ? probes[i].ResponderHost : probes[i].RequesterHost]++] = i;
        var segments = new List<Segment>();
        for (int h = 0; h < hosts; h++)
            if (start[h + 1] > start[h]) segments.Add(new Segment(start[h], start[h + 1], hostName(h)));
        return new ProbeView { Name = name, Sides = [side], Order = order, Segments = segments };
    }

    public static ProbeView Whole(int[] byTime) => new()
    {
        Name = "capture", Sides = [StalledSide.Responder, StalledSide.Requester], Order = byTime,
        Segments = [new Segment(0, byTime.Length, null)],
    };

    /// <summary>First position in the segment whose probe was sent at or after <paramref name="time"/>.</summary>
    public int LowerBound(Probe[] probes, Segment s, double time)
    {
        int from = s.Start, to = s.End;
        while (from < to)
        {
            int mid = (from + to) >>> 1;
            if (probes[Order[mid]].Time < time) from = mid + 1; else to = mid;
        }
        return from;
    }
}
