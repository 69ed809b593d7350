using NetTrace.Events;

namespace NetTrace.Tracer.Trace;

/// <summary>A slow or failed connect worth showing in the live view.</summary>
public sealed record NotableConnect(DateTimeOffset Time, string Client, string Server, string Outcome, double LatencyMs,
    uint SynRetransmits, ulong NetnsInode, string Comm, string? ClientName = null, string? ServerName = null);

/// <summary>What the live view and the periodic stats lines show; a consistent copy taken under the lock.</summary>
public sealed record TraceStatsSnapshot(
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, ulong> EventsByProbe,
    IReadOnlyDictionary<string, ulong> LostByProbe,
    IReadOnlyDictionary<string, ulong> ConnectsByOutcome,
    IReadOnlyList<NotableConnect> RecentSlowConnects,
    IReadOnlyDictionary<string, ulong> DropsByReason,
    IReadOnlyDictionary<uint, double> SoftirqMaxDelayMsByCpu,
    ulong FilteredOut,
    ulong IcmpEchoes,
    IReadOnlyDictionary<uint, double>? RxMaxLatencyMsByCpu = null,
    ulong RxSlowPackets = 0,
    IReadOnlyList<string>? RecentStalls = null,
    ulong CpuGaps = 0,
    double CpuGapMaxMs = 0)
{
    public ulong TotalLost => LostByProbe.Values.Aggregate(0UL, (a, b) => a + b);
    public ulong TotalEvents => EventsByProbe.Values.Aggregate(0UL, (a, b) => a + b);
}

/// <summary>
/// Running counts over the accepted event stream. Written by the poll thread, read by the live view's timer,
/// so every access takes the lock (a few hundred ns per event; measured in the benchmark).
/// </summary>
public sealed class TraceStats
{
    public static readonly TimeSpan SlowConnect = TimeSpan.FromMilliseconds(200);
    private const int RecentKept = 8;

    private readonly Lock _lock = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Dictionary<string, ulong> _events = [];
    private Dictionary<string, ulong> _lost = [];
    private readonly Dictionary<string, ulong> _outcomes = [];
    private readonly Dictionary<string, ulong> _drops = [];
    private readonly Dictionary<uint, double> _softirqMax = [];
    private readonly Queue<NotableConnect> _recent = new();
    private ulong _filtered;
    private ulong _icmp;
    private readonly Dictionary<uint, double> _rxMax = [];
    private ulong _rxSlow, _cpuGaps;
    private double _cpuGapMax;
    private readonly Queue<string> _recentStalls = new();

    public void CountFilteredOut()
    {
        lock (_lock) _filtered++;
    }

    public void Add(TraceEvent e)
    {
        lock (_lock)
        {
            var probe = ProbeNames.Of(e);
            if (probe != null) _events[probe] = _events.GetValueOrDefault(probe) + 1;
            switch (e.KindCase)
            {
                case TraceEvent.KindOneofCase.Connect:
                    AddConnect(e.Connect);
                    break;
                case TraceEvent.KindOneofCase.Drop:
                    var reason = e.Drop.Reason.Length > 0 ? e.Drop.Reason : $"reason {e.Drop.ReasonCode}";
                    _drops[reason] = _drops.GetValueOrDefault(reason) + 1;
                    break;
                case TraceEvent.KindOneofCase.SoftirqStall:
                    Max(e.SoftirqStall.Origin?.Cpu ?? 0, e.SoftirqStall.RaiseToEntryNs);
                    if (e.SoftirqStall.Metric != SoftirqMetric.RunTime)
                    {
                        _recentStalls.Enqueue(LiveView.EventLines.Describe(e));
                        while (_recentStalls.Count > 4) _recentStalls.Dequeue();
                    }
                    break;
                case TraceEvent.KindOneofCase.RxLatency:
                    _rxSlow++;
                    RxMax(e.RxLatency.Origin?.Cpu ?? 0, e.RxLatency.LatencyNs);
                    break;
                case TraceEvent.KindOneofCase.RxLatencyHistogram:
                    RxMax(e.RxLatencyHistogram.Cpu, e.RxLatencyHistogram.MaxNs);
                    break;
                case TraceEvent.KindOneofCase.CpuGap:
                    _cpuGaps++;
                    _cpuGapMax = Math.Max(_cpuGapMax, e.CpuGap.GapNs / 1e6);
                    break;
                case TraceEvent.KindOneofCase.SoftirqHistogram when e.SoftirqHistogram.Metric == SoftirqMetric.RaiseToEntry:
                    Max(e.SoftirqHistogram.Cpu, e.SoftirqHistogram.MaxNs);
                    break;
                case TraceEvent.KindOneofCase.IcmpEcho:
                    _icmp++;
                    break;
                case TraceEvent.KindOneofCase.Lost:
                    _lost = new Dictionary<string, ulong>(e.Lost.LostByProbe);
                    break;
            }
        }
    }

    private void AddConnect(ConnectEvent c)
    {
        var outcome = OutcomeName(c.Outcome);
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        if (c.Outcome != ConnectOutcome.Established || c.SynRetransmits > 0 || c.LatencyNs >= (ulong)SlowConnect.Ticks * 100)
        {
            _recent.Enqueue(new NotableConnect(
                DateTimeOffset.FromUnixTimeMilliseconds((long)(c.SynTimeUnixNs / 1_000_000)),
                c.Tuple?.Source() ?? "?", c.Tuple?.Destination() ?? "?", outcome, c.LatencyNs / 1e6, c.SynRetransmits,
                c.Origin?.NetnsIno ?? 0, c.Origin?.Comm ?? "", LiveView.PeerNames.Of(c.Origin?.Pod), LiveView.PeerNames.Of(c.Remote)));
            while (_recent.Count > RecentKept) _recent.Dequeue();
        }
    }

    private void RxMax(uint cpu, ulong ns)
    {
        var ms = ns / 1e6;
        if (ms > _rxMax.GetValueOrDefault(cpu)) _rxMax[cpu] = ms;
    }

    private void Max(uint cpu, ulong ns)
    {
        var ms = ns / 1e6;
        if (ms > _softirqMax.GetValueOrDefault(cpu)) _softirqMax[cpu] = ms;
    }

    public static string OutcomeName(ConnectOutcome o) => o switch
    {
        ConnectOutcome.Established => "established",
        ConnectOutcome.Refused => "refused",
        ConnectOutcome.TimedOut => "timed-out",
        ConnectOutcome.Aborted => "aborted",
        ConnectOutcome.Failed => "failed",
        _ => "unknown",
    };

    public TraceStatsSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new TraceStatsSnapshot(_clock.Elapsed,
                new Dictionary<string, ulong>(_events), new Dictionary<string, ulong>(_lost),
                new Dictionary<string, ulong>(_outcomes), _recent.Reverse().ToList(),
                new Dictionary<string, ulong>(_drops), new Dictionary<uint, double>(_softirqMax), _filtered, _icmp,
                new Dictionary<uint, double>(_rxMax), _rxSlow, _recentStalls.ToList(), _cpuGaps, _cpuGapMax);
        }
    }
}

/// <summary>The probe names used in lost counts, stats and the session header.</summary>
public static class ProbeNames
{
    public const string TcpConnect = "tcp-connect";
    public const string TcpSendmsg = "tcp-sendmsg";
    public const string IcmpEcho = "icmp-echo";
    public const string Drops = "drops";
    public const string Softirq = "softirq";
    public const string Conntrack = "conntrack";
    public const string RxLatency = "rx-latency";
    public const string CpuGaps = "cpu-gaps";

    public static readonly IReadOnlyList<string> All = [TcpConnect, TcpSendmsg, IcmpEcho, Drops, Softirq, RxLatency, CpuGaps];

    public static string? Of(TraceEvent e) => e.KindCase switch
    {
        TraceEvent.KindOneofCase.Connect => TcpConnect,
        TraceEvent.KindOneofCase.FlowSend => TcpSendmsg,
        TraceEvent.KindOneofCase.IcmpEcho => IcmpEcho,
        TraceEvent.KindOneofCase.Drop => Drops,
        TraceEvent.KindOneofCase.SoftirqStall or TraceEvent.KindOneofCase.SoftirqHistogram => Softirq,
        TraceEvent.KindOneofCase.Nat => Conntrack,
        TraceEvent.KindOneofCase.RxLatency or TraceEvent.KindOneofCase.RxLatencyHistogram => RxLatency,
        TraceEvent.KindOneofCase.CpuGap or TraceEvent.KindOneofCase.CpuGapWatch => CpuGaps,
        _ => null,
    };
}
