using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>Only when a SNAT-race finding exists: the 1 s band over time and which pods paid for it.</summary>
internal static class SnatRaceSection
{
    public const int MaxPodRows = 50;

    public static void Write(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        var v = SnatRaceView.From(d.Result);
        if (v == null) return;
        h.Raw("<section id=\"snat-race\">\n");
        h.Heading(2, "SNAT port race");
        foreach (var f in v.Findings) h.Paragraph(f.Title);
        int waited = v.Pods.Sum(p => p.Waited);
        h.Paragraph($"Connects in {Path.GetFileName(v.SourceFile ?? "")}: {HtmlWriter.Int(v.Latency.Count)} answered; " +
                    $"{HtmlWriter.Int(waited)} waited for a SYN retransmit. A connect that loses the race is answered only after " +
                    "the 1 s initial RTO, so the losers form a band at 1 s above the rest.");
        var chart = SnatRaceTimelineChart.Build(v.Latency, o);
        if (chart != null)
            h.Raw(chart.Figure("Each connect at the time its first SYN was sent, by how long the handshake took. Red: slower than " +
                               "500 ms (all drawn); grey lines: 1 s and 3 s (initial RTO and its first backoff)."));
        if (v.Pods.Count == 0)
        {
            h.Paragraph("No connect in this capture waited for a SYN retransmit; the finding rests on other evidence.");
        }
        else
        {
            h.Heading(3, "Affected pods");
            h.TableStart(["Pod", "Address", "Connects", "Waited for a SYN retransmit", "Share"], new HashSet<int> { 2, 3, 4 });
            foreach (var p in v.Pods.Take(MaxPodRows))
            {
                h.RowStart();
                h.Cell(p.Pod);
                h.MonoCell(p.Address);
                h.NumCell(HtmlWriter.Int(p.Connects));
                h.NumCell(HtmlWriter.Int(p.Waited));
                h.NumCell(HtmlWriter.Percent((double)p.Waited / Math.Max(1, p.Connects)));
                h.RowEnd();
            }
            h.TableEnd();
            if (v.Pods.Count > MaxPodRows) h.Paragraph($"… and {HtmlWriter.Int(v.Pods.Count - MaxPodRows)} more pods.", "sub");
        }
        h.Raw("</section>\n");
    }
}
