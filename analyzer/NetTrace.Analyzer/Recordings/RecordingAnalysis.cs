using System.Globalization;
using NetTrace.Analyzer.Model;
using NetTrace.Events;

namespace NetTrace.Analyzer.Recordings;

/// <summary>What one recording contributes to the analysis.</summary>
public sealed record RecordingOutput(
    IReadOnlyList<Handshake> Handshakes,
    IReadOnlyList<IcmpEcho> Echoes,
    IReadOnlyList<FlowStats> Flows,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<InputProblem> Problems,
    CaptureSummary Counts,
    DateTimeOffset? FirstTime,
    DateTimeOffset? LastTime,
    IReadOnlyList<string> Comments,
    StallAnalysis? Stalls = null);

/// <summary>
/// Turns a recording's event stream into analysis observations. Pure (no I/O) so the mapping is unit-tested
/// without files. Drops and softirq stalls have no packet-level equivalent, so they become findings directly.
/// </summary>
public sealed class RecordingAnalysis(string path, LiveStallOptions? stallOptions = null)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly List<Handshake> _handshakes = [];
    private readonly List<IcmpEcho> _echoes = [];
    private readonly Dictionary<(string, string), FlowAcc> _flows = [];
    private readonly List<DropEvent> _drops = [];
    private readonly LiveStallDetector _stalls = new(stallOptions);
    private readonly Dictionary<(uint Cpu, SoftirqMetric Metric), SoftirqHistogram> _histograms = [];
    private readonly List<string> _comments = [];
    private readonly List<InputProblem> _problems = [];
    private LostEventCounts? _lastLost;
    private SessionHeader? _header;
    private SessionEnd? _end;
    private ulong _first = ulong.MaxValue, _last;
    private long _synRetransmits, _refused;

    private sealed class FlowAcc
    {
        public ulong Bytes, Calls, First = ulong.MaxValue, Last;
    }

    public void Add(TraceEvent e)
    {
        switch (e.KindCase)
        {
            case TraceEvent.KindOneofCase.Header:
                _header = e.Header;
                Seen(e.Header.StartTimeUnixNs);
                _comments.Add(DescribeHeader(e.Header));
                break;
            case TraceEvent.KindOneofCase.Connect: AddConnect(e.Connect); break;
            case TraceEvent.KindOneofCase.IcmpEcho: AddEcho(e.IcmpEcho); break;
            case TraceEvent.KindOneofCase.FlowSend: AddFlow(e.FlowSend); break;
            case TraceEvent.KindOneofCase.Drop:
                _drops.Add(e.Drop);
                Seen(e.Drop.Origin?.TimeUnixNs ?? 0);
                break;
            case TraceEvent.KindOneofCase.SoftirqStall:
                _stalls.Add(e);
                // The wait began at the raise (or the run's entry): the recording covers it from there.
                Seen((e.SoftirqStall.Origin?.TimeUnixNs ?? 0) - Math.Min(e.SoftirqStall.Origin?.TimeUnixNs ?? 0,
                    e.SoftirqStall.Metric == SoftirqMetric.RunTime ? e.SoftirqStall.RunNs : e.SoftirqStall.RaiseToEntryNs));
                break;
            case TraceEvent.KindOneofCase.RxLatency:
                _stalls.Add(e);
                Seen((e.RxLatency.Origin?.TimeUnixNs ?? 0) - Math.Min(e.RxLatency.Origin?.TimeUnixNs ?? 0, e.RxLatency.LatencyNs));
                break;
            case TraceEvent.KindOneofCase.CpuGap or TraceEvent.KindOneofCase.CpuGapWatch or TraceEvent.KindOneofCase.RxLatencyHistogram:
                _stalls.Add(e);
                break;
            case TraceEvent.KindOneofCase.SoftirqHistogram:
                AddHistogram(e.SoftirqHistogram);
                _stalls.Add(e);
                break;
            case TraceEvent.KindOneofCase.Lost:
                _lastLost = e.Lost;
                break;
            case TraceEvent.KindOneofCase.End:
                _end = e.End;
                Seen(e.End.EndTimeUnixNs);
                break;
        }
    }

    private void Seen(ulong unixNs)
    {
        if (unixNs == 0) return;
        _first = Math.Min(_first, unixNs);
        _last = Math.Max(_last, unixNs);
    }

    private void AddConnect(ConnectEvent c)
    {
        Seen(c.SynTimeUnixNs);
        var gaps = new List<double>();
        ulong prev = 0;
        foreach (var off in c.SynRetransmitOffsetsNs)
        {
            gaps.Add((off - prev) / 1000.0);
            prev = off;
        }
        _synRetransmits += c.SynRetransmits;
        if (c.Outcome == ConnectOutcome.Refused) _refused++;
        double? rtt = c.Outcome == ConnectOutcome.Established ? c.LatencyNs / 1000.0 : null;
        _handshakes.Add(new Handshake
        {
            Client = c.Tuple?.Source() ?? "?",
            Server = c.Tuple?.Destination() ?? "?",
            SynTime = c.SynTimeUnixNs / 1e9,
            // The tracer sees SYN_SENT -> ESTABLISHED on the client: the SYN-ACK arrival, and the ACK leaves at once.
            SynAckRttMicros = rtt,
            AckRttMicros = rtt,
            SynRetransmits = (int)c.SynRetransmits,
            SynRetransmitGapsMicros = gaps,
            Outcome = c.Outcome switch
            {
                ConnectOutcome.Established => HandshakeOutcome.Established,
                ConnectOutcome.Refused => HandshakeOutcome.Refused,
                // Timed out, or given up by the application before any answer: either way no answer came.
                ConnectOutcome.TimedOut or ConnectOutcome.Aborted => HandshakeOutcome.Unanswered,
                // An ICMP error or similar answered instead of the server: not a reset, not silence.
                _ => HandshakeOutcome.Unknown,
            },
            ClientName = EnrichmentNames.Of(c.Origin?.Pod),
            ServerName = EnrichmentNames.Of(c.Remote),
        });
    }

    private void AddEcho(IcmpEchoEvent e)
    {
        var t = e.Origin?.TimeUnixNs ?? 0;
        Seen(t);
        _echoes.Add(new IcmpEcho
        {
            Src = EventAddresses.Format(e.Src),
            Dst = EventAddresses.Format(e.Dst),
            Id = (int)e.Id,
            Seq = (int)e.Seq,
            RequestTime = t / 1e9,
            RttMicros = e.RttNs > 0 ? e.RttNs / 1000.0 : null,
            V6 = e.V6,
            Cpu = (int?)e.Origin?.Cpu,
            Context = ContextText(e),
            ReceiverOnly = e.RttNs == 0,
        });
    }

    private static string ContextText(IcmpEchoEvent e)
    {
        var kind = e.Context switch
        {
            ExecContext.SoftirqOnIrqExit => "softirq (irq exit, idle CPU)",
            ExecContext.SoftirqInTask => "softirq on " + e.ContextTask,
            ExecContext.Ksoftirqd => e.ContextTask.Length > 0 ? e.ContextTask : "ksoftirqd",
            ExecContext.NapiThread => "napi thread " + e.ContextTask,
            ExecContext.Process => "process " + e.ContextTask,
            ExecContext.Hardirq => "hardirq",
            _ => "unknown",
        };
        return e.LatenessNs > 0 ? kind + $", {e.LatenessNs / 1e6:0.000} ms after receive" : kind;
    }

    private void AddFlow(FlowSendStats f)
    {
        if (f.Tuple == null) return;
        var key = (f.Tuple.Source(), f.Tuple.Destination());
        if (!_flows.TryGetValue(key, out var acc)) _flows[key] = acc = new FlowAcc();
        acc.Bytes += f.Bytes;
        acc.Calls += f.Calls;
        acc.First = Math.Min(acc.First, f.IntervalStartUnixNs);
        acc.Last = Math.Max(acc.Last, f.IntervalEndUnixNs);
    }

    private void AddHistogram(SoftirqHistogram h)
    {
        var key = (h.Cpu, h.Metric);
        if (!_histograms.TryGetValue(key, out var acc))
            _histograms[key] = acc = new SoftirqHistogram { Cpu = h.Cpu, Vector = h.Vector, Metric = h.Metric };
        while (acc.Buckets.Count < h.Buckets.Count) acc.Buckets.Add(0);
        for (var i = 0; i < h.Buckets.Count; i++) acc.Buckets[i] += h.Buckets[i];
        acc.MaxNs = Math.Max(acc.MaxNs, h.MaxNs);
    }

    public RecordingOutput Finish()
    {
        var findings = new List<Finding>();
        var trust = LostTotal() > 0 ? 0.7 : 1.0;
        if (_drops.Count > 0) findings.Add(DropFinding(trust));
        StallAnalysis? stalls = null;
        if (_stalls.HasData)
        {
            var (analysis, stallFindings) = _stalls.Finish(trust);
            stalls = analysis;
            findings.AddRange(stallFindings);
        }

        if (_header == null)
            _problems.Add(new InputProblem(path, ProblemSeverity.Warning, "the recording has no session header (first record)"));
        if (_lastLost != null && LostTotal() > 0)
            _problems.Add(new InputProblem(path, ProblemSeverity.Warning,
                $"the tracer lost {LostTotal()} event(s) (ring buffer full): " +
                string.Join(", ", _lastLost.LostByProbe.Where(p => p.Value > 0).OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")) +
                "; counts and findings are lower bounds"));
        if (_end == null)
            _problems.Add(new InputProblem(path, ProblemSeverity.Warning,
                "the recording has no end record: the tracer stopped without finishing (killed, crashed, or still running)"));
        else if (_end.Reason.StartsWith("error", StringComparison.Ordinal))
            _problems.Add(new InputProblem(path, ProblemSeverity.Warning, "the trace ended with " + _end.Reason));

        foreach (var ((cpu, metric), h) in _histograms.OrderBy(k => k.Key.Cpu).ThenBy(k => k.Key.Metric))
            _comments.Add($"softirq cpu{cpu} {(metric == SoftirqMetric.RunTime ? "run time" : "raise→entry")}: " +
                          $"{h.Buckets.Aggregate(0UL, (a, b) => a + b)} runs, max {h.MaxNs / 1e6:0.000} ms");

        var flows = _flows.Select(kv => new FlowStats("tcp", kv.Key.Item1, kv.Key.Item2,
            // A recording knows sendmsg calls, not packets: the "packets" column counts calls.
            (long)kv.Value.Calls, 0, (long)kv.Value.Bytes, 0, kv.Value.First / 1e9, kv.Value.Last / 1e9)).ToList();

        return new RecordingOutput(_handshakes, _echoes, flows, findings, _problems,
            new CaptureSummary
            {
                Tcp = _handshakes.Count, TcpStreams = _handshakes.Count, Syn = _handshakes.Count + _synRetransmits,
                SynRetransmits = _synRetransmits, Rst = _refused, Icmp = _echoes.Count,
            },
            _first == ulong.MaxValue ? null : FromNs(_first),
            _last == 0 ? null : FromNs(_last),
            _comments,
            stalls);
    }

    private ulong LostTotal() => _lastLost?.LostByProbe.Values.Aggregate(0UL, (a, b) => a + b) ?? 0;

    private Finding DropFinding(double trust)
    {
        var byCause = _drops.GroupBy(d => (Reason: d.Reason.Length > 0 ? d.Reason : $"reason {d.ReasonCode}", Where: Function(d)))
            .OrderByDescending(g => g.Count()).ToList();
        var top = byCause[0];
        var netfilter = _drops.Count(d => d.Reason == "NETFILTER_DROP");
        var evidence = byCause.Take(8).Select(g => new Evidence($"{g.Key.Reason} at {g.Key.Where}",
            $"{g.Count()} packet(s), netns {string.Join(", ", g.Select(d => d.Origin?.NetnsIno ?? 0).Distinct().Take(3))}")).ToList();
        foreach (var d in _drops.Where(d => d.Tuple != null).Take(3))
            evidence.Add(new Evidence($"example {d.Reason}",
                $"{Named(d.Tuple.Source(), EnrichmentNames.Of(d.SrcPeer))} → {Named(d.Tuple.Destination(), EnrichmentNames.Of(d.DstPeer))} " +
                $"({d.Tuple.Protocol.ToString().ToLowerInvariant()})" + (EnrichmentNames.Of(d.Origin?.Pod) is { } pod ? $" in pod {pod}" : "")));
        return new Finding
        {
            Kind = "kernel-drops",
            Title = $"{_drops.Count} packet(s) dropped in the kernel; most: {top.Key.Reason} at {top.Key.Where} ({top.Count()})",
            Severity = netfilter > 0 || _drops.Count >= 100 ? Severity.Medium : Severity.Low,
            Confidence = Math.Round(0.9 * trust, 2),
            WindowStart = _drops.Min(d => d.Origin?.TimeUnixNs ?? 0) / 1e9,
            WindowEnd = _drops.Max(d => d.Origin?.TimeUnixNs ?? 0) / 1e9,
            // The pods whose namespace dropped, when enrichment named them, then the destinations (by name when known).
            Affects = _drops.Select(d => EnrichmentNames.Of(d.Origin?.Pod)).OfType<string>().Distinct().Take(10)
                .Concat(_drops.Where(d => d.Tuple != null).Select(d => EnrichmentNames.Of(d.DstPeer) ?? d.Tuple.Destination()).Distinct().Take(10))
                .ToList(),
            Evidence = evidence,
            Remediation = "The reason names the kernel's decision. NETFILTER_DROP: an iptables/nftables rule (or conntrack, " +
                          "e.g. an insert race under SNAT) dropped it — find the rule with `iptables -S -v` counters in that namespace. " +
                          "TCP_* / SOCKET_*: the socket or its queue refused it. NO_SOCKET: nothing listens.",
        };
    }

    private static string Function(DropEvent d)
    {
        var s = d.LocationSymbol;
        if (s.Length == 0) return $"0x{d.Location:x}";
        var plus = s.IndexOf('+');
        return plus > 0 ? s[..plus] : s;
    }

    private static string Named(string endpoint, string? name) => name == null ? endpoint : $"{name} ({endpoint})";

    private static DateTimeOffset FromNs(ulong ns) => DateTimeOffset.UnixEpoch.AddTicks((long)(ns / 100));

    private static string DescribeHeader(SessionHeader h)
    {
        var probes = string.Join(", ", h.Probes.Select(p => $"{p.Probe}={p.Attach}{(p.Attached ? "" : " (not attached)")}"));
        var f = h.Filters;
        var filters = f == null ? "none" : string.Join("; ", new[]
        {
            f.NetnsInodes.Count > 0 ? "netns " + string.Join(",", f.NetnsInodes) : null,
            f.Pids.Count > 0 ? "pid " + string.Join(",", f.Pids) : null,
            f.Ports.Count > 0 ? "port " + string.Join(",", f.Ports) : null,
            f.Cidrs.Count > 0 ? "cidr " + string.Join(",", f.Cidrs) : null,
        }.Where(s => s != null));
        return $"traced on {h.Host} (kernel {h.Kernel}, nettrace {h.ToolVersion}); probes: {probes}; filters: {(filters.Length == 0 ? "none" : filters)}";
    }
}
