using NetTrace.Tracer.Conntrack;

namespace NetTrace.Tracer.Node;

/// <summary>The /proc/net tables that monitoring agents read on a schedule and that the kernel produces by walking a
/// table (routes, sockets) — some of them with bottom halves disabled while they walk.</summary>
public static class ProcNetTables
{
    /// <summary>File name and whether its first line is a header (ipv6_route has none: every line is a route).</summary>
    public static readonly IReadOnlyList<(string Name, bool Header)> Files =
    [
        ("ipv6_route", false), ("route", true), ("tcp", true), ("tcp6", true), ("udp", true), ("udp6", true),
    ];

    /// <summary>Every ipv6_route line is 149 characters and a newline.</summary>
    public const int Ipv6RouteLineBytes = 150;
    /// <summary>Above this size ipv6_route is not read in full: each read() re-walks the route tree from the start,
    /// so a full pass is quadratic (100k routes: ~63 s here, and the doctor would stall NET_RX all that time).</summary>
    public const long Ipv6RouteFullReadBytes = 256 * 1024;

    /// <summary>Times each table of the network namespace at <paramref name="netnsPath"/> (null: this process's),
    /// each up to <paramref name="repeats"/> times within <paramref name="perFileBudget"/>.
    /// Lines in the result are entries (routes or sockets): the header line is already taken off. A large
    /// ipv6_route is measured by one read near its end (the costliest call of a full pass) and its route count
    /// taken from rt6_stats.</summary>
    public static IReadOnlyList<FileReadTiming> Time(string? netnsPath, int repeats, TimeSpan perFileBudget,
        double maxOwnReadMs = MaxOwnReadMs) =>
        NetnsThread.Run(netnsPath, () => Files.Select(f =>
        {
            // thread-self: /proc/net follows the process's (main thread's) namespace, not this thread's.
            var path = $"/proc/thread-self/net/{f.Name}";
            var label = $"/proc/net/{f.Name}";
            if (f.Name == "ipv6_route" && Ipv6Routes() is long routes && routes * Ipv6RouteLineBytes > Ipv6RouteFullReadBytes)
                return TimeLargeIpv6Route(path, label, routes, maxOwnReadMs);
            var t = KernelFileTimer.Time(path, repeats, perFileBudget, label);
            return f.Header && t.Lines > 0 && !t.Partial ? t with { Lines = t.Lines - 1 } : t;
        }).ToList());

    /// <summary>The doctor's own reads must not become the stall it looks for: a read predicted to hold bottom halves
    /// off longer than this is not made, and its cost is extrapolated instead.</summary>
    public const double MaxOwnReadMs = 200;

    /// <summary>A read at offset X walks the table from the start to X, so its cost grows linearly with X. One read a
    /// quarter of the way in gives the slope; the read at the end (what the last call of an agent's full pass costs) is
    /// made only when predicted under <paramref name="maxOwnReadMs"/>, else reported as 4x the quarter read.</summary>
    private static FileReadTiming TimeLargeIpv6Route(string path, string label, long routes, double maxOwnReadMs)
    {
        long size = routes * Ipv6RouteLineBytes;
        string pass = $"not read in full: a full pass is ~{size / 4096:N0} read() calls, each walking the route tree up to its offset";
        var quarter = KernelFileTimer.TimeReadAt(path, size / 4, 4096, label);
        if (!quarter.Ok) return quarter;
        double predicted = quarter.LongestCallMs * 4;
        if (predicted < maxOwnReadMs)
        {
            var end = KernelFileTimer.TimeReadAt(path, size - 4096, 4096, label);
            if (end.Ok)
                return end with { Lines = routes, Bytes = size, Note = $"{end.Note}, the last of a full pass; {pass}" };
        }
        return quarter with
        {
            Lines = routes, Bytes = size,
            LongestCallMs = predicted,
            Note = $"estimated: one 4 KiB read() a quarter of the way in took {quarter.LongestCallMs:0.#} ms, x 4; the read at the end " +
                   $"was not made, it would itself hold a CPU's softirqs off ~{predicted:0} ms; {pass}",
        };
    }

    /// <summary>Routes in this thread's namespace from /proc/net/rt6_stats (hex; the 4th field is fib_rt_entries).
    /// Null when IPv6 is off or the file is unreadable.</summary>
    private static long? Ipv6Routes()
    {
        try
        {
            var f = File.ReadAllText("/proc/thread-self/net/rt6_stats").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return f.Length >= 4 && long.TryParse(f[3], System.Globalization.NumberStyles.HexNumber, null, out var n) ? n : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Hash-table sizes of the namespace (6.1+ kernels): reading /proc/net/tcp* or udp* walks every bucket,
    /// empty or not, so a big table is slow to read even with few sockets. Missing sysctls are left out.</summary>
    public static IReadOnlyDictionary<string, long> HashSizes(string? netnsPath) =>
        NetnsThread.Run(netnsPath, () =>
        {
            var d = new Dictionary<string, long>();
            foreach (var name in new[] { "tcp_ehash_entries", "udp_hash_entries" })
                try
                {
                    // /proc/sys/net follows the thread that opens it: this namespace's values. Negative = shared with init_net.
                    if (long.TryParse(File.ReadAllText($"/proc/sys/net/ipv4/{name}").Trim(), out var v)) d[name] = Math.Abs(v);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            return d;
        });
}
