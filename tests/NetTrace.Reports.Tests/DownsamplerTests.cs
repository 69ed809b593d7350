using NetTrace.Reports.Data;
using Xunit;

namespace NetTrace.Reports.Tests;

public class DownsamplerTests
{
    private const int Cols = 400, Rows = 200;

    private static (double[] x, double[] y) Body(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i * 0.001;
            // Body around 300 µs, a dense cluster at 50 ms between x=100 and x=101, and a 1 s band.
            y[i] = 300 * Math.Exp(rng.NextDouble() - 0.5);
            if (x[i] is >= 100 and < 101) y[i] = 50_000 + rng.NextDouble() * 1000;
            if (rng.NextDouble() < 0.004) y[i] = 1_000_000 + rng.NextDouble() * 5000;
        }
        return (x, y);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Keeps_every_point_above_the_threshold(bool log)
    {
        var (x, y) = Body(200_000, 1);
        double p99 = Percentiles.NearestRank(Percentiles.Sorted(y), 99);
        var kept = new HashSet<int>(Downsampler.Select(x, y, p99, Cols, Rows, log));
        int above = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] <= p99) continue;
            above++;
            Assert.Contains(i, kept);
        }
        Assert.True(above >= 1000, $"the test data should have a tail, had {above}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_covered_pixel_stays_covered_and_the_rest_is_bounded(bool log)
    {
        var (x, y) = Body(200_000, 2);
        double p99 = Percentiles.NearestRank(Percentiles.Sorted(y), 99);
        var kept = Downsampler.Select(x, y, p99, Cols, Rows, log);

        Assert.Equal(kept.Order().Distinct(), kept);   // ascending, no duplicates
        var all = CellsOf(Enumerable.Range(0, x.Length), x, y, log);
        var drawn = CellsOf(kept, x, y, log);
        Assert.Equal(all, drawn);

        int below = kept.Count(i => y[i] <= p99);
        Assert.True(below <= Cols * Rows, $"{below} body points kept for a {Cols}x{Rows} grid");
        Assert.True(kept.Length < x.Length / 4, $"kept {kept.Length} of {x.Length}: nothing was thinned");
    }

    [Fact]
    public void The_dense_cluster_is_still_drawn()
    {
        var (x, y) = Body(200_000, 3);
        double p99 = Percentiles.NearestRank(Percentiles.Sorted(y), 99);
        var kept = Downsampler.Select(x, y, p99, Cols, Rows, logY: true);
        // The 50 ms cluster holds ~1000 points in one second of a 200 s axis: two columns wide.
        Assert.Contains(kept, i => x[i] is >= 100 and < 101 && y[i] >= 50_000);
    }

    [Fact]
    public void Small_inputs_are_returned_whole()
    {
        double[] x = [1, 2, 3], y = [10, 10, 10];
        Assert.Equal([0, 1, 2], Downsampler.Select(x, y, 10, Cols, Rows, logY: true));
    }

    [Fact]
    public void Identical_points_collapse_to_one_and_zero_is_allowed_on_a_log_axis()
    {
        var x = Enumerable.Repeat(5.0, 10_000).ToArray();
        var y = Enumerable.Repeat(0.0, 10_000).ToArray();
        Assert.Equal([0], Downsampler.Select(x, y, double.PositiveInfinity, Cols, Rows, logY: true));
    }

    [Fact]
    public void Mismatched_lengths_are_refused() =>
        Assert.Throws<ArgumentException>(() => Downsampler.Select([1, 2], [1], 0, Cols, Rows, false));

    /// <summary>The grid cells (as the downsampler bins them) that points at these indices cover.</summary>
    private static HashSet<(int, int)> CellsOf(IEnumerable<int> idx, double[] x, double[] y, bool log)
    {
        double xMin = x.Min(), xMax = x.Max();
        double yMin = y.Min(v => Downsampler.Scale(v, log)), yMax = y.Max(v => Downsampler.Scale(v, log));
        var cells = new HashSet<(int, int)>();
        foreach (int i in idx)
            cells.Add(((int)((x[i] - xMin) * (Cols - 1) / (xMax - xMin)), (int)((Downsampler.Scale(y[i], log) - yMin) * (Rows - 1) / (yMax - yMin))));
        return cells;
    }
}
