using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>When SYNs were sent again and after which gap: the 1 s band is the SNAT-race / lost-SYN signature.</summary>
internal static class RetransmitSection
{
    public static void Write(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        h.Raw("<section id=\"syn-retransmits\">\n");
        h.Heading(2, "SYN retransmissions");
        var events = SynRetransmits.From(d.Result.Handshakes);
        if (events.Count == 0)
        {
            h.Paragraph(d.Result.Handshakes.Count == 0
                ? "No TCP connection attempts were seen."
                : $"No SYN was retransmitted in {HtmlWriter.Int(d.Result.Handshakes.Count)} connection attempts.");
            h.Raw("</section>\n");
            return;
        }
        int affected = d.Result.Handshakes.Count(x => x.SynRetransmits > 0 || x.SynRetransmitGapsMicros.Count > 0);
        h.Paragraph($"{HtmlWriter.Int(events.Count)} retransmitted SYNs in {HtmlWriter.Int(affected)} of " +
                    $"{HtmlWriter.Int(d.Result.Handshakes.Count)} connection attempts " +
                    $"({HtmlWriter.Percent((double)affected / Math.Max(1, d.Result.Handshakes.Count))}).");
        h.TableStart(["Kind", "Retransmitted SYNs", "Median gap"], new HashSet<int> { 1, 2 });
        foreach (var g in events.GroupBy(e => e.Kind).OrderBy(g => g.Key))
        {
            var gaps = g.Select(e => e.GapMicros).Where(double.IsFinite).Order().ToArray();
            h.RowStart();
            h.Cell(SynRetransmits.Label(g.Key));
            h.NumCell(HtmlWriter.Int(g.Count()));
            h.NumCell(gaps.Length > 0 ? HtmlWriter.Ms(Percentiles.NearestRank(gaps, 50)) + " ms" : "–");
            h.RowEnd();
        }
        h.TableEnd();
        var chart = RetransmitTimelineChart.Build(events, d.Origin, d.End, o);
        if (chart != null)
            h.Raw(chart.Figure("Each retransmitted SYN at the time it was sent, coloured by the gap since the previous SYN."));
        h.Raw("</section>\n");
    }
}
