using NetTrace.Events;
using NetTrace.Tracer.Trace;

namespace NetTrace.Tracer.Tests.Trace;

/// <summary>An event source that hands out a fixed list of events on its first polls, then idles.</summary>
internal sealed class ScriptedSource(IEnumerable<TraceEvent> events, Dictionary<string, ulong>? lost = null) : ITraceEventSource
{
    private readonly Queue<TraceEvent> _pending = new(events);
    public int Collects;
    public bool Disposed;

    public IReadOnlyList<ProbeChoice> Probes { get; } =
        [new ProbeChoice { Probe = ProbeNames.TcpConnect, Attach = "scripted", Attached = true }];

    public IReadOnlyDictionary<string, ulong> Lost { get; } = lost ?? [];
    public IReadOnlyDictionary<string, ulong> Delivered => new Dictionary<string, ulong> { [ProbeNames.TcpConnect] = 1 };

    public void Poll(int timeoutMs, Action<TraceEvent> emit)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (_pending.Count == 0)
        {
            Thread.Sleep(Math.Min(timeoutMs, 10));
            return;
        }
        for (var i = 0; i < 3 && _pending.Count > 0; i++) emit(_pending.Dequeue());
    }

    public void Collect(Action<TraceEvent> emit)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Collects++;
    }

    public void Dispose() => Disposed = true;
}
