using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>Colours and axis conventions shared by the report's charts.</summary>
internal static class ChartStyle
{
    public static readonly Color Handshake = Color.FromHex("#1f77b4");
    public static readonly Color SynAck = Color.FromHex("#ff7f0e");
    public static readonly Color Icmp = Color.FromHex("#2ca02c");
    public static readonly Color Rto1s = Color.FromHex("#d62728");
    public static readonly Color Rto3s = Color.FromHex("#9467bd");
    public static readonly Color Backoff = Color.FromHex("#8c564b");
    public static readonly Color Other = Color.FromHex("#7f7f7f");
    public static readonly Color P50 = Color.FromHex("#333333");
    public static readonly Color P99 = Color.FromHex("#b8860b");
    public static readonly Color P999 = Color.FromHex("#c2185b");
    /// <summary>Reference lines are solid: Skia's SVG canvas cannot draw dashes and complains on stderr.</summary>
    public static readonly Color Reference = Color.FromHex("#555555").WithAlpha(0.55);

    /// <summary>DejaVu ships with Debian's fonts-dejavu-core (installed by setup.sh); SVG text falls back in the browser.</summary>
    public const string Font = "DejaVu Sans";

    public static Plot NewPlot()
    {
        var plt = new Plot();
        plt.Font.Set(Font);
        plt.Legend.FontName = Font;
        return plt;
    }

    public static Color ForSeries(string name) => name switch
    {
        Data.LatencySeries.HandshakeName => Handshake,
        Data.LatencySeries.SynAckName => SynAck,
        _ => Icmp,
    };

    /// <summary>
    /// Milliseconds on a log10 axis: the plot holds log10(ms); ticks sit on whole decades with log-spaced minor
    /// ticks, and labels show the real value.
    /// </summary>
    public static void UseLogMsAxis(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => FormatMs(Math.Pow(10, v)),
        };
    }

    public static string FormatMs(double ms) => ms switch
    {
        >= 1000 => (ms / 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s",
        >= 1 => ms.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms",
        _ => (ms * 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " µs",
    };

    /// <summary>Unit for a time axis spanning this many seconds: seconds up to 2 h, then hours, then days.</summary>
    public static (double seconds, string name) TimeUnit(double spanSeconds) => spanSeconds switch
    {
        > 2 * 86400 => (86400, "days"),
        > 2 * 3600 => (3600, "hours"),
        _ => (1, "seconds"),
    };

    /// <summary>log10 of milliseconds from microseconds, floored so 0 stays on the axis.</summary>
    public static double LogMs(double micros) => Math.Log10(Math.Max(micros, Data.Downsampler.LogFloorMicros) / 1000.0);

    /// <summary>A log axis pays off when the values span more than two decades.</summary>
    public static bool WantsLog(IEnumerable<double[]> sortedSeries)
    {
        double lo = double.PositiveInfinity, hi = 0;
        foreach (var s in sortedSeries)
        {
            if (s.Length == 0) continue;
            var firstPositive = s.FirstOrDefault(v => v > 0);
            if (firstPositive > 0 && firstPositive < lo) lo = firstPositive;
            if (s[^1] > hi) hi = s[^1];
        }
        return double.IsFinite(lo) && hi / lo > 100;
    }
}
