namespace NetTrace.Analyzer.Findings;

/// <summary>Nearest-rank percentiles over a sorted list (no interpolation: every value reported was observed).</summary>
public static class Percentiles
{
    public static double Of(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        int rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static List<double> Sorted(IEnumerable<double> values)
    {
        var l = values.ToList();
        l.Sort();
        return l;
    }
}
