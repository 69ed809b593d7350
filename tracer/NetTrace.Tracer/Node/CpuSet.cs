using System.Globalization;

namespace NetTrace.Tracer.Node;

/// <summary>The two ways the kernel writes a set of CPUs: a hex mask ("00000000,00000003" in rps_cpus, xps_cpus,
/// smp_affinity) and a list ("0-3,8" in smp_affinity_list).</summary>
public static class CpuSet
{
    /// <summary>Parses a hex CPU mask; comma-separated 32-bit words, most significant first. Null on malformed text.</summary>
    public static SortedSet<int>? ParseMask(string text)
    {
        var hex = text.Trim().Replace(",", "");
        if (hex.Length == 0) return null;
        var cpus = new SortedSet<int>();
        for (int i = 0; i < hex.Length; i++)
        {
            int nibble = HexValue(hex[hex.Length - 1 - i]);
            if (nibble < 0) return null;
            for (int b = 0; b < 4; b++)
                if ((nibble & (1 << b)) != 0) cpus.Add(i * 4 + b);
        }
        return cpus;
    }

    /// <summary>Parses a CPU list such as "0-3,8,10-11"; empty text is the empty set. Null on malformed text.</summary>
    public static SortedSet<int>? ParseList(string text)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length == 1 && int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int one)) cpus.Add(one);
            else if (range.Length == 2 && int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int lo)
                     && int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out int hi) && lo <= hi && hi - lo < 65536)
                for (int c = lo; c <= hi; c++) cpus.Add(c);
            else return null;
        }
        return cpus;
    }

    /// <summary>Writes a set back as a compact list ("0-3,8"); "none" when empty.</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        if (sorted.Count == 0) return "none";
        var parts = new List<string>();
        int start = sorted[0], prev = sorted[0];
        foreach (var c in sorted.Skip(1).Append(int.MinValue))
        {
            if (c == prev + 1) { prev = c; continue; }
            parts.Add(start == prev ? $"{start}" : $"{start}-{prev}");
            start = prev = c;
        }
        return string.Join(",", parts);
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
