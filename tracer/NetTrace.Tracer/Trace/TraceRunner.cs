using System.Diagnostics;
using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.Tracer.Trace.LiveView;

namespace NetTrace.Tracer.Trace;

public sealed record TraceRunResult(
    long EventsAccepted,
    long EventsFilteredOut,
    IReadOnlyDictionary<string, ulong> Lost,
    string EndReason,
    long RecordingEvents,
    string? Error)
{
    public ulong TotalLost => Lost.Values.Aggregate(0UL, (a, b) => a + b);
}

/// <summary>Where accepted events go. Null members are off.</summary>
public sealed record TraceOutputs(RecordingWriter? Recording, JsonLinesWriter? Json, ILiveView View);

/// <summary>
/// Runs one trace session: polls the source on a dedicated thread, filters, fans events out to the recording,
/// JSON lines, live view and stats; every second collects the kernel's aggregates and writes lost counts.
/// Ends at the duration or when the token is cancelled (Ctrl-C, SIGTERM), always writing the final lost counts
/// and a SessionEnd, and always disposing the source (which detaches every link).
/// </summary>
/// <param name="enricher">Pod metadata for each event's origin (in-memory lookups); null = raw ids only.</param>
public sealed class TraceRunner(ITraceEventSource source, TraceFilter filter, SessionHeader header, TraceOutputs outputs,
    NetTrace.Metadata.Index.EventEnricher? enricher = null)
{
    public static readonly TimeSpan CollectInterval = TimeSpan.FromSeconds(1);
    private const int PollTimeoutMs = 100;

    private long _accepted;
    private long _filtered;

    public TraceStats Stats { get; } = new();

    public async Task<TraceRunResult> RunAsync(TimeSpan? duration, CancellationToken ct, TimeSpan? refreshInterval = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d) stop.CancelAfter(d);

        string? error = null;
        var pollThread = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                PollLoop(stop.Token);
                pollThread.SetResult();
            }
            catch (Exception e)
            {
                pollThread.SetException(e);
            }
        }) { IsBackground = true, Name = "nettrace poll" };

        Emit(new TraceEvent { Header = header });
        thread.Start();
        var refresher = RefreshLoopAsync(refreshInterval ?? TimeSpan.FromSeconds(1), stop.Token);
        try
        {
            await pollThread.Task;
        }
        catch (Exception e)
        {
            error = e.Message;
            stop.Cancel();
        }
        await refresher;

        var reason = error != null ? "error: " + error
            : ct.IsCancellationRequested ? "stopped" : "duration reached";
        try
        {
            // Final aggregates and lost counts, then the end record: a clean recording ends with both.
            source.Collect(Emit);
            EmitLost(final: true);
        }
        catch (Exception e)
        {
            error ??= e.Message;
        }
        try
        {
            Emit(new TraceEvent { End = new SessionEnd
            {
                EndTimeUnixNs = UnixNowNs(), Reason = reason, EventsWritten = (ulong)(outputs.Recording?.EventsWritten ?? 0) + 1,
            } });
            outputs.Recording?.Flush();
            outputs.Json?.Flush();
        }
        catch (IOException e)
        {
            // A full disk (or closed pipe) ends outputs, not the run: what was written stays readable.
            error ??= e.Message;
        }
        var snapshot = Stats.Snapshot();
        outputs.View.Complete(snapshot, error != null && !reason.StartsWith("error", StringComparison.Ordinal) ? "error: " + error : reason);
        return new TraceRunResult(_accepted, _filtered, source.Lost.ToDictionary(), reason,
            outputs.Recording?.EventsWritten ?? 0, error);
    }

    private void PollLoop(CancellationToken stop)
    {
        var sinceCollect = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            source.Poll(PollTimeoutMs, Accept);
            if (sinceCollect.Elapsed >= CollectInterval)
            {
                sinceCollect.Restart();
                source.Collect(Accept);
                EmitLost(final: false);
                outputs.Recording?.Flush();
                outputs.Json?.Flush();
            }
        }
        // Drain what is already in the ring buffers before the caller detaches.
        source.Poll(0, Accept);
    }

    private async Task RefreshLoopAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                outputs.View.Refresh(Stats.Snapshot());
        }
        catch (OperationCanceledException) { }
    }

    private void Accept(TraceEvent e)
    {
        enricher?.Enrich(e);
        if (!filter.Accepts(e))
        {
            _filtered++;
            Stats.CountFilteredOut();
            return;
        }
        _accepted++;
        Emit(e);
        outputs.View.Event(e);
    }

    private void Emit(TraceEvent e)
    {
        outputs.Recording?.Write(e);
        outputs.Json?.Write(e);
        Stats.Add(e);
    }

    private void EmitLost(bool final)
    {
        var lost = new LostEventCounts { TimeUnixNs = UnixNowNs(), Final = final };
        foreach (var (probe, n) in source.Lost) lost.LostByProbe[probe] = n;
        foreach (var (probe, n) in source.Delivered) lost.DeliveredByProbe[probe] = n;
        Emit(new TraceEvent { Lost = lost });
    }

    private static ulong UnixNowNs() => (ulong)(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
}
