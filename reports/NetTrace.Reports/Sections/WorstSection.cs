using NetTrace.Analyzer.Model;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>The worst flows and connections, as tables with their numbers, for the team that owns them.</summary>
internal static class WorstSection
{
    public static void Write(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        var r = d.Result;
        h.Raw("<section id=\"worst\">\n");
        h.Heading(2, "Worst flows and connections");
        if (r.Handshakes.Count == 0 && r.IcmpEchoes.Count == 0 && r.Flows.Count == 0)
        {
            h.Paragraph("No TCP connection attempts, ICMP echoes or flows were seen.");
            h.Raw("</section>\n");
            return;
        }
        WriteTcpGroups(h, r, o);
        WriteSlowest(h, r, o);
        WriteFailed(h, r, o);
        WriteIcmp(h, r, o);
        WriteBusiest(h, r, o);
        h.Raw("</section>\n");
    }

    private static void WriteTcpGroups(HtmlWriter h, AnalysisResult r, HtmlReportOptions o)
    {
        if (r.Handshakes.Count == 0) return;
        h.Heading(3, "TCP: client host → server, slowest first");
        h.TableStart(["Client", "Server", "Attempts", "Failed", "SYN retransmits", "P50 (ms)", "P99 (ms)", "Max (ms)"],
            new HashSet<int> { 2, 3, 4, 5, 6, 7 });
        foreach (var g in FlowGroups.Tcp(r.Handshakes, o.WorstRows))
        {
            h.RowStart();
            h.MonoCell(g.Client); h.MonoCell(g.Server);
            h.NumCell(HtmlWriter.Int(g.Attempts)); h.NumCell(HtmlWriter.Int(g.Failed)); h.NumCell(HtmlWriter.Int(g.SynRetransmits));
            h.NumCell(HtmlWriter.Ms(g.P50Micros)); h.NumCell(HtmlWriter.Ms(g.P99Micros)); h.NumCell(HtmlWriter.Ms(g.MaxMicros));
            h.RowEnd();
        }
        h.TableEnd();
    }

    private static void WriteSlowest(HtmlWriter h, AnalysisResult r, HtmlReportOptions o)
    {
        var slowest = r.Handshakes
            .Where(x => ConnectMicros(x) is { } v && double.IsFinite(v))
            .OrderByDescending(x => ConnectMicros(x)!.Value)
            .Take(o.WorstRows).ToList();
        if (slowest.Count == 0) return;
        h.Heading(3, "Slowest connections");
        ConnectionTable(h, slowest);
    }

    private static void WriteFailed(HtmlWriter h, AnalysisResult r, HtmlReportOptions o)
    {
        var failed = r.Handshakes.Where(x => x.Outcome != HandshakeOutcome.Established).ToList();
        if (failed.Count == 0) return;
        var byOutcome = failed.GroupBy(x => x.Outcome).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Key.ToString().ToLowerInvariant()} {HtmlWriter.Int(g.Count())}");
        h.Heading(3, $"Connections not established ({HtmlWriter.Int(failed.Count)}: {string.Join(", ", byOutcome)})");
        ConnectionTable(h, failed.OrderByDescending(x => x.SynRetransmits).ThenBy(x => x.SynTime).Take(o.WorstRows).ToList());
    }

    private static void ConnectionTable(HtmlWriter h, IReadOnlyList<Handshake> rows)
    {
        h.TableStart(["First SYN (UTC)", "Client", "Server", "SYN→SYN-ACK (ms)", "SYN→ACK (ms)", "SYN retransmits", "Gaps (ms)", "Outcome", "Outer tuple", "First SYN in"],
            new HashSet<int> { 3, 4, 5 });
        foreach (var x in rows)
        {
            h.RowStart();
            h.Cell(HtmlWriter.Utc(x.SynTime));
            h.MonoCell(Endpoint.WithName(x.Client, x.ClientName));
            h.MonoCell(Endpoint.WithName(x.Server, x.ServerName));
            h.NumCell(HtmlWriter.Ms(x.SynAckRttMicros));
            h.NumCell(HtmlWriter.Ms(x.AckRttMicros));
            h.NumCell(HtmlWriter.Int(x.SynRetransmits));
            h.MonoCell(x.SynRetransmitGapsMicros.Count == 0 ? "" : string.Join(", ", x.SynRetransmitGapsMicros.Take(8).Select(g => HtmlWriter.Ms(g))));
            h.Cell(x.Outcome.ToString().ToLowerInvariant());
            h.MonoCell(x.Outer ?? "");
            h.MonoCell(FrameRef(x.SourceFile, x.SynFrame));
            h.RowEnd();
        }
        h.TableEnd();
    }

    /// <summary>"file.pcapng #123": where to find the packet in Wireshark.</summary>
    internal static string FrameRef(string? file, long? frame) =>
        (file is null ? "" : Path.GetFileName(file)) + (frame is { } f ? $" #{f}" : "");

    private static void WriteIcmp(HtmlWriter h, AnalysisResult r, HtmlReportOptions o)
    {
        if (r.IcmpEchoes.Count == 0) return;
        h.Heading(3, "ICMP echo: source → destination, slowest first");
        var groups = FlowGroups.Icmp(r.IcmpEchoes, o.WorstRows);
        // ICMP between two hosts hashes to one RX queue, so one CPU: from recordings, say which.
        bool cpus = groups.Any(g => g.Cpus.Count > 0);
        string[] headers = ["Source", "Destination", "Echoes", "Unanswered", "P50 (ms)", "P99 (ms)", "Max (ms)"];
        h.TableStart(cpus ? [.. headers, "Handled on CPU"] : headers, new HashSet<int> { 2, 3, 4, 5, 6 });
        foreach (var g in groups)
        {
            h.RowStart();
            h.MonoCell(g.Src); h.MonoCell(g.Dst);
            h.NumCell(HtmlWriter.Int(g.Echoes)); h.NumCell(HtmlWriter.Int(g.Unanswered));
            h.NumCell(HtmlWriter.Ms(g.P50Micros)); h.NumCell(HtmlWriter.Ms(g.P99Micros)); h.NumCell(HtmlWriter.Ms(g.MaxMicros));
            if (cpus) h.Cell(string.Join(", ", g.Cpus.Take(16)) + (g.Cpus.Count > 16 ? ", …" : ""));
            h.RowEnd();
        }
        h.TableEnd();
    }

    private static void WriteBusiest(HtmlWriter h, AnalysisResult r, HtmlReportOptions o)
    {
        if (r.Flows.Count == 0) return;
        h.Heading(3, $"Busiest flows ({HtmlWriter.Int(r.Flows.Count)} in all)");
        h.TableStart(["Protocol", "A", "B", "Packets A→B", "Packets B→A", "Bytes A→B", "Bytes B→A", "Duration", "Outer"],
            new HashSet<int> { 3, 4, 5, 6, 7 });
        foreach (var f in r.Flows.OrderByDescending(f => f.PacketsAtoB + f.PacketsBtoA).ThenBy(f => f.FirstTime).Take(o.WorstRows))
        {
            h.RowStart();
            h.Cell(f.Protocol); h.MonoCell(f.A); h.MonoCell(f.B);
            h.NumCell(HtmlWriter.Int(f.PacketsAtoB)); h.NumCell(HtmlWriter.Int(f.PacketsBtoA));
            h.NumCell(HtmlWriter.Int(f.BytesAtoB)); h.NumCell(HtmlWriter.Int(f.BytesBtoA));
            h.NumCell(HtmlWriter.Seconds(Math.Max(0, f.LastTime - f.FirstTime)));
            h.MonoCell(f.Outer ?? "");
            h.RowEnd();
        }
        h.TableEnd();
    }

    /// <summary>What the application waited for: SYN to its ACK, or to the SYN-ACK when the ACK was not seen.</summary>
    internal static double? ConnectMicros(Handshake x) => x.AckRttMicros ?? x.SynAckRttMicros;
}
