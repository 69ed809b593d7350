using NetTrace.Analyzer.Model;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>
/// "What was analysed": the inputs, their time span, the tool version, and everything that was lost or
/// skipped, with what that does to how far the rest of the report can be trusted. It comes first because a
/// finding means little until the reader knows what it was drawn from.
/// </summary>
internal static class SourcesSection
{
    public static void Write(HtmlWriter h, ReportData d)
    {
        var r = d.Result;
        h.Raw("<section id=\"sources\">\n");
        h.Heading(2, "What was analysed");

        h.Raw("<table><tbody>\n");
        Row(h, "Files", HtmlWriter.Int(r.Sources.Count));
        Row(h, "Data sources", DataSources(r.Sources));
        Row(h, "Time span", d.End > d.Origin || d.Origin != 0
            ? $"{HtmlWriter.Utc(d.Origin)} → {HtmlWriter.Utc(d.End)} ({HtmlWriter.Seconds(d.End - d.Origin)})"
            : "no timestamps");
        Row(h, "Tool version", "nettrace " + r.ToolVersion);
        var s = r.Summary;
        Row(h, "Frames", HtmlWriter.Int(s.Frames) + $" (IPv4 {HtmlWriter.Int(s.Ipv4)}, IPv6 {HtmlWriter.Int(s.Ipv6)}, " +
                         $"TCP {HtmlWriter.Int(s.Tcp)}, UDP {HtmlWriter.Int(s.Udp)}, ICMP {HtmlWriter.Int(s.Icmp)}, ICMPv6 {HtmlWriter.Int(s.Icmpv6)})");
        Row(h, "TCP", $"{HtmlWriter.Int(s.TcpStreams)} streams, {HtmlWriter.Int(s.Syn)} SYN, {HtmlWriter.Int(s.SynAck)} SYN-ACK, " +
                      $"{HtmlWriter.Int(s.SynRetransmits)} SYN retransmissions, {HtmlWriter.Int(s.Rst)} RST");
        Row(h, "Measured", $"{HtmlWriter.Int(r.Handshakes.Count)} connection attempts, {HtmlWriter.Int(r.IcmpEchoes.Count)} ICMP echoes, " +
                           $"{HtmlWriter.Int(r.Flows.Count)} flows");
        h.Raw("</tbody></table>\n");

        WriteFiles(h, r.Sources);
        WriteConfidence(h, r);
        h.Raw("</section>\n");
    }

    private static void Row(HtmlWriter h, string label, string value)
    {
        h.RowStart(); h.El("th", label); h.Cell(value); h.RowEnd();
    }

    private static string DataSources(IReadOnlyList<SourceInfo> sources)
    {
        if (sources.Count == 0) return "none";
        int recordings = sources.Count(s => s.Format.Contains("ntrace", StringComparison.OrdinalIgnoreCase));
        int captures = sources.Count - recordings;
        var parts = new List<string>();
        if (captures > 0) parts.Add($"{captures} packet capture{(captures == 1 ? "" : "s")}");
        if (recordings > 0) parts.Add($"{recordings} eBPF recording{(recordings == 1 ? "" : "s")}");
        var formats = string.Join(", ", sources.Select(s => s.Format).Distinct(StringComparer.Ordinal));
        return $"{string.Join(" and ", parts)} ({formats})";
    }

    private static void WriteFiles(HtmlWriter h, IReadOnlyList<SourceInfo> sources)
    {
        if (sources.Count == 0) return;
        h.Heading(3, "Input files");
        // Paths usually share a directory: say it once so the table keeps room for the numbers.
        var dirs = sources.Select(s => Path.GetDirectoryName(s.Path) ?? "").Distinct(StringComparer.Ordinal).ToList();
        bool oneDir = dirs.Count == 1 && dirs[0].Length > 0;
        if (oneDir) { h.Raw("<p class=\"caption\">in <code>"); h.Text(dirs[0]); h.Raw("</code></p>\n"); }
        h.TableStart(["File", "Format", "Link types", "Frames", "First packet", "Last packet", "Read completely"], new HashSet<int> { 3 });
        foreach (var s in sources)
        {
            h.RowStart();
            h.MonoCell(oneDir ? Path.GetFileName(s.Path) : s.Path);
            h.Cell(s.Format);
            h.Cell(string.Join(", ", s.LinkTypes));
            h.NumCell(HtmlWriter.Int(s.Frames));
            h.Cell(HtmlWriter.Utc(s.FirstTime));
            h.Cell(HtmlWriter.Utc(s.LastTime));
            h.Cell(s.Complete ? "yes" : "no — reading stopped at damage");
            h.RowEnd();
        }
        h.TableEnd();

        var commented = sources.Where(s => s.Comments.Count > 0).ToList();
        if (commented.Count == 0) return;
        h.Heading(3, "Comments stored in the files");
        foreach (var s in commented)
        {
            h.Raw("<p class=\"caption\">"); h.Text(Path.GetFileName(s.Path)); h.Raw(":</p><ul class=\"comments\">");
            foreach (var c in s.Comments) h.El("li", c);
            h.Raw("</ul>\n");
        }
    }

    private static void WriteConfidence(HtmlWriter h, AnalysisResult r)
    {
        int errors = r.Problems.Count(p => p.Severity == ProblemSeverity.Error);
        int warnings = r.Problems.Count(p => p.Severity == ProblemSeverity.Warning);
        int incomplete = r.Sources.Count(s => !s.Complete);
        long malformed = r.Summary.Malformed;

        h.Heading(3, "Lost or skipped input");
        if (errors == 0 && warnings == 0 && incomplete == 0 && malformed == 0)
        {
            h.Paragraph(r.Problems.Count == 0
                ? "Nothing was lost or skipped: every file was read to its end and every frame decoded."
                : "Nothing was lost or skipped; the notes below are informational.", "ok");
        }
        else
        {
            var what = new List<string>();
            if (incomplete > 0) what.Add($"{incomplete} of {r.Sources.Count} files were not read to the end");
            if (malformed > 0) what.Add($"{HtmlWriter.Int(malformed)} malformed frames were skipped");
            if (errors > 0) what.Add($"{errors} errors");
            if (warnings > 0) what.Add($"{warnings} warnings");
            h.Paragraph(
                $"Input was damaged or incomplete: {string.Join(", ", what)}. Counts, percentiles and findings cover only " +
                "what could be read, so events in the lost part are missing and rates may be understated; each " +
                "finding's confidence already accounts for this. A clean finding is still real, but the absence of " +
                "a finding proves less than it would on complete input.", "note");
        }
        if (r.Problems.Count == 0) return;
        h.TableStart(["Severity", "Source", "Problem", "Packet", "Byte offset"], new HashSet<int> { 3, 4 });
        foreach (var p in r.Problems.OrderByDescending(p => p.Severity).Take(200))
        {
            h.RowStart();
            h.El("td", p.Severity.ToString().ToLowerInvariant(), p.Severity switch
            {
                ProblemSeverity.Error => "prob-error",
                ProblemSeverity.Warning => "prob-warning",
                _ => null,
            });
            h.MonoCell(Path.GetFileName(p.Source));
            h.Cell(p.Message);
            h.NumCell(p.PacketNumber is { } n ? HtmlWriter.Int(n) : "–");
            h.NumCell(p.FileOffset is { } o ? HtmlWriter.Int(o) : "–");
            h.RowEnd();
        }
        h.TableEnd();
        if (r.Problems.Count > 200)
            h.Paragraph($"… and {HtmlWriter.Int(r.Problems.Count - 200)} more problems (see the JSON output for all of them).", "caption");
    }
}
