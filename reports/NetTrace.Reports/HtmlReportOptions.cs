namespace NetTrace.Reports;

/// <summary>Knobs of the HTML report. Defaults suit a laptop screen and an incident attachment.</summary>
public sealed record HtmlReportOptions
{
    public static readonly HtmlReportOptions Default = new();

    public string Title { get; init; } = "NetTrace latency report";
    /// <summary>Shown in the header; fixed in tests so two renders compare equal.</summary>
    public DateTimeOffset? GeneratedAt { get; init; }
    public int ChartWidth { get; init; } = 1100;
    public int ScatterHeight { get; init; } = 320;
    public int SmallChartHeight { get; init; } = 300;
    /// <summary>Rows in each "worst" table.</summary>
    public int WorstRows { get; init; } = 25;
    /// <summary>Above this many plotted points a chart is a PNG data URI instead of inline SVG.</summary>
    public int SvgPointLimit { get; init; } = 3000;
    /// <summary>Called after each part of the report with how long it took (the benchmark prints these).</summary>
    public Action<string, TimeSpan>? OnTiming { get; init; }
}
