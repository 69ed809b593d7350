using NetTrace.Analyzer.Model;
using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using NetTrace.Reports.Html;

namespace NetTrace.Reports.Sections;

/// <summary>
/// Receive-path stalls (story 1), only when the analysis carries stall data: which data it rests on, the per-CPU
/// NET_RX delay heatmap (live), the latency timeline with the stalls shaded, the RX-queue attribution (capture) and
/// the list of stalls with where they hit, whether one CPU or the whole VM stalled, and who held the CPU.
/// </summary>
internal static class StallSection
{
    public const int MaxStallRows = 300;
    public const int FlowsPerRow = 3;

    public static void Write(HtmlWriter h, ReportData d, HtmlReportOptions o)
    {
        var v = StallView.From(d.Result);
        if (v == null) return;
        h.Raw("<section id=\"stalls\">\n");
        h.Heading(2, v.Stalls.Count == 0 ? "Receive-path stalls" : $"Receive-path stalls ({HtmlWriter.Int(v.Stalls.Count)})");
        if (v.NothingFound)
        {
            WriteNothingFound(h, v);
            h.Raw("</section>\n");
            return;
        }
        WriteDataNote(h, v);
        WriteSummary(h, v);
        WriteHeatmap(h, v, o);
        WriteTimeline(h, v, o);
        WriteQueues(h, v, o);
        WriteStallList(h, v);
        h.Raw("</section>\n");
    }

    private static void WriteDataNote(HtmlWriter h, StallView v)
    {
        if (v.HasLive && v.HasCapture)
            h.Paragraph("From live eBPF tracing (per-CPU NET_RX softirq delay, the tasks involved) and from packet captures (latency " +
                        "clusters, RX-queue attribution by the RSS hash).", "sub");
        else if (v.HasLive)
            h.Paragraph("Only live eBPF data: per-CPU NET_RX softirq delay and the tasks involved. No capture was analysed, so there is " +
                        "no per-queue attribution by the RSS hash; analyse a capture of the same traffic together with the recording to add it.", "note");
        else
            h.Raw("<p class=\"note\">Only capture data: stalls are inferred from latency clusters and flows are mapped to RX queues by the RSS hash. " +
                  "The CPU, its softirq delay and the task that held it are not in a capture; record with <code>nettrace trace</code> on the " +
                  "receiving node to see them.</p>\n");
    }

    private static string Count(int n, string noun) => $"{HtmlWriter.Int(n)} {noun}{(n == 1 ? "" : "s")}";

    private static void WriteNothingFound(HtmlWriter h, StallView v)
    {
        var a = v.Analysis;
        string looked = a.Timeline.Count > 0 ? $"{HtmlWriter.Int(a.Timeline.Count)} latency points" : "the input";
        if (v.Queues.Count > 0) looked += $" on {HtmlWriter.Int(v.Queues.Count)} RX queues ({HtmlWriter.Int(v.Queues.Sum(q => q.Flows))} flows)";
        h.Raw("<p class=\"ok\">");
        h.Text($"No stall found in {looked}: no cluster of late packets released together");
        h.Raw(v.HasLive ? " and no NET_RX softirq held off beyond the threshold." : ". Captures cannot show softirq delay per CPU; " +
                                                                                     "<code>nettrace trace</code> on the receiving node can.");
        h.Raw("</p>\n");
    }

    private static void WriteSummary(HtmlWriter h, StallView v)
    {
        if (v.Stalls.Count == 0)
        {
            h.Paragraph("No stall was found: no cluster of late packets released together, and no NET_RX softirq held off beyond the threshold.", "ok");
            return;
        }
        int one = v.Stalls.Count(s => s.Scope == StallScope.OneCpu), all = v.Stalls.Count(s => s.Scope == StallScope.AllCpus);
        double worst = v.Stalls.Max(s => double.IsFinite(s.MaxDelayMs) ? s.MaxDelayMs : 0);
        var parts = new List<string> { $"{Count(v.Stalls.Count, "stall")}, the longest wait {ChartStyle.FormatMs(worst)}" };
        if (one > 0) parts.Add($"{HtmlWriter.Int(one)} hit one CPU while the others ran (softirqs held off there)");
        if (all > 0) parts.Add($"{HtmlWriter.Int(all)} hit every CPU at once (a whole-VM pause, not a softirq problem of one CPU)");
        var held = v.Stalls.Where(s => s.HeldBy != null).GroupBy(s => s.HeldBy!).OrderByDescending(g => g.Count()).FirstOrDefault();
        if (held != null) parts.Add($"most often the CPU was held by {held.Key} ({Count(held.Count(), "stall")})");
        if (v.HotQueue is { } q) parts.Add($"{HtmlWriter.Int(q.Stalls)} of {HtmlWriter.Int(v.Queues.Sum(x => x.Stalls))} stalls fell on RX queue {q.Queue}");
        h.Paragraph(string.Join("; ", parts) + ".");
    }

    private static void WriteHeatmap(HtmlWriter h, StallView v, HtmlReportOptions o)
    {
        var grid = CpuDelayGrid.From(v.Analysis.CpuDelay);
        if (grid == null) return;
        h.Heading(3, "NET_RX softirq delay per CPU");
        h.Raw(CpuDelayHeatmap.Build(grid, o).Figure(
            "Each row is a CPU, each cell a time slice; the colour is the longest a raised NET_RX softirq waited before it ran on that CPU " +
            "in that slice. A dark mark in one row is a CPU whose softirqs were held off; a dark column across every row is the whole machine pausing. " +
            "Hover a dark cell for its value."));
    }

    private static void WriteTimeline(HtmlWriter h, StallView v, HtmlReportOptions o)
    {
        var t = StallTimelineChart.Build(v.Analysis.Timeline, v.Stalls, o);
        if (t == null) return;
        h.Heading(3, "Latency timeline");
        string caption = t.Shaded == 0 ? "" : $"Shaded: {Count(t.Shaded, "stall window")}. Open circles: points inside a stall, all drawn. ";
        caption += t.Drawn < t.Total
            ? $"{HtmlWriter.Int(t.Drawn)} of {HtmlWriter.Int(t.Total)} points drawn: outside stalls, every point above its kind's P99 is drawn and the rest one per covered spot, so the shape is unchanged."
            : $"All {HtmlWriter.Int(t.Total)} points drawn.";
        h.Raw(t.Chart.Figure(caption));
    }

    private static void WriteQueues(HtmlWriter h, StallView v, HtmlReportOptions o)
    {
        var queues = v.Queues;
        if (queues.Count == 0) return;
        h.Heading(3, "RX queues");
        if (v.Analysis.Rss is { } rss)
            h.Paragraph($"Flows mapped to {HtmlWriter.Int(rss.Queues)} RX queues with the Toeplitz RSS hash; key: {rss.KeySource}; indirection table: {rss.IndirectionSource}. " +
                        "TCP hashes the 4-tuple, ICMP only the address pair, so all ICMP between two hosts lands on one queue.", "sub");
        int totalStalls = queues.Sum(q => q.Stalls);
        if (v.HotQueue is { } hot)
            h.Paragraph((v.Concentrated ? $"The stalls concentrate on RX queue {hot.Queue}: " : $"RX queue {hot.Queue} has the most stalls, the rest are spread over other queues: ") +
                        $"{HtmlWriter.Int(hot.Stalls)} of {HtmlWriter.Int(totalStalls)} stalls and " +
                        $"{HtmlWriter.Int(hot.DelayedPackets)} of {HtmlWriter.Int(queues.Sum(q => q.DelayedPackets))} delayed packets. Flows hashed to it: " +
                        $"{HtmlWriter.Int(hot.IcmpFlows)} ICMP, {HtmlWriter.Int(hot.TcpFlows)} TCP.", "note");
        else if (totalStalls > 0)
            h.Paragraph("The stalls are spread evenly over several queues: no one queue has more than the others.", "sub");

        h.TableStart(["RX queue", "Flows", "ICMP flows", "TCP flows", "Packets", "Delayed packets", "Delayed share", "Stalls"], new HashSet<int> { 0, 1, 2, 3, 4, 5, 6, 7 });
        foreach (var q in queues)
        {
            bool isHot = v.HotQueue?.Queue == q.Queue;
            h.Raw(isHot ? "<tr class=\"hot\">" : "<tr>");
            h.NumCell(q.Queue.ToString(System.Globalization.CultureInfo.InvariantCulture) + (isHot ? " ◀" : ""));
            h.NumCell(HtmlWriter.Int(q.Flows));
            h.NumCell(HtmlWriter.Int(q.IcmpFlows));
            h.NumCell(HtmlWriter.Int(q.TcpFlows));
            h.NumCell(HtmlWriter.Int(q.Packets));
            h.NumCell(HtmlWriter.Int(q.DelayedPackets));
            h.NumCell(q.Packets > 0 ? HtmlWriter.Percent((double)q.DelayedPackets / q.Packets) : "–");
            h.NumCell(HtmlWriter.Int(q.Stalls));
            h.RowEnd();
        }
        h.TableEnd();
        if (RxQueueCharts.Flows(queues, o) is { } flows)
            h.Raw(flows.Figure("Flows per RX queue as the RSS hash sends them: ICMP (green) and TCP (blue) stacked."));
        if (RxQueueCharts.Delayed(queues, v.HotQueue, o) is { } delayed)
            h.Raw(delayed.Figure("Packets that waited in a stall, per RX queue; red: the queue with the most stalls; label: stalls on the queue."));
    }

    private static void WriteStallList(HtmlWriter h, StallView v)
    {
        if (v.Stalls.Count == 0) return;
        h.Heading(3, "Stalls");
        var rows = v.Stalls.Count <= MaxStallRows ? v.Stalls : v.Stalls.OrderByDescending(s => s.MaxDelayMs).Take(MaxStallRows).OrderBy(s => s.Start).ToList();
        if (rows.Count < v.Stalls.Count)
            h.Paragraph($"The {HtmlWriter.Int(MaxStallRows)} longest of {HtmlWriter.Int(v.Stalls.Count)} stalls, in time order (the JSON output has all).", "sub");
        // Leave out what every row would repeat or cannot have: task columns for captures (they name no task), the
        // source when there is one, the date when all stalls fall on one day. The table then fits the page.
        bool tasks = rows.Any(s => s.HeldBy != null || s.RanIn != null);
        var sources = rows.Select(s => s.Source).Distinct(StringComparer.Ordinal).ToList();
        bool fromColumn = sources.Count > 1;
        var days = rows.Select(s => HtmlWriter.Utc(s.Start)).Select(t => t.Length > 20 ? t[..10] : "").Distinct(StringComparer.Ordinal).ToList();
        bool oneDay = days.Count == 1 && days[0].Length > 0;

        h.Raw("<table class=\"stall-list\"><thead><tr>");
        h.El("th", oneDay ? $"Start ({days[0]}, UTC)" : "Start (UTC)");
        h.El("th", "Duration", "num");
        h.El("th", "Longest wait", "num");
        h.El("th", "Where");
        h.El("th", "Scope");
        if (tasks) { h.El("th", "Held by"); h.El("th", "Ran in"); }
        h.El("th", "Delayed packets (ICMP / TCP)", "num");
        h.El("th", "Flows");
        if (fromColumn) h.El("th", "From");
        h.Raw("</tr></thead><tbody>\n");
        foreach (var s in rows)
        {
            h.Raw(s.Scope == StallScope.AllCpus ? "<tr class=\"vm-pause\">" : "<tr>");
            string start = HtmlWriter.Utc(s.Start);
            h.El("td", oneDay && start.Length > 20 ? start[11..^1] : start, "when");
            h.NumCell(ChartStyle.FormatMs(Math.Max(0, s.End - s.Start) * 1000));
            h.NumCell(double.IsFinite(s.MaxDelayMs) ? ChartStyle.FormatMs(s.MaxDelayMs) : "–");
            h.Cell(StallView.Where(s));
            h.Cell(StallView.ScopeText(s.Scope));
            if (tasks)
            {
                h.MonoCell(s.HeldBy ?? "–");
                h.MonoCell(s.RanIn ?? "–");
            }
            h.NumCell($"{HtmlWriter.Int(s.PacketsDelayed)} ({HtmlWriter.Int(s.IcmpDelayed)} / {HtmlWriter.Int(s.TcpDelayed)})");
            h.Raw("<td class=\"mono\">");
            foreach (var f in s.Flows.Take(FlowsPerRow)) { h.Text(f); h.Raw("<br>"); }
            if (s.Flows.Count > FlowsPerRow) h.Text($"… and {s.Flows.Count - FlowsPerRow} more");
            else if (s.Flows.Count == 0) h.Text("–");
            h.Raw("</td>");
            if (fromColumn) h.Cell(s.Source);
            h.RowEnd();
        }
        h.TableEnd();
        if (!fromColumn) h.Paragraph($"All from {(sources[0] == StallView.Live ? "live eBPF tracing" : sources[0] == StallView.Capture ? "captures" : sources[0])}.", "caption");
    }
}
