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
    private readonly ConnectJoiner _connects = new();
    private readonly Dictionary<int, K.SoftirqCpuHistogram> _previousHistograms = [];
    private Action<TraceEvent>? _emit;

    private KernelEventSource(TraceSession session, ulong softirqThresholdNs)
    {
        _session = session;
        _softirqThresholdNs = softirqThresholdNs;
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
            IncludeUnspecifiedDrops = request.IncludeUnspecifiedDrops,
            ExcludedDropReasons = request.ExcludedDropReasons ?? TraceSessionOptions.DefaultExcludedDropReasons,
            RingBufferBytes = request.RingBufferBytes,
            AllowPartial = true,
        };
        // The sink is this object, but the session must exist before the object: bind through a forwarder.
        var forward = new ForwardingSink();
        var session = TraceSession.Start(options, forward);
        var source = new KernelEventSource(session, (ulong)request.SoftirqThreshold.TotalNanoseconds);
        forward.Target = source;
        return source;
    }

    public IReadOnlyList<ProbeChoice> Probes { get; }

    public IReadOnlyDictionary<string, ulong> Lost => _session.LostEvents.ToDictionary(kv => NameOf(kv.Key), kv => kv.Value);

    public IReadOnlyDictionary<string, ulong> Delivered => _session.DeliveredEvents.ToDictionary(kv => NameOf(kv.Key), kv => kv.Value);

    public void Poll(int timeoutMs, Action<TraceEvent> emit)
    {
        _emit = emit;
        try { _session.Poll(timeoutMs); }
        finally { _emit = null; }
    }

    public void Collect(Action<TraceEvent> emit)
    {
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
        foreach (var h in _session.ReadSoftirqHistograms())
        {
            _previousHistograms.TryGetValue(h.Cpu, out var prev);
            _previousHistograms[h.Cpu] = h;
            var start = prev == null ? UnixNs(0) : now - (ulong)TraceRunner.CollectInterval.TotalNanoseconds;
            var delay = Interval(h.Cpu, SoftirqMetric.RaiseToEntry, h.DelaySlots, prev?.DelaySlots, h.DelayMaxNs, prev?.DelayMaxNs, start, now);
            var run = Interval(h.Cpu, SoftirqMetric.RunTime, h.RunSlots, prev?.RunSlots, h.RunMaxNs, prev?.RunMaxNs, start, now);
            if (delay != null) emit(new TraceEvent { SoftirqHistogram = delay });
            if (run != null) emit(new TraceEvent { SoftirqHistogram = run });
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
        } });
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
        _ => k.ToString().ToLowerInvariant(),
    };

    public static ProbeKinds KindOf(string name) => name switch
    {
        ProbeNames.TcpConnect => ProbeKinds.TcpConnect,
        ProbeNames.TcpSendmsg => ProbeKinds.TcpSendmsg,
        ProbeNames.IcmpEcho => ProbeKinds.IcmpEcho,
        ProbeNames.Drops => ProbeKinds.Drops,
        ProbeNames.Softirq => ProbeKinds.Softirq,
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
    }
}
