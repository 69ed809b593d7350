namespace NetTrace.Lab.SoftirqStall;

/// <summary>One lab stall (its CPU time, see <see cref="StallSample"/>) and what the live tracing saw of it on the stall CPU.</summary>
/// <param name="LiveDelayMs">the longest NET_RX raise→entry wait inside the stall; null = not seen</param>
/// <param name="Events">NET_RX delays inside the stall: one for an MTU change (one BH-off walk), several for an agent
/// read (the seq_file drops and retakes the lock between buffer fills, each time re-walking the table)</param>
/// <param name="TotalDelayMs">their sum: how long NET_RX waited in all during the call</param>
public sealed record LiveStallView(int Stall, double LabDurationMs, double? LiveDelayMs, int? Cpu, string? HeldBy, string? RanIn,
    int Events, double TotalDelayMs);

/// <summary>
/// The live trace matched against the lab's own measurement. A live delay belongs to a lab stall when its raise→entry
/// interval overlaps the stall's system call (±<see cref="SlackMs"/> for clock conversion). The live delay starts at
/// the first packet that arrives during the stall, so it is shorter than the call by up to one probe interval (plus
/// the time before that packet's IPI); it cannot be longer than the call by more than the slack.
/// </summary>
public sealed record LiveStallMatch(
    string Attach,
    IReadOnlyList<LiveStallView> Stalls,
    int DelaysOnStallCpuOutsideStalls,
    int DelaysOnOtherCpus,
    double MaxDelayOnOtherCpusMs,
    ulong LostEvents)
{
    public const double SlackMs = 2;

    public int Found => Stalls.Count(s => s.LiveDelayMs != null);

    public static LiveStallMatch Build(string attach, IReadOnlyList<LiveSoftirqDelay> delays, ulong lost,
        IReadOnlyList<StallSample> stalls, int stallCpu)
    {
        var used = new HashSet<LiveSoftirqDelay>(ReferenceEqualityComparer.Instance);
        var views = new List<LiveStallView>();
        foreach (var s in stalls)
        {
            double from = s.StartUnixSeconds - SlackMs / 1000, to = s.EndUnixSeconds + SlackMs / 1000;
            var mine = delays.Where(d => d.Cpu == s.Cpu && d.RaiseUnixSeconds <= to && d.EntryUnixSeconds >= from).ToList();
            foreach (var d in mine) used.Add(d);
            var longest = mine.MaxBy(d => d.DelayMs);
            views.Add(new LiveStallView(s.Index, s.CpuMs, longest?.DelayMs, longest?.Cpu,
                longest == null ? null : $"{longest.RaisedBy} (pid {longest.RaisedByPid})",
                longest == null ? null : longest.InKsoftirqd ? longest.RanIn : $"softirq on {longest.RanIn} (pid {longest.RanInPid})",
                mine.Count, mine.Sum(d => d.DelayMs)));
        }
        var rest = delays.Where(d => !used.Contains(d)).ToList();
        var others = rest.Where(d => d.Cpu != stallCpu).ToList();
        return new LiveStallMatch(attach, views, rest.Count(d => d.Cpu == stallCpu), others.Count,
            others.Select(d => d.DelayMs).DefaultIfEmpty(0).Max(), lost);
    }
}
