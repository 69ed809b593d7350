namespace NetTrace.Reports.Data;

/// <summary>
/// Thins a scatter for plotting without changing what the eye sees and without hiding the tail.
/// Points above the threshold (the series' P99) are all kept. The rest are binned into a grid about the size
/// of the chart's pixels and one point per occupied cell is kept: an opaque marker drawn on a cell that is
/// already covered adds nothing, so clusters, bands and gaps look the same as with every point drawn.
/// </summary>
public static class Downsampler
{
    /// <summary>Returns the indices to plot, ascending.</summary>
    /// <param name="keepAbove">every point with y strictly above this is kept (pass the series' P99)</param>
    /// <param name="columns">grid cells across (about the plot's width in pixels)</param>
    /// <param name="rows">grid cells up (about the plot's height in pixels)</param>
    /// <param name="logY">bin y on a log scale, as the chart draws it</param>
    public static int[] Select(double[] x, double[] y, double keepAbove, int columns, int rows, bool logY)
    {
        if (x.Length != y.Length) throw new ArgumentException("x and y differ in length");
        if (columns < 1 || rows < 1) throw new ArgumentOutOfRangeException(nameof(columns), "grid must be at least 1x1");
        int n = x.Length;
        // Below the grid size there is nothing to gain.
        if (n <= columns) return Enumerable.Range(0, n).ToArray();

        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity;
        double yMin = double.PositiveInfinity, yMax = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double yy = Scale(y[i], logY);
            if (x[i] < xMin) xMin = x[i];
            if (x[i] > xMax) xMax = x[i];
            if (yy < yMin) yMin = yy;
            if (yy > yMax) yMax = yy;
        }
        double xSpan = xMax - xMin, ySpan = yMax - yMin;
        double xScale = xSpan > 0 ? (columns - 1) / xSpan : 0;
        double yScale = ySpan > 0 ? (rows - 1) / ySpan : 0;

        var occupied = new bool[columns * rows];
        var kept = new List<int>(Math.Min(n, columns * rows / 4 + 1024));
        for (int i = 0; i < n; i++)
        {
            if (y[i] > keepAbove) { kept.Add(i); continue; }
            int cx = (int)((x[i] - xMin) * xScale);
            int cy = (int)((Scale(y[i], logY) - yMin) * yScale);
            int cell = cy * columns + cx;
            if (occupied[cell]) continue;
            occupied[cell] = true;
            kept.Add(i);
        }
        return kept.ToArray();
    }

    /// <summary>Log axes cannot show 0 µs; such values sit at the bottom of the axis (0.1 µs).</summary>
    public const double LogFloorMicros = 0.1;

    internal static double Scale(double v, bool log) => log ? Math.Log10(Math.Max(v, LogFloorMicros)) : v;
}
