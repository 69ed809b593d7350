using System.Globalization;

namespace NetTrace.Tracer.Conntrack;

/// <summary>
/// Conntrack statistics of one network namespace at one moment: the per-CPU counters of
/// /proc/net/stat/nf_conntrack summed over CPUs, plus the table fill (nf_conntrack_count / nf_conntrack_max).
/// The counters the SNAT port race moves are insert_failed and drop (one each per lost packet);
/// clash_resolve counts clashes the kernel resolved instead of dropping (UDP), early_drop entries evicted
/// because the table was full.
/// </summary>
public sealed record ConntrackSnapshot
{
    /// <summary>Counter name (as the kernel's header spells it) -> sum over CPUs.</summary>
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
    public required int Cpus { get; init; }
    /// <summary>Entries in the table (the "entries" column is global, repeated on every CPU row: taken once).</summary>
    public long? Count { get; init; }
    public long? Max { get; init; }
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    public long InsertFailed => Get("insert_failed");
    public long Drop => Get("drop");
    /// <summary>The kernel's header says "clashres"; older kernels have no such column (0 then).</summary>
    public long ClashResolve => Get("clashres");
    public long EarlyDrop => Get("early_drop");
    public long Invalid => Get("invalid");

    public long Get(string name) => Counters.TryGetValue(name, out var v) ? v : 0;
    public bool Has(string name) => Counters.ContainsKey(name);

    /// <summary>Counter rises from <paramref name="before"/> to this snapshot (this minus before, per name).</summary>
    public ConntrackDelta Since(ConntrackSnapshot before) => new(before, this);
}

public sealed record ConntrackDelta(ConntrackSnapshot Before, ConntrackSnapshot After)
{
    public long this[string name] => After.Get(name) - Before.Get(name);
    public long InsertFailed => this["insert_failed"];
    public long Drop => this["drop"];
    public long ClashResolve => this["clashres"];
    public long EarlyDrop => this["early_drop"];
    public TimeSpan Window => After.Time - Before.Time;
}

public static class ConntrackStats
{
    /// <summary>Per-namespace path. Inside a setns'd thread /proc/net would still show the process's namespace.</summary>
    private const string StatPath = "/proc/thread-self/net/stat/nf_conntrack";
    private const string CountPath = "/proc/sys/net/netfilter/nf_conntrack_count";
    private const string MaxPath = "/proc/sys/net/netfilter/nf_conntrack_max";

    /// <summary>Reads the statistics of the namespace at <paramref name="netnsPath"/> (/run/netns/X, /proc/PID/ns/net),
    /// or of the caller's namespace when null.</summary>
    /// <exception cref="ConntrackUnavailableException">conntrack is not loaded / has no statistics here.</exception>
    public static ConntrackSnapshot Read(string? netnsPath = null) => NetnsThread.Run(netnsPath, ReadHere);

    private static ConntrackSnapshot ReadHere()
    {
        string text;
        try { text = File.ReadAllText(StatPath); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConntrackUnavailableException($"{StatPath} does not exist: netfilter conntrack is not available in this namespace/kernel");
        }
        var snap = Parse(text);
        return snap with { Count = ReadNumber(CountPath) ?? snap.Count, Max = ReadNumber(MaxPath) };
    }

    private static long? ReadNumber(string path)
    {
        try { return long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    /// <summary>
    /// Parses the text of /proc/net/stat/nf_conntrack: a header of column names, then one row of hexadecimal
    /// numbers per possible CPU. Columns are matched by name, because their set and order change between kernels
    /// (clashres appeared in 5.x, insert stopped being counted, ...).
    /// </summary>
    /// <exception cref="FormatException">the text is not in that format; the message says where.</exception>
    public static ConntrackSnapshot Parse(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) throw new FormatException("nf_conntrack statistics: empty");
        var names = lines[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0 || names.Any(n => !n.All(c => char.IsAsciiLetterLower(c) || c == '_')))
            throw new FormatException($"nf_conntrack statistics: line 1 is not a header of column names: '{lines[0]}'");
        var sums = new long[names.Length];
        long? entries = null;
        int cpus = 0;
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length != names.Length)
                throw new FormatException($"nf_conntrack statistics: line {i + 1} has {cells.Length} columns, the header {names.Length}");
            for (int c = 0; c < cells.Length; c++)
            {
                if (!long.TryParse(cells[c], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
                    throw new FormatException($"nf_conntrack statistics: line {i + 1} column '{names[c]}': '{cells[c]}' is not hexadecimal");
                if (names[c] == "entries") entries ??= v; // global, repeated per CPU
                else sums[c] += v;
            }
            cpus++;
        }
        if (cpus == 0) throw new FormatException("nf_conntrack statistics: header without any CPU row");
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int c = 0; c < names.Length; c++)
            if (names[c] != "entries") counters[names[c]] = sums[c];
        return new ConntrackSnapshot { Counters = counters, Cpus = cpus, Count = entries };
    }
}

public sealed class ConntrackUnavailableException(string message) : Exception(message);
