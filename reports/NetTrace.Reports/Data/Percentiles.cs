namespace NetTrace.Reports.Data;

/// <summary>The percentiles the report shows, computed once per series.</summary>
public sealed record PercentileRow(string Series, int Count, double P50, double P90, double P99, double P999, double Max)
{
    public static readonly double[] Levels = [50, 90, 99, 99.9];
}

public static class Percentiles
{
    /// <summary>
    /// Nearest-rank percentile (the smallest value with at least p% of values at or below it) on a sorted
    /// array: it always returns a value that was observed, which is what a user checks against a capture.
    /// </summary>
    public static double NearestRank(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        if (p <= 0) return sorted[0];
        if (p >= 100) return sorted[^1];
        // The small subtraction keeps 99.9 % of 1000 at rank 999, not 1000 through floating-point error.
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length - 1e-9);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public static double[] Sorted(double[] values)
    {
        var copy = (double[])values.Clone();
        Array.Sort(copy);
        return copy;
    }

    public static PercentileRow? Row(LatencySeries s, double[]? sorted = null)
    {
        if (s.Count == 0) return null;
        sorted ??= Sorted(s.Micros);
        return new PercentileRow(s.Name, sorted.Length,
            NearestRank(sorted, 50), NearestRank(sorted, 90), NearestRank(sorted, 99), NearestRank(sorted, 99.9), sorted[^1]);
    }
}
