using System.Xml.Linq;
using NetTrace.Analyzer.Model;
using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>The per-CPU NET_RX delay heatmap: binning, one row per CPU, and colours that follow the data.</summary>
public class CpuDelayHeatmapTests
{
    private const double T0 = 1_780_000_000;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>3 CPUs, ten 1 s samples each; CPU 1 stalls 450 ms in second 4, every CPU stalls 250 ms in second 7 (a VM pause).</summary>
    private static List<CpuDelaySample> Samples()
    {
        var list = new List<CpuDelaySample>();
        foreach (int cpu in new[] { 0, 1, 5 })
            for (int i = 0; i < 10; i++)
            {
                double ms = 0.01;
                if (cpu == 1 && i == 4) ms = 450;
                if (i == 7) ms = 250;
                list.Add(new CpuDelaySample(cpu, T0 + i, T0 + i + 1, ms, 1000));
            }
        return list;
    }

    private static XElement Render(IReadOnlyList<CpuDelaySample> samples) =>
        XElement.Parse(CpuDelayHeatmap.Build(CpuDelayGrid.From(samples)!, HtmlReportOptions.Default).Markup);

    [Fact]
    public void Grid_takes_the_worst_delay_of_every_sample_overlapping_a_cell()
    {
        var g = CpuDelayGrid.From(Samples())!;
        Assert.Equal([0, 1, 5], g.Cpus);
        Assert.Equal(10, g.Columns);                      // never finer than the 1 s sampling interval
        Assert.Equal(1.0, g.BinSeconds);
        Assert.Equal(450, g.WorstMs[1, 4]);
        Assert.Equal(0.01, g.WorstMs[0, 4]);
        Assert.All(new[] { 0, 1, 2 }, r => Assert.Equal(250, g.WorstMs[r, 7]));
        // A sample spanning two cells marks both; one ending on a cell edge does not spill into the next.
        var wide = CpuDelayGrid.From([.. Enumerable.Range(0, 10).Select(i => new CpuDelaySample(0, T0 + i, T0 + i + 1, 0.01, 1)),
                                      new CpuDelaySample(0, T0 + 2, T0 + 4, 80, 1)])!;
        Assert.Equal(1.0, wide.BinSeconds);
        Assert.Equal([0.01, 0.01, 80, 80, 0.01], Enumerable.Range(0, 5).Select(c => wide.WorstMs[0, c]));
    }

    [Fact]
    public void Long_recordings_are_capped_in_columns_and_cells_without_samples_stay_empty()
    {
        var samples = Enumerable.Range(0, 3600).Select(i => new CpuDelaySample(2, T0 + i, T0 + i + 1, i == 1800 ? 900 : 0.02, 1))
            .Append(new CpuDelaySample(3, T0, T0 + 1, 0.02, 1)).ToList();
        var g = CpuDelayGrid.From(samples)!;
        Assert.True(g.Columns <= CpuDelayGrid.MaxColumns);
        Assert.True(g.End >= T0 + 3600);
        Assert.Equal(900, Enumerable.Range(0, g.Columns).Max(c => g.WorstMs[0, c]));
        Assert.True(double.IsNaN(g.WorstMs[1, g.Columns - 1]));      // CPU 3 was sampled only at the start
    }

    [Fact]
    public void Heatmap_has_one_row_per_cpu_in_order()
    {
        var rows = Render(Samples()).Elements(Svg + "g").ToList();
        Assert.Equal(["0", "1", "5"], rows.Select(r => (string)r.Attribute("data-cpu")!));
        var many = Enumerable.Range(0, 64).Select(c => new CpuDelaySample(c, T0, T0 + 1, c, 1)).ToList();
        Assert.Equal(64, Render(many).Elements(Svg + "g").Count());
    }

    [Fact]
    public void Dark_cells_are_exactly_where_the_stalls_were_and_carry_their_value()
    {
        var svg = Render(Samples());
        var titled = svg.Elements(Svg + "g").ToDictionary(g => (string)g.Attribute("data-cpu")!,
            g => g.Elements(Svg + "rect").Where(r => r.Attribute("data-ms") != null).ToList());
        Assert.Equal(["250"], titled["0"].Select(r => (string)r.Attribute("data-ms")!));
        Assert.Equal(["450", "250"], titled["1"].Select(r => (string)r.Attribute("data-ms")!));
        Assert.Equal(["250"], titled["5"].Select(r => (string)r.Attribute("data-ms")!));
        string band100ms = CpuDelayHeatmap.BandColors[4];
        Assert.All(titled.Values.SelectMany(v => v), r => Assert.Equal(band100ms, (string)r.Attribute("fill")!));
        Assert.Contains("worst delay 450 ms", titled["1"][0].Element(Svg + "title")!.Value);
        // The stall cell sits at second 4 of 10: 40 % across the plot.
        var stallX = double.Parse((string)titled["1"][0].Attribute("x")!, System.Globalization.CultureInfo.InvariantCulture);
        var firstX = double.Parse((string)svg.Elements(Svg + "g").First().Elements(Svg + "rect").First().Attribute("x")!, System.Globalization.CultureInfo.InvariantCulture);
        double plotW = HtmlReportOptions.Default.ChartWidth - firstX - 16;
        Assert.Equal(0.4, (stallX - firstX) / plotW, 3);
        // Calm cells merge: CPU 0 is calm - stall - calm, so three rects.
        Assert.Equal(3, svg.Elements(Svg + "g").First().Elements(Svg + "rect").Count());
    }

    [Fact]
    public void Heatmap_has_axis_labels_and_a_legend_for_every_band()
    {
        var svg = Render(Samples());
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("CPU", texts);
        Assert.Contains("CPU 5", texts);
        Assert.Contains(texts, t => t.StartsWith("seconds since 2026-", StringComparison.Ordinal));
        Assert.All(CpuDelayHeatmap.BandLabels, l => Assert.Contains(l, texts));
        Assert.Contains("no sample", texts);
        SvgGuard.Check(svg.ToString());
    }

    [Theory]
    [InlineData(0.05, 0)]
    [InlineData(0.1, 1)]
    [InlineData(9.99, 2)]
    [InlineData(450, 4)]
    [InlineData(1000, 5)]
    public void Bands_are_decades_of_milliseconds(double ms, int band) => Assert.Equal(band, CpuDelayHeatmap.Band(ms));
}
