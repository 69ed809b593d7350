namespace NetTrace.Tracer.Trace;

/// <summary>
/// What the user asked `nettrace trace` for, validated. Turns into in-kernel filters where the kernel programs
/// can express them (one netns, one pid, up to four ports) and a user-space <see cref="TraceFilter"/> for the rest.
/// </summary>
public sealed record TraceRequest
{
    public IReadOnlyList<NetnsTarget> Netns { get; init; } = [];
    public IReadOnlyList<uint> Pids { get; init; } = [];
    public IReadOnlyList<uint> Ports { get; init; } = [];
    public CidrSet Cidrs { get; init; } = new([]);
    /// <summary>Probe names from <see cref="ProbeNames.All"/>.</summary>
    public IReadOnlySet<string> Probes { get; init; } = ProbeNames.All.ToHashSet();
    public TimeSpan SoftirqThreshold { get; init; } = TimeSpan.FromMilliseconds(1);
    /// <summary>Received packets that waited at least this long before netif_receive_skb become events.</summary>
    public TimeSpan RxLatencyThreshold { get; init; } = TimeSpan.FromMilliseconds(2);
    public bool IncludeUnspecifiedDrops { get; init; }
    /// <summary>Drop reason names never streamed; null = <see cref="NetTrace.Tracer.Session.TraceSessionOptions.DefaultExcludedDropReasons"/>.</summary>
    public IReadOnlyList<string>? ExcludedDropReasons { get; init; }
    /// <summary>
    /// Ring buffer per probe. 4 MiB holds ~25k connect events: about a second of a busy node's connects, so a poll
    /// thread delayed by a map drain or a CPU-starved moment catches up instead of losing events.
    /// </summary>
    public int RingBufferBytes { get; init; } = 4 << 20;

    public const int MaxKernelPorts = 4;

    public ulong KernelNetnsFilter => Netns.Count == 1 ? Netns[0].Inode : 0;
    public uint KernelPidFilter => Pids.Count == 1 ? Pids[0] : 0;
    public IReadOnlyList<uint> KernelPortFilter => Ports.Count <= MaxKernelPorts ? Ports : [];

    public TraceFilter UserFilter() => new(Netns.Select(n => n.Inode), Pids, Ports, Cidrs);

    /// <summary>Parses "tcp-connect,drops" style lists (repeatable, comma-separated); "all" = every probe.</summary>
    public static IReadOnlySet<string> ParseProbes(IEnumerable<string> specs)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in specs.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var n = name.ToLowerInvariant();
            if (n == "all") set.UnionWith(ProbeNames.All);
            else if (ProbeNames.All.Contains(n)) set.Add(n);
            else throw new FormatException($"unknown probe '{name}' (known: {string.Join(", ", ProbeNames.All)}, all)");
        }
        return set.Count == 0 ? ProbeNames.All.ToHashSet() : set;
    }
}
