using System.Buffers;
using System.Text;
using System.Text.Json;
using NetTrace.Events;

namespace NetTrace.Tracer.Trace;

/// <summary>
/// `--json`: one JSON object per line, one line per event, plus "stats" lines with lost counts. Addresses are
/// text ("10.1.0.2:40000"), times are Unix nanoseconds plus an ISO 8601 string, names are snake_case — made
/// for jq, not for round-tripping (the .ntrace recording is the lossless form).
/// </summary>
public sealed class JsonLinesWriter : IDisposable
{
    private readonly TextWriter _out;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _w;
    private char[] _chars = new char[1024];

    /// <summary>Writes to a TextWriter; give it a buffered one (the runner flushes every second).</summary>
    public JsonLinesWriter(TextWriter output)
    {
        _out = output;
        _w = new Utf8JsonWriter(_buffer);
    }

    public void Write(TraceEvent e)
    {
        _buffer.ResetWrittenCount();
        _w.Reset(_buffer);
        _w.WriteStartObject();
        switch (e.KindCase)
        {
            case TraceEvent.KindOneofCase.Header: WriteHeader(e.Header); break;
            case TraceEvent.KindOneofCase.Connect: WriteConnect(e.Connect); break;
            case TraceEvent.KindOneofCase.FlowSend: WriteFlowSend(e.FlowSend); break;
            case TraceEvent.KindOneofCase.IcmpEcho: WriteIcmp(e.IcmpEcho); break;
            case TraceEvent.KindOneofCase.Drop: WriteDrop(e.Drop); break;
            case TraceEvent.KindOneofCase.SoftirqStall: WriteStall(e.SoftirqStall); break;
            case TraceEvent.KindOneofCase.SoftirqHistogram: WriteHistogram(e.SoftirqHistogram); break;
            case TraceEvent.KindOneofCase.Nat: WriteNat(e.Nat); break;
            case TraceEvent.KindOneofCase.Lost: WriteLost(e.Lost); break;
            case TraceEvent.KindOneofCase.End: WriteEnd(e.End); break;
            case TraceEvent.KindOneofCase.RxLatency: WriteRxLatency(e.RxLatency); break;
            case TraceEvent.KindOneofCase.RxLatencyHistogram: WriteRxHistogram(e.RxLatencyHistogram); break;
            case TraceEvent.KindOneofCase.CpuGap: WriteCpuGap(e.CpuGap); break;
            case TraceEvent.KindOneofCase.CpuGapWatch: WriteCpuGapWatch(e.CpuGapWatch); break;
            default: _w.WriteString("type", "unknown"); break;
        }
        _w.WriteEndObject();
        _w.Flush();
        var bytes = _buffer.WrittenSpan;
        if (_chars.Length < bytes.Length) _chars = new char[bytes.Length * 2];
        var n = Encoding.UTF8.GetChars(bytes, _chars);
        _out.Write(_chars, 0, n);
        _out.Write('\n');
    }

    public void Flush() => _out.Flush();

    private void Time(string name, ulong unixNs)
    {
        _w.WriteNumber(name + "_ns", unixNs);
        _w.WriteString(name, DateTimeOffset.UnixEpoch.AddTicks((long)(unixNs / 100)).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"));
    }

    private void Origin(Origin? o)
    {
        if (o == null) return;
        Time("time", o.TimeUnixNs);
        _w.WriteNumber("cpu", o.Cpu);
        _w.WriteNumber("netns", o.NetnsIno);
        if (o.CgroupId != 0) _w.WriteNumber("cgroup", o.CgroupId);
        _w.WriteNumber("pid", o.Pid);
        _w.WriteString("comm", o.Comm);
        if (o.Pod != null)
        {
            _w.WriteStartObject("pod");
            _w.WriteString("name", o.Pod.Name);
            _w.WriteString("namespace", o.Pod.Namespace);
            _w.WriteString("uid", o.Pod.Uid);
            if (o.Pod.Container.Length > 0) _w.WriteString("container", o.Pod.Container);
            _w.WriteEndObject();
        }
    }

    /// <summary>The apiserver's owner of an address: {"kind":"service","name":...,"namespace":...,"detail":"ClusterIP"}.</summary>
    private void Peer(string name, PeerRef? p)
    {
        if (p == null) return;
        _w.WriteStartObject(name);
        _w.WriteString("kind", PeerKindName(p.Kind));
        _w.WriteString("name", p.Name);
        if (p.Namespace.Length > 0) _w.WriteString("namespace", p.Namespace);
        if (p.Uid.Length > 0) _w.WriteString("uid", p.Uid);
        if (p.Detail.Length > 0) _w.WriteString("detail", p.Detail);
        _w.WriteEndObject();
    }

    public static string PeerKindName(PeerKind k) => k switch
    {
        PeerKind.Pod => "pod",
        PeerKind.Service => "service",
        PeerKind.Node => "node",
        _ => "unknown",
    };

    private void Tuple(FlowTuple? t, string prefix = "")
    {
        if (t == null) return;
        _w.WriteString(prefix + "src", t.Source());
        _w.WriteString(prefix + "dst", t.Destination());
        if (prefix.Length == 0) _w.WriteString("proto", t.Protocol.ToString().ToLowerInvariant());
    }

    private void WriteHeader(SessionHeader h)
    {
        _w.WriteString("type", "session");
        _w.WriteString("host", h.Host);
        _w.WriteString("kernel", h.Kernel);
        _w.WriteString("tool_version", h.ToolVersion);
        Time("start", h.StartTimeUnixNs);
        _w.WriteStartArray("probes");
        foreach (var p in h.Probes)
        {
            _w.WriteStartObject();
            _w.WriteString("probe", p.Probe);
            _w.WriteString("attach", p.Attach);
            _w.WriteBoolean("attached", p.Attached);
            if (p.Reason.Length > 0) _w.WriteString("reason", p.Reason);
            _w.WriteEndObject();
        }
        _w.WriteEndArray();
        if (h.Filters != null)
        {
            _w.WriteStartObject("filters");
            Array("netns", h.Filters.NetnsInodes);
            Array("pids", h.Filters.Pids.Select(p => (ulong)p));
            Array("ports", h.Filters.Ports.Select(p => (ulong)p));
            _w.WriteStartArray("cidrs");
            foreach (var c in h.Filters.Cidrs) _w.WriteStringValue(c);
            _w.WriteEndArray();
            _w.WriteEndObject();
        }
    }

    private void Array(string name, IEnumerable<ulong> values)
    {
        _w.WriteStartArray(name);
        foreach (var v in values) _w.WriteNumberValue(v);
        _w.WriteEndArray();
    }

    private void WriteConnect(ConnectEvent c)
    {
        _w.WriteString("type", "connect");
        Origin(c.Origin);
        Tuple(c.Tuple);
        _w.WriteString("outcome", TraceStats.OutcomeName(c.Outcome));
        Time("syn_time", c.SynTimeUnixNs);
        _w.WriteNumber("latency_us", c.LatencyNs / 1000.0);
        _w.WriteNumber("syn_retransmits", c.SynRetransmits);
        if (c.SynRetransmitOffsetsNs.Count > 0) Array("syn_retransmit_offsets_ns", c.SynRetransmitOffsetsNs);
        if (c.Error != 0) _w.WriteNumber("error", c.Error);
        Peer("remote", c.Remote);
    }

    private void WriteFlowSend(FlowSendStats f)
    {
        _w.WriteString("type", "tcp_send");
        Origin(f.Origin);
        Tuple(f.Tuple);
        _w.WriteNumber("bytes", f.Bytes);
        _w.WriteNumber("calls", f.Calls);
        Time("interval_start", f.IntervalStartUnixNs);
        Time("interval_end", f.IntervalEndUnixNs);
        Peer("remote", f.Remote);
    }

    private void WriteIcmp(IcmpEchoEvent i)
    {
        _w.WriteString("type", "icmp_echo");
        Origin(i.Origin);
        _w.WriteString("src", EventAddresses.Format(i.Src));
        _w.WriteString("dst", EventAddresses.Format(i.Dst));
        _w.WriteNumber("id", i.Id);
        _w.WriteNumber("seq", i.Seq);
        _w.WriteBoolean("reply", i.Reply);
        _w.WriteString("context", ContextName(i.Context));
        if (i.ContextTask.Length > 0) _w.WriteString("context_task", i.ContextTask);
        if (i.LatenessNs > 0) _w.WriteNumber("lateness_us", i.LatenessNs / 1000.0);
    }

    private void WriteDrop(DropEvent d)
    {
        _w.WriteString("type", "drop");
        Origin(d.Origin);
        Tuple(d.Tuple);
        _w.WriteString("reason", d.Reason);
        _w.WriteNumber("reason_code", d.ReasonCode);
        _w.WriteString("location", d.LocationSymbol.Length > 0 ? d.LocationSymbol : $"0x{d.Location:x}");
        Peer("src_peer", d.SrcPeer);
        Peer("dst_peer", d.DstPeer);
    }

    private void WriteStall(SoftirqStallEvent s)
    {
        _w.WriteString("type", "softirq_stall");
        Origin(s.Origin);
        _w.WriteString("vector", VectorName(s.Vector));
        _w.WriteNumber("raise_to_entry_us", s.RaiseToEntryNs / 1000.0);
        _w.WriteNumber("run_us", s.RunNs / 1000.0);
        _w.WriteString("context", ContextName(s.Context));
        _w.WriteString("metric", s.Metric == SoftirqMetric.RunTime ? "run_time" : "raise_to_entry");
        if (s.RaiseComm.Length > 0)
        {
            // The task on the CPU when the softirq was raised and not served: the one that held it off.
            _w.WriteNumber("raise_pid", s.RaisePid);
            _w.WriteString("raise_comm", s.RaiseComm);
        }
    }

    private void WriteRxLatency(RxLatencyEvent r)
    {
        _w.WriteString("type", "rx_latency");
        Origin(r.Origin);
        if (r.Tuple != null)
        {
            bool icmp = r.Tuple.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6;
            if (icmp)
            {
                _w.WriteString("src", EventAddresses.Format(r.Tuple.Saddr));
                _w.WriteString("dst", EventAddresses.Format(r.Tuple.Daddr));
                _w.WriteString("proto", r.Tuple.Protocol.ToString().ToLowerInvariant());
                _w.WriteNumber("icmp_type", r.IcmpType);
                _w.WriteNumber("id", r.Tuple.Sport);
                _w.WriteNumber("seq", r.Tuple.Dport);
            }
            else Tuple(r.Tuple);
            if (r.Tuple.Protocol == IpProtocol.Tcp) _w.WriteNumber("tcp_flags", r.TcpFlags);
        }
        _w.WriteNumber("latency_us", r.LatencyNs / 1000.0);
        _w.WriteNumber("queued_cpu", r.QueuedCpu);
        _w.WriteString("queued_at", r.QueuedAt switch { RxQueuedAt.NetifRx => "netif_rx", RxQueuedAt.VethXmit => "veth_xmit", _ => "unknown" });
        _w.WriteString("context", ContextName(r.Context));
        if (r.ContextTask.Length > 0) _w.WriteString("context_task", r.ContextTask);
        _w.WriteNumber("ifindex", r.Ifindex);
    }

    private void WriteRxHistogram(RxLatencyHistogram h)
    {
        _w.WriteString("type", "rx_latency_histogram");
        _w.WriteNumber("cpu", h.Cpu);
        Time("start", h.IntervalStartUnixNs);
        Time("end", h.IntervalEndUnixNs);
        _w.WriteNumber("packets", h.Count);
        _w.WriteNumber("over_threshold", h.OverThreshold);
        _w.WriteNumber("max_us", h.MaxNs / 1000.0);
        Array("log2_ns_buckets", h.Buckets);
    }

    private void WriteCpuGap(CpuGapEvent g)
    {
        _w.WriteString("type", "cpu_gap");
        Origin(g.Origin);
        _w.WriteNumber("gap_us", g.GapNs / 1000.0);
        _w.WriteNumber("period_us", g.PeriodNs / 1000.0);
    }

    private void WriteCpuGapWatch(CpuGapWatch w)
    {
        _w.WriteString("type", "cpu_gap_watch");
        _w.WriteStartArray("cpus");
        foreach (var c in w.Cpus) _w.WriteNumberValue(c);
        _w.WriteEndArray();
        _w.WriteNumber("period_us", w.PeriodNs / 1000.0);
        _w.WriteNumber("threshold_us", w.ThresholdNs / 1000.0);
    }

    private void WriteHistogram(SoftirqHistogram h)
    {
        _w.WriteString("type", "softirq_histogram");
        _w.WriteNumber("cpu", h.Cpu);
        _w.WriteString("vector", VectorName(h.Vector));
        _w.WriteString("metric", h.Metric == SoftirqMetric.RunTime ? "run_time" : "raise_to_entry");
        _w.WriteNumber("max_us", h.MaxNs / 1000.0);
        Array("log2_ns_buckets", h.Buckets);
    }

    private void WriteNat(ConntrackNatEvent n)
    {
        _w.WriteString("type", "nat");
        Origin(n.Origin);
        _w.WriteString("kind", n.Kind.ToString().ToLowerInvariant());
        _w.WriteString("hook", n.Hook.ToString().ToLowerInvariant());
        Tuple(n.Original, "original_");
        Tuple(n.Reply, "reply_");
        _w.WriteBoolean("confirmed", n.Confirmed);
        Peer("original_dst_peer", n.OriginalDstPeer);
    }

    private void WriteLost(LostEventCounts l)
    {
        _w.WriteString("type", "stats");
        Time("time", l.TimeUnixNs);
        _w.WriteBoolean("final", l.Final);
        Map("lost", l.LostByProbe);
        Map("delivered", l.DeliveredByProbe);
    }

    private void Map(string name, IDictionary<string, ulong> map)
    {
        _w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal)) _w.WriteNumber(k, v);
        _w.WriteEndObject();
    }

    private void WriteEnd(SessionEnd e)
    {
        _w.WriteString("type", "end");
        Time("time", e.EndTimeUnixNs);
        _w.WriteNumber("events_written", e.EventsWritten);
        _w.WriteString("reason", e.Reason);
    }

    public static string ContextName(ExecContext c) => c switch
    {
        ExecContext.SoftirqOnIrqExit => "softirq-irq-exit",
        ExecContext.SoftirqInTask => "softirq-in-task",
        ExecContext.Ksoftirqd => "ksoftirqd",
        ExecContext.Process => "process",
        ExecContext.NapiThread => "napi-thread",
        _ => "unknown",
    };

    public static string VectorName(SoftirqVector v) => v.ToString().ToUpperInvariant() switch
    {
        "NETRX" => "NET_RX",
        "NETTX" => "NET_TX",
        "IRQPOLL" => "IRQ_POLL",
        var s => s,
    };

    public void Dispose()
    {
        _w.Dispose();
        _out.Flush();
    }
}
