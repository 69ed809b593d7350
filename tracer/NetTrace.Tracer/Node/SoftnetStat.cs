using System.Globalization;

namespace NetTrace.Tracer.Node;

/// <summary>
/// One row of /proc/net/softnet_stat: the receive-path counters of one CPU's softnet_data.
/// Columns by position (hex): 0 processed, 1 dropped (backlog full: netdev_max_backlog), 2 time_squeeze (net_rx_action
/// ran out of netdev_budget or netdev_budget_usecs with work left), 3–8 unused (fastroute, cpu_collision; always 0
/// today), 9 received_rps (IPIs received to process RPS-steered packets), 10 flow_limit_count (3.11+),
/// 11 backlog length and 12 the CPU's number (5.10+; older kernels print only online CPUs, so the row's ordinal is not
/// necessarily the CPU number), 13 input_pkt_queue length and 14 process_queue length (6.x).
/// </summary>
public sealed record SoftnetRow(
    int Row,
    int? Cpu,
    long Processed,
    long Dropped,
    long TimeSqueeze,
    long? ReceivedRps,
    long? FlowLimitCount,
    long? BacklogLength,
    int Columns)
{
    /// <summary>The CPU number when the kernel prints it, else the row's ordinal (right when no CPU is offline).</summary>
    public int CpuOrRow => Cpu ?? Row;
}

/// <summary>Counter rises of one CPU between two reads; backlog length is the later read's (a gauge, not a counter).</summary>
public sealed record SoftnetDelta(int Cpu, long Processed, long Dropped, long TimeSqueeze, long? ReceivedRps, long? FlowLimitCount);

public static class SoftnetStat
{
    public const string Path = "/proc/net/softnet_stat";

    /// <summary>Parses the file's text. Rows with fewer than 10 columns or non-hex fields raise FormatException
    /// naming the line: a layout this parser does not know is reported, not guessed.</summary>
    public static IReadOnlyList<SoftnetRow> Parse(string text)
    {
        var rows = new List<SoftnetRow>();
        int lineNo = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10)
                throw new FormatException($"softnet_stat line {lineNo} has {f.Length} columns; expected 10 to 15: '{line.Trim()}'");
            var v = new long[f.Length];
            for (int i = 0; i < f.Length; i++)
                if (!long.TryParse(f[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out v[i]))
                    throw new FormatException($"softnet_stat line {lineNo} column {i + 1} is not hex: '{f[i]}'");
            rows.Add(new SoftnetRow(
                Row: rows.Count,
                Cpu: f.Length >= 13 ? (int)v[12] : null,
                Processed: v[0], Dropped: v[1], TimeSqueeze: v[2],
                ReceivedRps: v[9],
                FlowLimitCount: f.Length >= 11 ? v[10] : null,
                BacklogLength: f.Length >= 12 ? v[11] : null,
                Columns: f.Length));
        }
        return rows;
    }

    /// <summary>Rises per CPU from <paramref name="before"/> to <paramref name="after"/>, matched by CPU number.
    /// The counters are 32-bit in the file (unsigned int in the kernel): a wrap is undone.</summary>
    public static IReadOnlyList<SoftnetDelta> Delta(IReadOnlyList<SoftnetRow> before, IReadOnlyList<SoftnetRow> after)
    {
        var old = before.ToDictionary(r => r.CpuOrRow);
        var deltas = new List<SoftnetDelta>();
        foreach (var a in after)
        {
            if (!old.TryGetValue(a.CpuOrRow, out var b)) continue;   // CPU came online between reads
            deltas.Add(new SoftnetDelta(a.CpuOrRow, Rise(b.Processed, a.Processed), Rise(b.Dropped, a.Dropped),
                Rise(b.TimeSqueeze, a.TimeSqueeze),
                a.ReceivedRps is long ar && b.ReceivedRps is long br ? Rise(br, ar) : null,
                a.FlowLimitCount is long af && b.FlowLimitCount is long bf ? Rise(bf, af) : null));
        }
        return deltas;
    }

    private static long Rise(long before, long after) => after >= before ? after - before : after + (1L << 32) - before;
}
