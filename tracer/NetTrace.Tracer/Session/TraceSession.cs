using System.Runtime.InteropServices;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;

namespace NetTrace.Tracer.Session;

/// <summary>
/// A live kernel trace: the chosen programs of each requested probe loaded and attached, their ring buffers
/// polled into an <see cref="ITraceEventSink"/>. Poll calls are serialised with each other, the map reads
/// (Read*, LostEvents) with each other, but a map drain never waits for a poll (nor a poll for a drain), so a
/// collector thread cannot starve the ring buffers. Dispose takes both and may be called from any thread, any
/// number of times.
/// </summary>
public sealed class TraceSession : IDisposable
{
    private readonly object _gate = new();    // Poll (ring buffers, sink)
    private readonly object _mapGate = new(); // map reads and the drain buffers
    private readonly List<LoadedProbe> _probes;
    private readonly RingBuffer _ring;
    private readonly long _realtimeMinusMonotonicNs;
    private bool _disposed;

    public KernelCapabilities Capabilities { get; }
    /// <summary>Plans of the probes that were started.</summary>
    public IReadOnlyList<ProbePlan> Plan { get; }
    /// <summary>Requested probes that could not start (only with AllowPartial), with the reason.</summary>
    public IReadOnlyList<(ProbePlan Plan, string Reason)> Unavailable { get; }
    public TraceSessionOptions Options { get; }

    private TraceSession(TraceSessionOptions options, KernelCapabilities caps, List<LoadedProbe> probes,
        List<(ProbePlan, string)> unavailable, RingBuffer ring, long offset)
    {
        Options = options;
        Capabilities = caps;
        _probes = probes;
        Plan = probes.Select(p => p.Plan).ToList();
        Unavailable = unavailable;
        _ring = ring;
        _realtimeMinusMonotonicNs = offset;
    }

    public static TraceSession Start(TraceSessionOptions options, ITraceEventSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        options.Validate();
        var caps = options.Capabilities ?? KernelCapabilitiesDetector.Cached;
        var probes = new List<LoadedProbe>();
        var unavailable = new List<(ProbePlan, string)>();
        var ring = new RingBuffer();
        try
        {
            foreach (var plan in ProbePlanner.ChooseAll(caps, options.Probes, options.DisabledAttachKinds))
            {
                if (!plan.Usable)
                {
                    if (!options.AllowPartial)
                        throw new NotSupportedException($"probe {plan.Probe.Name} cannot attach on this kernel: {plan.UnusableReason}");
                    unavailable.Add((plan, plan.UnusableReason!));
                    continue;
                }
                try
                {
                    probes.Add(LoadedProbe.Load(plan, options));
                }
                catch (LibbpfException e) when (options.AllowPartial)
                {
                    unavailable.Add((plan, e.Message));
                }
            }
            if (probes.Count == 0)
                throw new NotSupportedException("no probe could start: " + string.Join("; ", unavailable.Select(u => u.Item2)));

            long offset = RealtimeMinusMonotonicNs();
            var drops = probes.Any(p => p.Kind == ProbeKinds.Drops) ? DropReasons.FromKernel() : new DropReasons(new Dictionary<long, string>());
            // Read /proc/kallsyms now (tens of ms), not inside the first poll while the ring fills.
            var symbols = new Lazy<KernelSymbols?>(() => TryLoadSymbols());
            if (probes.Any(p => p.Kind == ProbeKinds.Drops)) _ = symbols.Value;
            var decoder = new EventDecoder(drops, symbols, offset);
            foreach (var p in probes)
            {
                RingSampleHandler? handler = p.Kind switch
                {
                    ProbeKinds.TcpConnect => d => { var e = decoder.TcpConnect(d); p.Delivered++; sink.OnTcpConnect(in e); },
                    ProbeKinds.IcmpEcho => d => { var e = decoder.IcmpEcho(d); p.Delivered++; sink.OnIcmpEcho(in e); },
                    ProbeKinds.Drops => d => { var e = decoder.Drop(d); p.Delivered++; sink.OnDrop(in e); },
                    ProbeKinds.Softirq => d => { var e = decoder.Softirq(d); p.Delivered++; sink.OnSoftirq(in e); },
                    ProbeKinds.CpuGaps => d => { var e = decoder.CpuGap(d); p.Delivered++; sink.OnCpuGap(in e); },
                    ProbeKinds.RxLatency => d => { var e = decoder.RxLatency(d); p.Delivered++; sink.OnRxLatency(in e); },
                    _ => null, // tcpsendmsg aggregates in a map
                };
                if (handler != null) ring.Add(p.Object.Map("events"), handler);
            }
            return new TraceSession(options, caps, probes, unavailable, ring, offset);
        }
        catch
        {
            ring.Dispose();
            foreach (var p in probes) p.Dispose();
            throw;
        }
    }

    private static KernelSymbols? TryLoadSymbols()
    {
        try { return KernelSymbols.Load(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static unsafe long RealtimeMinusMonotonicNs()
    {
        // bpf_ktime_get_ns is CLOCK_MONOTONIC. Read it and CLOCK_REALTIME directly (Stopwatch's clock is not
        // guaranteed to be the same one); take the tightest of a few back-to-back pairs.
        long best = 0, bestGap = long.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            Timespec m1, r, m2;
            clock_gettime(1 /* CLOCK_MONOTONIC */, &m1);
            clock_gettime(0 /* CLOCK_REALTIME */, &r);
            clock_gettime(1, &m2);
            long mono1 = m1.Sec * 1_000_000_000 + m1.Nsec, mono2 = m2.Sec * 1_000_000_000 + m2.Nsec;
            long gap = mono2 - mono1;
            if (gap < bestGap) { bestGap = gap; best = r.Sec * 1_000_000_000 + r.Nsec - (mono1 + gap / 2); }
        }
        return best;
    }

    private struct Timespec { public long Sec; public long Nsec; }

    [DllImport("libc")]
    private static extern unsafe int clock_gettime(int clock, Timespec* ts);

    /// <summary>Converts an event's CLOCK_MONOTONIC timestamp to UTC wall-clock time.</summary>
    public DateTime MonotonicToUtc(ulong ns) => DateTime.UnixEpoch.AddTicks(((long)ns + _realtimeMinusMonotonicNs) / 100);

    /// <summary>Waits up to <paramref name="timeoutMs"/> and dispatches ready events to the sink on this thread.
    /// Returns the number dispatched. A sink exception is rethrown here.</summary>
    public int Poll(int timeoutMs)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // With wakeup batching the kernel may not have signalled: drain what is there either way.
            int n = _ring.Poll(timeoutMs);
            return n + _ring.Consume();
        }
    }

    public IReadOnlyDictionary<ProbeKinds, ulong> LostEvents
    {
        get
        {
            lock (_mapGate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _probes.ToDictionary(p => p.Kind, p => p.ReadLost());
            }
        }
    }

    /// <summary>Ring-buffer events handed to the sink, per probe.</summary>
    public IReadOnlyDictionary<ProbeKinds, ulong> DeliveredEvents
    {
        get { lock (_gate) return _probes.ToDictionary(p => p.Kind, p => p.Delivered); }
    }

    /// <summary>Reads and removes every flow's TCP send counters accumulated since the previous call.</summary>
    public IReadOnlyList<SendStat> ReadSendStats()
    {
        lock (_mapGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var p = _probes.FirstOrDefault(x => x.Kind == ProbeKinds.TcpSendmsg);
            if (p == null) return [];
            return DrainSendStats(p.Object.Map("send_stats"));
        }
    }

    // One reusable batch buffer set for the send-stats drain (guarded by _mapGate): no per-flow buffers.
    private const int DrainBatch = 1024;
    private byte[]? _drainKeys, _drainValues;
    private readonly byte[] _drainToken = new byte[8];

    private unsafe List<SendStat> DrainSendStats(BpfMap map)
    {
        var result = new List<SendStat>();
        _drainKeys ??= new byte[DrainBatch * sizeof(SendmsgKey)];
        _drainValues ??= new byte[DrainBatch * sizeof(SendmsgValue)];
        bool first = true, done = false;
        while (!done)
        {
            int n = map.LookupAndDeleteBatch(_drainKeys, _drainValues, _drainToken, first, out done);
            if (n < 0) return DrainSendStatsOneByOne(map, result); // kernel without batch ops on hash maps
            first = false;
            var keys = MemoryMarshal.Cast<byte, SendmsgKey>(_drainKeys.AsSpan(0, n * sizeof(SendmsgKey)));
            var values = MemoryMarshal.Cast<byte, SendmsgValue>(_drainValues.AsSpan(0, n * sizeof(SendmsgValue)));
            for (int i = 0; i < n; i++) AddSendStat(result, ref keys[i], ref values[i]);
        }
        return result;
    }

    private static List<SendStat> DrainSendStatsOneByOne(BpfMap map, List<SendStat> result)
    {
        var value = new byte[map.ValueSize];
        foreach (var keyBytes in map.Keys())
        {
            if (!map.TryLookupAndDelete(keyBytes, value)) continue;
            var k = MemoryMarshal.Read<SendmsgKey>(keyBytes);
            var v = MemoryMarshal.Read<SendmsgValue>(value);
            AddSendStat(result, ref k, ref v);
        }
        return result;
    }

    private static unsafe void AddSendStat(List<SendStat> result, ref SendmsgKey k, ref SendmsgValue v)
    {
        ref var t = ref k.Tuple;
        string comm;
        fixed (byte* c = v.Comm) comm = EventDecoder.Comm(c);
        fixed (byte* s = t.Saddr) fixed (byte* d = t.Daddr)
            result.Add(new SendStat(k.Netns, (int)k.Pid, comm, v.CgroupId,
                EventDecoder.Address(s, t.Family), t.Sport, EventDecoder.Address(d, t.Family), t.Dport,
                v.Bytes, v.Calls, v.FirstNs, v.LastNs, k.SockId));
    }

    /// <summary>Cumulative NET_RX delay/run histograms per CPU since the session started.</summary>
    public unsafe IReadOnlyList<SoftirqCpuHistogram> ReadSoftirqHistograms()
    {
        lock (_mapGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var p = _probes.FirstOrDefault(x => x.Kind == ProbeKinds.Softirq);
            if (p == null) return [];
            var perCpu = p.Object.Map("hists").LookupPerCpu<SoftirqHist>();
            var result = new List<SoftirqCpuHistogram>(perCpu.Length);
            for (int cpu = 0; cpu < perCpu.Length; cpu++)
            {
                var h = perCpu[cpu];
                var delay = new ulong[SoftirqHist.Slots];
                var run = new ulong[SoftirqHist.Slots];
                for (int i = 0; i < SoftirqHist.Slots; i++) { delay[i] = h.Delay[i]; run[i] = h.Run[i]; }
                result.Add(new SoftirqCpuHistogram(cpu, delay, h.DelayCount, h.DelaySumNs, h.DelayMaxNs,
                    run, h.RunCount, h.RunSumNs, h.RunMaxNs));
            }
            return result;
        }
    }

    /// <summary>The CPUs the gap watch samples, its period and threshold; null without the cpu-gaps probe.</summary>
    public (IReadOnlyList<int> Cpus, TimeSpan Period, TimeSpan Threshold)? CpuGapWatch =>
        _probes.FirstOrDefault(x => x.Kind == ProbeKinds.CpuGaps) is { } p ? (p.SampledCpus, Options.CpuGapPeriod, Options.CpuGapThreshold) : null;

    /// <summary>Cumulative receive-path latency histograms per CPU since the session started (empty without the probe).</summary>
    public unsafe IReadOnlyList<RxLatencyCpuHistogram> ReadRxLatencyHistograms()
    {
        lock (_mapGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var p = _probes.FirstOrDefault(x => x.Kind == ProbeKinds.RxLatency);
            if (p == null) return [];
            var perCpu = p.Object.Map("rx_hists").LookupPerCpu<RxlatHist>();
            var result = new List<RxLatencyCpuHistogram>(perCpu.Length);
            for (int cpu = 0; cpu < perCpu.Length; cpu++)
            {
                var h = perCpu[cpu];
                var slots = new ulong[RxlatHist.Slots];
                for (int i = 0; i < RxlatHist.Slots; i++) slots[i] = h.Buckets[i];
                result.Add(new RxLatencyCpuHistogram(cpu, slots, h.Count, h.SumNs, h.MaxNs, h.OverThreshold));
            }
            return result;
        }
    }

    /// <summary>Detaches every link, frees the ring buffers and closes the objects. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        lock (_mapGate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var p in _probes) p.Dispose();
            _ring.Dispose();
        }
    }
}
