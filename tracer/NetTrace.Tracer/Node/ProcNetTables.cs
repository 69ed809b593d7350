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

    /// <summary>Times each table of the network namespace at <paramref name="netnsPath"/> (null: this process's),
    /// each up to <paramref name="repeats"/> times within <paramref name="perFileBudget"/>.
    /// Lines in the result are entries (routes or sockets): the header line is already taken off.</summary>
    public static IReadOnlyList<FileReadTiming> Time(string? netnsPath, int repeats, TimeSpan perFileBudget) =>
        NetnsThread.Run(netnsPath, () => Files.Select(f =>
        {
            // thread-self: /proc/net follows the process's (main thread's) namespace, not this thread's.
            var t = KernelFileTimer.Time($"/proc/thread-self/net/{f.Name}", repeats, perFileBudget, $"/proc/net/{f.Name}");
            return f.Header && t.Lines > 0 ? t with { Lines = t.Lines - 1 } : t;
        }).ToList());

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
