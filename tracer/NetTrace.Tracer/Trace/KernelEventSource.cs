using NetTrace.Events;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Session;
using K = NetTrace.Tracer.Probes;

namespace NetTrace.Tracer.Trace;

/// <summary>
/// The production <see cref="ITraceEventSource"/>: a kernel <see cref="TraceSession"/> whose typed events are mapped
/// to the event model here. Connect steps (start, SYN retransmits, outcome) are joined per socket into one
/// ConnectEvent; cumulative softirq histograms become per-interval ones.
/// </summary>
public sealed class KernelEventSource : ITraceEventSource, K.ITraceEventSink
{
    private readonly TraceSession _session;
    private readonly ulong _softirqThresholdNs;
    private readonly ulong _rxLatencyThresholdNs;
    private readonly Dictionary<int, K.RxLatencyCpuHistogram> _previousRx = [];
    private ulong _lastCollectUnixNs;
    private bool _gapWatchWritten;
    private readonly ConnectJoiner _connects = new();
    private readonly Dictionary<int, K.SoftirqCpuHistogram> _previousHistograms = [];
    private Action<TraceEvent>? _emit;

    private KernelEventSource(TraceSession session, ulong softirqThresholdNs, ulong rxLatencyThresholdNs)
    {
        _session = session;
        _softirqThresholdNs = softirqThresholdNs;
        _rxLatencyThresholdNs = rxLatencyThresholdNs;
        _lastCollectUnixNs = UnixNowNs(); // the histogram maps count from load, just before this
        Probes = DescribePlan(session);
    }

    /// <summary>Loads and attaches the requested probes (the ones that cannot attach are listed, not fatal).</summary>
    public static ITraceEventSource Start(TraceRequest request)
    {
        var options = new TraceSessionOptions
        {
            Probes = request.Probes.Aggregate(ProbeKinds.None, (k, name) => k | KindOf(name)),
            NetnsInode = checked((uint)request.KernelNetnsFilter),
            Pid = checked((int)request.KernelPidFilter),
            Ports = request.KernelPortFilter.Select(p => checked((ushort)p)).ToList(),
            SoftirqThreshold = request.SoftirqThreshold,
            RxLatencyThreshold = request.RxLatencyThreshold,
            IncludeUnspecifiedDrops = request.IncludeUnspecifiedDrops,
            ExcludedDropReasons = request.ExcludedDropReasons ?? TraceSessionOptions.DefaultExcludedDropReasons,
            RingBufferBytes = request.RingBufferBytes,
            AllowPartial = true,
        };
        return Start(options);
    }

    /// <summary>Starts a session with these options (in-process users such as <see cref="Stalls.StallTrace"/>).</summary>
    public static KernelEventSource Start(TraceSessionOptions options)
    {
        // The sink is this object, but the session must exist before the object: bind through a forwarder.
        var forward = new ForwardingSink();
        var session = TraceSession.Start(options, forward);
        var source = new KernelEventSource(session, (ulong)options.SoftirqThreshold.TotalNanoseconds,
            (ulong)options.RxLatencyThreshold.TotalNanoseconds);
        forward.Target = source;
        return source;
    }

    public IReadOnlyList<ProbeChoice> Probes { get; }

    public IReadOnlyDictionary<string, ulong> Lost => _session.LostEvents.ToDictionary(kv => NameOf(kv.Key), kv => kv.Value);

    public IReadOnlyDictionary<string, ulong> Delivered => _session.DeliveredEvents.ToDictionary(kv => NameOf(kv.Key), kv => kv.Value);

    public void Poll(int timeoutMs, Action<TraceEvent> emit)
    {
        WriteGapWatch(emit);
        _emit = emit;
        try { _session.Poll(timeoutMs); }
        finally { _emit = null; }
    }

    /// <summary>Once, before any gap event: the analysis judges "every CPU stopped" over exactly these CPUs.</summary>
    private void WriteGapWatch(Action<TraceEvent> emit)
    {
        if (_gapWatchWritten) return;
        _gapWatchWritten = true;
        if (_session.CpuGapWatch is not { } watch) return;
        var w = new CpuGapWatch { PeriodNs = (ulong)watch.Period.Ticks * 100, ThresholdNs = (ulong)watch.Threshold.Ticks * 100 };
        w.Cpus.Add(watch.Cpus.Select(c => (uint)c));
        emit(new TraceEvent { CpuGapWatch = w });
    }

    public void Collect(Action<TraceEvent> emit)
    {
        WriteGapWatch(emit);
        foreach (var s in _session.ReadSendStats())
            emit(new TraceEvent { FlowSend = new FlowSendStats
            {
                Origin = new Origin
                {
                    TimeUnixNs = UnixNs(s.LastNs), KtimeNs = s.LastNs, NetnsIno = s.NetnsInode, CgroupId = s.CgroupId,
                    Pid = (uint)s.Pid, Comm = s.Comm,
                },
                Tuple = EventAddresses.MakeTuple(s.Source, s.SourcePort, s.Destination, s.DestinationPort, IpProtocol.Tcp),
                Bytes = s.Bytes, Calls = s.Calls,
                IntervalStartUnixNs = UnixNs(s.FirstNs), IntervalEndUnixNs = UnixNs(s.LastNs),
            } });
        var now = UnixNowNs();
        var intervalStart = _lastCollectUnixNs;
        _lastCollectUnixNs = now;
        foreach (var h in _session.ReadSoftirqHistograms())
        {
            _previousHistograms.TryGetValue(h.Cpu, out var prev);
            _previousHistograms[h.Cpu] = h;
            var start = intervalStart;
            var delay = Interval(h.Cpu, SoftirqMetric.RaiseToEntry, h.DelaySlots, prev?.DelaySlots, h.DelayMaxNs, prev?.DelayMaxNs, start, now);
            var run = Interval(h.Cpu, SoftirqMetric.RunTime, h.RunSlots, prev?.RunSlots, h.RunMaxNs, prev?.RunMaxNs, start, now);
            if (delay != null) emit(new TraceEvent { SoftirqHistogram = delay });
            if (run != null) emit(new TraceEvent { SoftirqHistogram = run });
        }
        foreach (var h in _session.ReadRxLatencyHistograms())
        {
            _previousRx.TryGetValue(h.Cpu, out var prev);
            _previousRx[h.Cpu] = h;
            if (h.Count == (prev?.Count ?? 0)) continue;
            var start = intervalStart;
            var rx = new RxLatencyHistogram
            {
                Cpu = (uint)h.Cpu, Count = h.Count - (prev?.Count ?? 0), OverThreshold = h.OverThreshold - (prev?.OverThreshold ?? 0),
                IntervalStartUnixNs = start, IntervalEndUnixNs = now,
            };
            var highest = -1;
            for (var i = 0; i < h.Slots.Length; i++)
            {
                var d = h.Slots[i] - (prev?.Slots[i] ?? 0);
                rx.Buckets.Add(d);
                if (d > 0) highest = i;
            }
            while (rx.Buckets.Count > highest + 1) rx.Buckets.RemoveAt(rx.Buckets.Count - 1);
            rx.MaxNs = h.MaxNs != (prev?.MaxNs ?? 0) ? h.MaxNs : K.SoftirqCpuHistogram.SlotLowerBoundNs(Math.Max(0, highest));
            emit(new TraceEvent { RxLatencyHistogram = rx });
        }
        _connects.Expire(TimeSpan.FromMinutes(5), MonotonicNowNs());
    }

    private static SoftirqHistogram? Interval(int cpu, SoftirqMetric metric, ulong[] slots, ulong[]? prevSlots, ulong max, ulong? prevMax,
        ulong start, ulong end)
    {
        var h = new SoftirqHistogram
        {
            Cpu = (uint)cpu, Vector = SoftirqVector.NetRx, Metric = metric, IntervalStartUnixNs = start, IntervalEndUnixNs = end,
        };
        var highest = -1;
        ulong total = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            var d = slots[i] - (prevSlots?[i] ?? 0);
            h.Buckets.Add(d);
            total += d;
            if (d > 0) highest = i;
        }
        if (total == 0) return null;
        // Lower bound, used when the session maximum was set before this interval.
        h.MaxNs = max != (prevMax ?? 0) ? max : K.SoftirqCpuHistogram.SlotLowerBoundNs(highest);
        while (h.Buckets.Count > highest + 1) h.Buckets.RemoveAt(h.Buckets.Count - 1);
        return h;
    }

    // ---- ITraceEventSink: called on the poll thread during _session.Poll ----

    void K.ITraceEventSink.OnTcpConnect(in K.TcpConnectEvent e)
    {
        var done = _connects.Add(e);
        if (done == null) return;
        var (outcome, retransmitOffsets) = done.Value;
        var c = new ConnectEvent
        {
            Origin = new Origin
            {
                TimeUnixNs = UnixNs(e.Header.TimestampNs), KtimeNs = e.Header.TimestampNs, Cpu = (uint)e.Header.Cpu,
                NetnsIno = e.Header.NetnsInode,
                // The connecting task, not whatever ran the softirq that delivered the outcome.
                CgroupId = e.Owner.CgroupId, Pid = (uint)e.Owner.Pid, Comm = e.Owner.Comm,
            },
            Tuple = EventAddresses.MakeTuple(e.Source, e.SourcePort, e.Destination, e.DestinationPort, IpProtocol.Tcp),
            Outcome = outcome,
            SynTimeUnixNs = UnixNs(e.StartNs),
            LatencyNs = e.LatencyNs,
            SynRetransmits = (uint)e.SynRetransmits,
            Error = e.Error,
        };
        c.SynRetransmitOffsetsNs.Add(retransmitOffsets);
        _emit?.Invoke(new TraceEvent { Connect = c });
    }

    void K.ITraceEventSink.OnIcmpEcho(in K.IcmpEchoEvent e)
    {
        var (context, task) = ContextOf(e.Context, e.Header);
        _emit?.Invoke(new TraceEvent { IcmpEcho = new IcmpEchoEvent
        {
            Origin = OriginOf(e.Header),
            Src = EventAddresses.ToBytes(e.Source), Dst = EventAddresses.ToBytes(e.Destination),
            Id = e.Id, Seq = e.Sequence, Reply = false,
            V6 = e.Source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !e.Source.IsIPv4MappedToIPv6,
            Context = context, ContextTask = task, ContextPid = (uint)e.Header.Pid,
            LatenessNs = e.SinceStampNs is > 0 and var l ? (ulong)l : 0,
        } });
    }

    void K.ITraceEventSink.OnDrop(in K.DropEvent e)
    {
        var d = new DropEvent
        {
            Origin = OriginOf(e.Header), ReasonCode = e.ReasonCode, Reason = e.Reason, Location = e.Location,
            LocationSymbol = e.LocationSymbol, Ifindex = (uint)e.IfIndex, L3Protocol = e.EtherType,
        };
        if (e.HasTuple && e.Source != null && e.Destination != null)
            d.Tuple = EventAddresses.MakeTuple(e.Source, e.SourcePort, e.Destination, e.DestinationPort, (IpProtocol)e.IpProtocol);
        _emit?.Invoke(new TraceEvent { Drop = d });
    }

    void K.ITraceEventSink.OnSoftirq(in K.SoftirqEvent e)
    {
        _emit?.Invoke(new TraceEvent { SoftirqStall = new SoftirqStallEvent
        {
            Origin = OriginOf(e.Header),
            Vector = (SoftirqVector)e.Vector,
            RaiseToEntryNs = e.DelayNs,
            RunNs = e.Kind == K.SoftirqEventKind.Run ? e.RunNs : 0,
            Context = e.InKsoftirqd ? ExecContext.Ksoftirqd : e.Header.Pid == 0 ? ExecContext.SoftirqOnIrqExit : ExecContext.SoftirqInTask,
            ThresholdNs = _softirqThresholdNs,
            RaisePid = (uint)e.RaisedByPid,
            RaiseComm = e.RaisedByComm,
            RaiseKtimeNs = e.RaisedAtNs,
            Metric = e.Kind == K.SoftirqEventKind.Run ? SoftirqMetric.RunTime : SoftirqMetric.RaiseToEntry,
        } });
    }

    void K.ITraceEventSink.OnCpuGap(in K.CpuGapEvent e)
    {
        _emit?.Invoke(new TraceEvent { CpuGap = new CpuGapEvent
        {
            Origin = OriginOf(e.Header), GapNs = e.GapNs, PeriodNs = (ulong)_session.Options.CpuGapPeriod.Ticks * 100,
        } });
    }

    void K.ITraceEventSink.OnRxLatency(in K.RxLatencyEvent e)
    {
        var (context, task) = ContextOf(e.Context, e.Header);
        var rx = new RxLatencyEvent
        {
            Origin = OriginOf(e.Header),
            LatencyNs = e.LatencyNs,
            QueuedCpu = (uint)e.QueuedCpu,
            QueuedAt = (RxQueuedAt)e.QueuedAt,
            Context = context,
            ContextTask = task,
            IcmpType = e.IcmpType,
            TcpFlags = e.TcpFlags,
            Ifindex = (uint)e.IfIndex,
            ThresholdNs = _rxLatencyThresholdNs,
            SoftirqElapsedUs = e.SoftirqElapsedUs,
        };
        if (e.Source != null && e.Destination != null)
            rx.Tuple = EventAddresses.MakeTuple(e.Source, e.SourcePort, e.Destination, e.DestinationPort, (IpProtocol)e.IpProtocol);
        _emit?.Invoke(new TraceEvent { RxLatency = rx });
    }

    private static (ExecContext, string) ContextOf(K.ExecContext c, K.EventHeader h)
    {
        var task = h.Pid == 0 ? h.Comm : $"{h.Comm}[{h.Pid}]";
        return c switch
        {
            K.ExecContext.Softirq when h.Comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) => (ExecContext.Ksoftirqd, task),
            K.ExecContext.Softirq when h.Pid == 0 => (ExecContext.SoftirqOnIrqExit, task),
            K.ExecContext.Softirq => (ExecContext.SoftirqInTask, task),
            K.ExecContext.Task when h.Comm.StartsWith("napi/", StringComparison.Ordinal) => (ExecContext.NapiThread, task),
            K.ExecContext.Task => (ExecContext.Process, task),
            K.ExecContext.Hardirq => (ExecContext.Hardirq, task),
            _ => (ExecContext.Unspecified, task),
        };
    }

    private Origin OriginOf(in K.EventHeader h) => new()
    {
        TimeUnixNs = UnixNs(h.TimestampNs), KtimeNs = h.TimestampNs, Cpu = (uint)h.Cpu, NetnsIno = h.NetnsInode,
        CgroupId = h.CgroupId, Pid = (uint)h.Pid, Comm = h.Comm,
    };

    private ulong UnixNs(ulong monotonicNs) => (ulong)(_session.MonotonicToUtc(monotonicNs) - DateTime.UnixEpoch).Ticks * 100;

    private static ulong UnixNowNs() => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    private static ulong MonotonicNowNs() =>
        (ulong)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency));

    private static IReadOnlyList<ProbeChoice> DescribePlan(TraceSession session)
    {
        var list = session.Plan.Select(p => new ProbeChoice
        {
            Probe = NameOf(p.Probe.Kind),
            Attach = string.Join(", ", p.Hooks.Where(h => h.Chosen != null).Select(h => h.Chosen!.Describe())),
            Reason = string.Join("; ", p.Hooks.SelectMany(h => h.Rejected).Where(r => !r.Reason.StartsWith("lower preference", StringComparison.Ordinal))
                .Select(r => $"{r.Candidate.Describe()}: {r.Reason}")),
            Attached = true,
        }).ToList();
        list.AddRange(session.Unavailable.Select(u => new ProbeChoice
        {
            Probe = NameOf(u.Plan.Probe.Kind), Attach = "", Reason = u.Reason, Attached = false,
        }));
        return list;
    }

    public static string NameOf(ProbeKinds k) => k switch
    {
        ProbeKinds.TcpConnect => ProbeNames.TcpConnect,
        ProbeKinds.TcpSendmsg => ProbeNames.TcpSendmsg,
        ProbeKinds.IcmpEcho => ProbeNames.IcmpEcho,
        ProbeKinds.Drops => ProbeNames.Drops,
        ProbeKinds.Softirq => ProbeNames.Softirq,
        ProbeKinds.RxLatency => ProbeNames.RxLatency,
        ProbeKinds.CpuGaps => ProbeNames.CpuGaps,
        _ => k.ToString().ToLowerInvariant(),
    };

    public static ProbeKinds KindOf(string name) => name switch
    {
        ProbeNames.TcpConnect => ProbeKinds.TcpConnect,
        ProbeNames.TcpSendmsg => ProbeKinds.TcpSendmsg,
        ProbeNames.IcmpEcho => ProbeKinds.IcmpEcho,
        ProbeNames.Drops => ProbeKinds.Drops,
        ProbeNames.Softirq => ProbeKinds.Softirq,
        ProbeNames.RxLatency => ProbeKinds.RxLatency,
        ProbeNames.CpuGaps => ProbeKinds.CpuGaps,
        _ => throw new ArgumentException($"unknown probe {name}"),
    };

    public void Dispose() => _session.Dispose();

    private sealed class ForwardingSink : K.ITraceEventSink
    {
        public K.ITraceEventSink? Target;
        public void OnTcpConnect(in K.TcpConnectEvent e) => Target?.OnTcpConnect(in e);
        public void OnIcmpEcho(in K.IcmpEchoEvent e) => Target?.OnIcmpEcho(in e);
        public void OnDrop(in K.DropEvent e) => Target?.OnDrop(in e);
        public void OnSoftirq(in K.SoftirqEvent e) => Target?.OnSoftirq(in e);
        public void OnRxLatency(in K.RxLatencyEvent e) => Target?.OnRxLatency(in e);
        public void OnCpuGap(in K.CpuGapEvent e) => Target?.OnCpuGap(in e);
    }
}
