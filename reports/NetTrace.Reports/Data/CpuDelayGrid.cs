using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>
/// Per-CPU NET_RX delay samples binned into a CPU × time grid for the heatmap: each cell holds the worst delay of
/// every sample whose interval overlaps it (a stall shorter than a cell must still show), NaN where no sample
/// covered it. Columns are capped so a long recording on a many-CPU node stays a small SVG.
/// </summary>
internal sealed class CpuDelayGrid
{
    public const int MaxColumns = 120;

    /// <summary>CPU ids in row order (ascending).</summary>
    public int[] Cpus { get; }
    public double Start { get; }
    public double BinSeconds { get; }
    public int Columns { get; }
    /// <summary>[row, column]: worst delay in milliseconds, NaN = no sample.</summary>
    public double[,] WorstMs { get; }

    private CpuDelayGrid(int[] cpus, double start, double bin, int columns, double[,] worst)
    {
        Cpus = cpus; Start = start; BinSeconds = bin; Columns = columns; WorstMs = worst;
    }

    public double End => Start + BinSeconds * Columns;

    public static CpuDelayGrid? From(IReadOnlyList<CpuDelaySample> samples)
    {
        var usable = samples.Where(s => double.IsFinite(s.Start) && double.IsFinite(s.End) && s.End >= s.Start).ToList();
        if (usable.Count == 0) return null;
        var cpus = usable.Select(s => s.Cpu).Distinct().Order().ToArray();
        var row = new Dictionary<int, int>(cpus.Length);
        for (int i = 0; i < cpus.Length; i++) row[cpus[i]] = i;

        double start = usable.Min(s => s.Start), end = usable.Max(s => s.End);
        // Never finer than the sampling interval: finer cells would only repeat the same sample.
        double interval = usable.Select(s => s.End - s.Start).Where(d => d > 0).DefaultIfEmpty(1e-3).Min();
        double bin = Math.Max(Charts.RetransmitTimelineChart.BucketWidth(Math.Max(end - start, 1e-3)), interval);
        int columns = Math.Clamp((int)Math.Ceiling((end - start) / bin), 1, MaxColumns);
        if (start + bin * columns < end) bin = (end - start) / columns;   // odd intervals: stretch to cover the end

        var worst = new double[cpus.Length, columns];
        for (int r = 0; r < cpus.Length; r++) for (int c = 0; c < columns; c++) worst[r, c] = double.NaN;
        foreach (var s in usable)
        {
            int r = row[s.Cpu];
            int c0 = Math.Clamp((int)((s.Start - start) / bin), 0, columns - 1);
            // An interval that ends exactly on a cell edge does not reach into the next cell.
            int c1 = Math.Clamp((int)Math.Ceiling((s.End - start) / bin) - 1, c0, columns - 1);
            double v = double.IsFinite(s.MaxDelayMs) ? s.MaxDelayMs : 0;
            for (int c = c0; c <= c1; c++)
                if (double.IsNaN(worst[r, c]) || v > worst[r, c]) worst[r, c] = v;
        }
        return new CpuDelayGrid(cpus, start, bin, columns, worst);
    }
}
