using System.Text;
using NetTrace.Events;

namespace NetTrace.Tracer.Trace.LiveView;

/// <summary>
/// Live view for a terminal: a table redrawn in place each refresh (cursor up over the previous draw, clear
/// below) so the screen does not scroll. Lost events get their own highlighted line when any are lost.
/// </summary>
public sealed class TerminalTableView(TextWriter output, int width = 100) : ILiveView
{
    private const string Red = "\e[1;31m", Bold = "\e[1m", Dim = "\e[2m", Reset = "\e[0m";
    private readonly Lock _lock = new();
    private int _linesDrawn;

    public void Event(TraceEvent e) { }   // the table shows the latest notable connects from the stats

    public void Refresh(TraceStatsSnapshot s) => Draw(Render(s, null));

    public void Complete(TraceStatsSnapshot s, string reason) => Draw(Render(s, reason));

    private void Draw(List<string> lines)
    {
        lock (_lock)
        {
            var sb = new StringBuilder();
            if (_linesDrawn > 0) sb.Append($"\e[{_linesDrawn}A\r");
            sb.Append("\e[J");
            foreach (var l in lines) sb.Append(l).Append("\e[K\n");
            output.Write(sb.ToString());
            output.Flush();
            _linesDrawn = lines.Count;
        }
    }

    public List<string> Render(TraceStatsSnapshot s, string? endedReason)
    {
        var lines = new List<string>();
        var rate = s.Elapsed.TotalSeconds > 0 ? s.TotalEvents / s.Elapsed.TotalSeconds : 0;
        lines.Add($"{Bold}nettrace trace{Reset}  {s.Elapsed:hh\\:mm\\:ss}  events {s.TotalEvents} ({rate:0}/s)" +
                  (endedReason != null ? $"  — ended: {endedReason}" : "  — Ctrl-C to stop"));
        if (s.TotalLost > 0)
            lines.Add($"{Red}LOST EVENTS: {string.Join("  ", s.LostByProbe.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}"))}" +
                      $" (ring buffer full; counts below are incomplete){Reset}");
        lines.Add("");
        lines.Add($"{Bold}{"probe",-14}{"events",12}{"lost",12}{Reset}");
        foreach (var probe in s.EventsByProbe.Keys.Union(s.LostByProbe.Keys).Order(StringComparer.Ordinal))
        {
            var lost = s.LostByProbe.GetValueOrDefault(probe);
            var lostText = $"{lost,12}";
            lines.Add($"{probe,-14}{s.EventsByProbe.GetValueOrDefault(probe),12}{(lost > 0 ? Red + lostText + Reset : lostText)}");
        }
        lines.Add("");
        lines.Add($"{Bold}connects{Reset}  " + (s.ConnectsByOutcome.Count == 0 ? "none yet"
            : string.Join("  ", s.ConnectsByOutcome.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))));
        if (s.RecentSlowConnects.Count > 0)
        {
            lines.Add($"{Dim}latest slow or failed:{Reset}");
            foreach (var c in s.RecentSlowConnects)
                lines.Add(Clip($"  {c.Time.ToLocalTime():HH:mm:ss.fff} {PeerNames.With(c.Client, c.ClientName)} -> " +
                               $"{PeerNames.With(c.Server, c.ServerName)} {c.Outcome} {c.LatencyMs:0.0} ms " +
                               $"{c.SynRetransmits} rtx {c.Comm}"));
        }
        lines.Add($"{Bold}drops{Reset}     " + (s.DropsByReason.Count == 0 ? "none"
            : Clip(string.Join("  ", s.DropsByReason.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key} {p.Value}")))));
        lines.Add($"{Bold}softirq{Reset}   NET_RX max raise→entry: " + (s.SoftirqMaxDelayMsByCpu.Count == 0 ? "no data"
            : Clip(string.Join("  ", s.SoftirqMaxDelayMsByCpu.OrderBy(p => p.Key).Select(p => $"cpu{p.Key} {p.Value:0.000} ms")))));
        if (s.RxMaxLatencyMsByCpu is { Count: > 0 } rx)
            lines.Add($"{Bold}rx path{Reset}   max packet wait: " + Clip(string.Join("  ", rx.OrderBy(p => p.Key).Select(p => $"cpu{p.Key} {p.Value:0.000} ms")) +
                      $"  ({s.RxSlowPackets} slow)"));
        if (s.RecentStalls is { Count: > 0 } stalls)
        {
            lines.Add($"{Dim}latest NET_RX stalls:{Reset}");
            foreach (var st in stalls) lines.Add(Clip("  " + st));
        }
        if (s.CpuGaps > 0)
            lines.Add($"{Bold}cpu gaps{Reset}  {s.CpuGaps} (max {s.CpuGapMaxMs:0.0} ms: CPUs that ran nothing — VM pauses when all at once)");
        if (s.FilteredOut > 0) lines.Add($"{Dim}{s.FilteredOut} events outside the filters{Reset}");
        return lines;
    }

    private string Clip(string s) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
