using NetTrace.Analyzer.Model;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>Findings, most severe first: what it is, how sure, the evidence, and what to do about it.</summary>
internal static class FindingsSection
{
    public static void Write(HtmlWriter h, ReportData d)
    {
        var findings = d.Result.Findings;
        h.Raw("<section id=\"findings\">\n");
        h.Heading(2, findings.Count == 0 ? "Findings" : $"Findings ({findings.Count})");
        if (findings.Count == 0)
        {
            h.Paragraph("No findings: nothing in this input matched a known cause of late or lost packets " +
                        "(SYNs retransmitted at the initial RTO, slow handshakes, late ICMP echoes, NAT port races, receive-path stalls). " +
                        "The charts below still show the latency that was measured.", "ok");
            h.Raw("</section>\n");
            return;
        }
        bool stallSection = StallView.From(d.Result) != null;
        foreach (var f in findings.OrderByDescending(f => f.Severity).ThenByDescending(f => f.Confidence))
            WriteFinding(h, f, stallSection);
        h.Raw("</section>\n");
    }

    /// <summary>Finding kinds whose details (heatmap, timeline, queues, stall list) are in the stall section.</summary>
    public static readonly HashSet<string> StallKinds = new(StringComparer.Ordinal) { "softirq-stall", "rx-queue-stall", "vm-pause" };

    private static void WriteFinding(HtmlWriter h, Finding f, bool stallSection)
    {
        string sev = f.Severity.ToString().ToLowerInvariant();
        h.Raw($"<article class=\"finding sev-{sev}-b\">\n<h3><span class=\"sev sev-{sev}\">{sev}</span>");
        h.Text(f.Title);
        h.Raw("</h3>\n<table><tbody>\n");
        Row(h, "Kind", f.Kind, mono: true);
        Row(h, "Confidence", HtmlWriter.Percent(Math.Clamp(f.Confidence, 0, 1)));
        if (f.WindowStart is { } ws)
        {
            string window = HtmlWriter.Utc(ws);
            if (f.WindowEnd is { } we) window += $" → {HtmlWriter.Utc(we)} ({HtmlWriter.Seconds(we - ws)})";
            Row(h, "When", window);
        }
        if (f.Affects.Count > 0)
        {
            h.RowStart(); h.El("th", "Affects"); h.Raw("<td><ul class=\"comments\">");
            foreach (var a in f.Affects.Take(50)) h.El("li", a);
            if (f.Affects.Count > 50) h.El("li", $"… and {f.Affects.Count - 50} more");
            h.Raw("</ul></td>"); h.RowEnd();
        }
        h.Raw("</tbody></table>\n");

        if (f.Evidence.Count > 0)
        {
            h.Raw("<h4>Evidence</h4>\n");
            h.TableStart("What", "Value");
            foreach (var e in f.Evidence) { h.RowStart(); h.Cell(e.Label); h.MonoCell(e.Value); h.RowEnd(); }
            h.TableEnd();
        }
        if (stallSection && StallKinds.Contains(f.Kind))
            h.Raw("<p class=\"caption\">The heatmap, latency timeline, RX queues and every stall: <a href=\"#stalls\">Receive-path stalls</a>.</p>\n");
        h.Raw("<h4>What to do</h4>\n");
        h.Paragraph(f.Remediation);
        h.Raw("</article>\n");
    }

    private static void Row(HtmlWriter h, string label, string value, bool mono = false)
    {
        h.RowStart(); h.El("th", label);
        if (mono) h.MonoCell(value); else h.Cell(value);
        h.RowEnd();
    }
}
