using NetTrace.Events;

namespace NetTrace.Tracer.Trace.LiveView;

/// <summary>
/// Live view for pipes and logs (no terminal): notable events as lines (at most a few per second, the rest
/// counted), and a summary line per refresh. Lost events are always on the summary line.
/// </summary>
public sealed class RollingLinesView(TextWriter output, int maxNotablePerSecond = 20) : ILiveView
{
    private readonly Lock _lock = new();
    private long _windowStart = Environment.TickCount64;
    private int _inWindow;
    private long _suppressed;
    private ulong _lastTotal;

    public void Event(TraceEvent e)
    {
        if (!EventLines.IsNotable(e)) return;
        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (now - _windowStart >= 1000) { _windowStart = now; _inWindow = 0; }
            if (++_inWindow > maxNotablePerSecond) { _suppressed++; return; }
            output.WriteLine(EventLines.Describe(e));
        }
    }

    public void Refresh(TraceStatsSnapshot s)
    {
        lock (_lock)
        {
            output.WriteLine(Summary(s, s.TotalEvents - _lastTotal));
            _lastTotal = s.TotalEvents;
            output.Flush();
        }
    }

    public void Complete(TraceStatsSnapshot s, string reason)
    {
        lock (_lock)
        {
            output.WriteLine($"trace ended ({reason}): " + Summary(s, null));
            output.Flush();
        }
    }

    private string Summary(TraceStatsSnapshot s, ulong? sinceLast)
    {
        var probes = string.Join(' ', s.EventsByProbe.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
        var outcomes = string.Join(' ', s.ConnectsByOutcome.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
        var lost = s.TotalLost == 0 ? "lost=0"
            : "LOST " + string.Join(' ', s.LostByProbe.Where(p => p.Value > 0).Select(p => $"{p.Key}={p.Value}"));
        var suppressed = _suppressed > 0 ? $" ({_suppressed} notable lines not shown)" : "";
        var delta = sinceLast is { } d ? $" (+{d})" : "";
        var rx = s.RxMaxLatencyMsByCpu is { Count: > 0 } m
            ? " | rx max " + string.Join(' ', m.OrderBy(p => p.Key).Select(p => $"cpu{p.Key}={p.Value:0.0}ms")) : "";
        return $"[{s.Elapsed:hh\\:mm\\:ss}] events {s.TotalEvents}{delta} {probes} | connects {Or(outcomes)} | drops " +
               $"{s.DropsByReason.Values.Aggregate(0UL, (a, b) => a + b)}{rx} | {lost}{suppressed}";
    }

    private static string Or(string s) => s.Length == 0 ? "0" : s;
}
