using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>Latency over time, then its percentiles and distribution.</summary>
internal static class LatencySection
{
    public static void WriteOverTime(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        h.Raw("<section id=\"latency\">\n");
        h.Heading(2, "Latency over time");
        var panels = LatencyScatterChart.Build(d, o);
        if (panels.Count == 0)
            h.Paragraph("No handshake or ICMP echo in this input was answered, so there is no latency to draw.");
        foreach (var p in panels) h.Raw(p.Chart.Figure(p.Caption));
        h.Raw("</section>\n");
    }

    public static void WritePercentiles(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        h.Raw("<section id=\"percentiles\">\n");
        h.Heading(2, "Percentiles");
        var rows = d.Series.Where(s => s.Row != null).ToList();
        if (rows.Count == 0)
        {
            h.Paragraph("No latency measurements.");
            h.Raw("</section>\n");
            return;
        }
        h.TableStart(["Measure", "Count", "P50 (ms)", "P90 (ms)", "P99 (ms)", "P99.9 (ms)", "Max (ms)"], new HashSet<int> { 1, 2, 3, 4, 5, 6 });
        foreach (var s in rows)
        {
            var r = s.Row!;
            h.RowStart();
            h.Cell(r.Series);
            h.NumCell(HtmlWriter.Int(r.Count));
            h.NumCell(HtmlWriter.Ms(r.P50));
            h.NumCell(HtmlWriter.Ms(r.P90));
            h.NumCell(HtmlWriter.Ms(r.P99));
            h.NumCell(HtmlWriter.Ms(r.P999));
            h.NumCell(HtmlWriter.Ms(r.Max));
            h.RowEnd();
        }
        h.TableEnd();
        h.Paragraph("Nearest-rank percentiles: each value is one that was measured. Unanswered attempts have no latency " +
                    "and are counted in the connection tables below instead.", "caption");

        int i = 0;
        foreach (var s in rows)
        {
            var chart = HistogramChart.Build(s, o, $"chart-histogram-{i++}");
            if (chart != null) h.Raw(chart.Figure($"{s.Series.Name}: how many measurements fell in each latency bin; lines at P50, P99 and P99.9."));
        }
        h.Raw("</section>\n");
    }
}
