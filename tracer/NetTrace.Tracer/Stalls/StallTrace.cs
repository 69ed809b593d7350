using System.Diagnostics;
using NetTrace.Analyzer.Recordings;
using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Session;
using NetTrace.Tracer.Trace;

namespace NetTrace.Tracer.Stalls;

/// <summary>
/// Live receive-path stall tracing in-process: NET_RX raise→entry delay and run time per CPU (softirqs probe, with
/// the task that held the CPU and the context the backlog ran in), per-packet receive latency (rx-latency probe:
/// which flows waited, ICMP vs TCP) and, where perf events work, a per-CPU clock watch that tells whole-machine
/// pauses from one-CPU stalls. Stop() groups what was seen into stall windows and findings, exactly as
/// `nettrace analyze` does for a recording of the same events.
/// <code>
/// // needs root; attach before the stall starts, stop after it ended
/// using var trace = StallTrace.Start(new StallTraceOptions
/// {
///     NetnsInode = (uint)NetnsTarget.InodeOf("/var/run/netns/ntrecv"), // packets received there only (0 = all)
///     Cpus = new HashSet&lt;int&gt; { 1 },                                   // report stalls of CPU1 only (null = all)
///     StallThreshold = TimeSpan.FromMilliseconds(2),
/// });
/// ... make the stall ...
/// StallTraceResult r = trace.Stop();           // detaches everything; Dispose() alone also detaches
/// foreach (var w in r.Stalls.Stalls)          // StallWindow: Cpu, Start/End, MaxDelayMs, HeldBy, RanIn, Scope,
///     ...                                     //   PacketsDelayed, IcmpDelayed, TcpDelayed, Flows
/// r.Findings                                   // "softirq-stall" (per CPU) and "vm-pause"; r.Lost per probe
/// </code>
/// Thread-safe: Start and Stop may be called from any thread; events are polled on a private thread.
/// </summary>
public sealed class StallTrace : IDisposable
{
    private readonly StallTraceOptions _options;
    private readonly KernelEventSource _source;
    private readonly RecordingWriter? _recording;
    private readonly List<TraceEvent> _events = [];
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private Exception? _pollError;
    private long _dropped;
    private StallTraceResult? _result;
    private bool _disposed;

    private StallTrace(StallTraceOptions options, KernelEventSource source, RecordingWriter? recording)
    {
        _options = options;
        _source = source;
        _recording = recording;
        _thread = new Thread(PollLoop) { IsBackground = true, Name = "nettrace stall poll" };
    }

    /// <summary>Loads and attaches the probes and starts polling. Throws <see cref="NotSupportedException"/> when
    /// neither the softirqs nor the rx-latency probe can attach (the reasons are in the message).</summary>
    public static StallTrace Start(StallTraceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.StallThreshold <= TimeSpan.Zero) throw new ArgumentException("stall threshold must be positive", nameof(options));
        var packetThreshold = options.PacketEventThreshold ?? options.StallThreshold;
        var probes = ProbeKinds.Softirq | ProbeKinds.RxLatency | (options.WatchCpuGaps ? ProbeKinds.CpuGaps : ProbeKinds.None);
        var source = KernelEventSource.Start(new TraceSessionOptions
        {
            Probes = probes,
            NetnsInode = options.NetnsInode,
            SoftirqThreshold = options.StallThreshold,
            RxLatencyThreshold = packetThreshold,
            DisabledAttachKinds = options.DisabledAttachKinds,
            Capabilities = options.Capabilities,
            AllowPartial = true,
        });
        RecordingWriter? recording = null;
        try
        {
            if (!source.Probes.Any(p => p.Attached && p.Probe is ProbeNames.Softirq or ProbeNames.RxLatency))
                throw new NotSupportedException("neither the softirq nor the rx-latency probe could attach: " +
                    string.Join("; ", source.Probes.Select(p => $"{p.Probe}: {p.Reason}")));
            if (options.RecordingPath != null) recording = RecordingWriter.Create(options.RecordingPath);
            var trace = new StallTrace(options, source, recording);
            trace.Add(new TraceEvent { Header = Header(source) });
            trace._thread.Start();
            return trace;
        }
        catch
        {
            recording?.Dispose();
            source.Dispose();
            throw;
        }
    }

    /// <summary>Which probes attached and how.</summary>
    public IReadOnlyList<ProbeChoice> Probes => _source.Probes;

    /// <summary>Stops polling, reads the last aggregates, detaches every probe and analyses. Idempotent: a second
    /// call returns the same result. Rethrows a failure of the poll thread.</summary>
    public StallTraceResult Stop()
    {
        lock (_gate)
        {
            if (_result != null) return _result;
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stop.Cancel();
            _thread.Join();
            IReadOnlyDictionary<string, ulong> lost;
            try
            {
                _source.Poll(0, Add);
                _source.Collect(Add);
                lost = _source.Lost;
                var counts = new LostEventCounts { TimeUnixNs = UnixNowNs(), Final = true };
                foreach (var (probe, n) in lost) counts.LostByProbe[probe] = n;
                foreach (var (probe, n) in _source.Delivered) counts.DeliveredByProbe[probe] = n;
                Add(new TraceEvent { Lost = counts });
                Add(new TraceEvent { End = new SessionEnd { EndTimeUnixNs = UnixNowNs(), Reason = "stopped", EventsWritten = (ulong)_events.Count + 1 } });
            }
            finally
            {
                Release();
            }
            if (_pollError != null) throw new InvalidOperationException("stall trace polling failed: " + _pollError.Message, _pollError);

            var analysis = new RecordingAnalysis("live", new LiveStallOptions
            {
                StallThresholdMs = _options.StallThreshold.TotalMilliseconds,
                Cpus = _options.Cpus,
            });
            foreach (var e in _events) analysis.Add(e);
            var output = analysis.Finish();
            _result = new StallTraceResult(output.Stalls ?? new NetTrace.Analyzer.Model.StallAnalysis(), output.Findings, lost,
                _source.Probes, _events, _dropped, _clock.Elapsed);
            return _result;
        }
    }

    private void PollLoop()
    {
        var sinceCollect = Stopwatch.StartNew();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                _source.Poll(100, Add);
                if (sinceCollect.Elapsed < TraceRunner.CollectInterval) continue;
                sinceCollect.Restart();
                _source.Collect(Add);
                _recording?.Flush();
            }
        }
        catch (Exception e)
        {
            _pollError = e;
        }
    }

    // Called on the poll thread, then (after it joined) on the Stop caller's thread: never concurrently.
    private void Add(TraceEvent e)
    {
        _recording?.Write(e);
        if (_events.Count < _options.MaxEvents) _events.Add(e);
        else _dropped++;
    }

    private void Release()
    {
        if (_disposed) return;
        _disposed = true;
        _source.Dispose();
        _recording?.Dispose();
        _stop.Dispose();
    }

    /// <summary>Detaches everything without analysing (when Stop was not called).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _stop.Cancel();
            if (_thread.IsAlive) _thread.Join();
            Release();
        }
    }

    private static SessionHeader Header(KernelEventSource source) => new()
    {
        Host = Environment.MachineName,
        Kernel = Environment.OSVersion.VersionString,
        ToolVersion = typeof(StallTrace).Assembly.GetName().Version?.ToString(3) ?? "0",
        StartTimeUnixNs = UnixNowNs(),
        Probes = { source.Probes },
        CommandLine = "in-process stall trace",
    };

    private static ulong UnixNowNs() => (ulong)(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
}
