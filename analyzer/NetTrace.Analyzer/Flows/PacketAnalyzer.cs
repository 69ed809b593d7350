using System.Runtime.InteropServices;
using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Flows;

/// <summary>
/// Per-file packet analysis: decode, count, track TCP streams and ICMP echoes. The per-packet path only touches
/// structs and dictionaries keyed by structs; memory grows with live flows and is freed when flows go idle.
/// </summary>
internal sealed class PacketAnalyzer
{
    private const int SweepEvery = 1 << 16;

    private readonly string _source;
    private readonly Accumulator _acc;
    private readonly AnalyzeSettings _settings;
    private readonly Dictionary<FlowKey, FlowEntry> _flows = [];
    private readonly EchoTracker _echoes;
    private readonly List<(int Order, Handshake H)> _handshakes = [];
    private readonly List<(int Order, FlowStats F)> _flowStats = [];
    private readonly HashSet<int> _unsupportedLinkTypes = [];
    private PacketInfo _p;
    private int _order;
    private long _nowNs;
    private long _sinceSweep;
    private long _lastSweepNs;
    private readonly long _sweepIntervalNs;
    private int _listedMalformed;
    private long _firstCutFrame = -1;
    private long _cut;

    public PacketAnalyzer(string source, Accumulator acc, AnalyzeSettings settings)
    {
        _source = source;
        _acc = acc;
        _settings = settings;
        _echoes = new EchoTracker(source);
        _sweepIntervalNs = (long)Math.Max(1, Math.Min(settings.ClosedFlowTimeout.TotalNanoseconds, settings.DatagramIdleTimeout.TotalNanoseconds) / 2);
    }

    public long Frames { get; private set; }
    public long? FirstNs { get; private set; }
    public long LastNs { get; private set; }
    public int LiveFlows => _flows.Count;

    public void Process(in RawFrame f)
    {
        Frames++;
        _acc.Frames++;
        long ns = f.TimestampNs;
        FirstNs ??= ns;
        LastNs = ns;
        if (ns > _nowNs)
        {
            if (_nowNs == 0) _lastSweepNs = ns;
            _nowNs = ns;
        }

        PacketDecoder.Decode(f.LinkType, f.Data, ref _p);
        if (_p.CutBySnaplen && f.Data.Length >= f.OriginalLength)
        {
            // Nothing was cut: the frame itself is shorter than the headers it announces.
            _p.CutBySnaplen = false;
            _p.SetMalformed("frame shorter than its own headers");
        }
        Count(f);
        switch (_p.L4)
        {
            case Transport.Tcp:
                Tcp(f);
                break;
            case Transport.Udp:
                Other(f, _p.SrcPort, _p.DstPort);
                break;
            case Transport.Icmp:
            case Transport.Icmpv6:
                Icmp(f);
                break;
        }
        // Sweep every 64K packets, or sooner when capture time has moved on by half the closed-flow timeout.
        if (++_sinceSweep >= SweepEvery || (_sinceSweep >= 256 && _nowNs - _lastSweepNs > _sweepIntervalNs)) Sweep();
    }

    private void Count(in RawFrame f)
    {
        var s = _p.Seen;
        if ((s & Seen.Ipv4) != 0) _acc.Ipv4++;
        if ((s & Seen.Ipv6) != 0) _acc.Ipv6++;
        if ((s & Seen.Tcp) != 0) _acc.Tcp++;
        if ((s & Seen.Udp) != 0) _acc.Udp++;
        if ((s & Seen.Icmp) != 0) _acc.Icmp++;
        if ((s & Seen.Icmpv6) != 0) _acc.Icmpv6++;
        if ((s & Seen.TcpSynOnly) != 0) _acc.Syn++;
        if ((s & Seen.TcpSynAck) != 0) _acc.SynAck++;
        if ((s & Seen.TcpRst) != 0) _acc.Rst++;
        if ((s & Seen.Vlan) != 0) _acc.Vlan++;
        if ((s & Seen.Vxlan) != 0) _acc.Vxlan++;
        if ((s & Seen.Gre) != 0) _acc.Gre++;
        if ((s & Seen.IpInIp) != 0) _acc.IpInIp++;
        if (_p.Malformed)
        {
            _acc.Malformed++;
            if (_listedMalformed++ < _settings.MaxListedProblemsPerFile)
                _acc.Problems.Add(new InputProblem(_source, ProblemSeverity.Warning, $"frame {f.Number} is malformed: {_p.MalformedReason}", f.Number, f.FileOffset));
        }
        if (_p.CutBySnaplen)
        {
            _cut++;
            _acc.CutBySnaplen++;
            if (_firstCutFrame < 0) _firstCutFrame = f.Number;
        }
        if (_p.UnsupportedLinkType)
        {
            _acc.UnsupportedLinkType++;
            if (_unsupportedLinkTypes.Add(f.LinkType))
                _acc.Problems.Add(new InputProblem(_source, ProblemSeverity.Warning,
                    $"link type {LinkTypes.Name(f.LinkType)} ({f.LinkType}) is not supported: its frames are counted but not decoded (first: frame {f.Number})",
                    f.Number, f.FileOffset));
        }
    }

    private void Tcp(in RawFrame f)
    {
        var key = FlowKey.Of(_p, _p.SrcPort, _p.DstPort, out bool fromA);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_flows, key, out bool exists);
        byte flags = _p.TcpFlagBits;
        bool headerKnown = _p.TcpFlagsKnown;
        if (!exists)
        {
            slot = NewTcp(key, fromA, f.TimestampNs);
        }
        else if (headerKnown && (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && slot!.Tcp!.IsNewConnection(fromA, _p.Seq))
        {
            Finish(slot);
            slot = NewTcp(key, fromA, f.TimestampNs);
        }
        var e = slot!;
        e.Count(fromA, f.OriginalLength, f.TimestampNs);
        if (headerKnown && e.Tcp!.Segment(fromA, _p, f.TimestampNs, f.Number)) _acc.SynRetransmits++;
    }

    private FlowEntry NewTcp(FlowKey key, bool fromA, long ns)
    {
        _acc.TcpStreams++;
        return new FlowEntry(key, _order++, fromA, ns) { Tcp = new TcpStream() };
    }

    private void Other(in RawFrame f, ushort sp, ushort dp)
    {
        var key = FlowKey.Of(_p, sp, dp, out bool fromA);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_flows, key, out bool exists);
        if (!exists) slot = new FlowEntry(key, _order++, fromA, f.TimestampNs);
        slot!.Count(fromA, f.OriginalLength, f.TimestampNs);
    }

    private void Icmp(in RawFrame f)
    {
        bool v6 = _p.L4 == Transport.Icmpv6;
        byte t = _p.IcmpType;
        bool request = v6 ? t == 128 : t == 8;
        bool reply = v6 ? t == 129 : t == 0;
        ushort id = request || reply ? _p.IcmpId : (ushort)0;
        Other(f, id, id);
        if (request || reply) _echoes.Packet(_p, request, f.TimestampNs, f.Number);
    }

    /// <summary>Finishes idle flows so memory follows live flows, not file size.</summary>
    private void Sweep()
    {
        _sinceSweep = 0;
        _lastSweepNs = _nowNs;
        long idle = (long)_settings.FlowIdleTimeout.TotalNanoseconds;
        long closedIdle = (long)_settings.ClosedFlowTimeout.TotalNanoseconds;
        long datagramIdle = (long)_settings.DatagramIdleTimeout.TotalNanoseconds;
        foreach (var (key, e) in _flows)
        {
            long quiet = _nowNs - e.LastNs;
            long limit = e.Tcp is null ? datagramIdle : e.Tcp.Closed ? closedIdle : idle;
            if (quiet > limit)
            {
                Finish(e);
                _flows.Remove(key);
            }
        }
        _echoes.Sweep(_nowNs - Math.Max(idle, datagramIdle));
    }

    private void Finish(FlowEntry e)
    {
        var k = e.Key;
        string? outer = k.TunnelKind == TunnelKind.None ? null : Cached(_outerText, k.Tunnel, static t => t.ToString());
        string? vlan = k.VlanPath == 0 ? null : Cached(_vlanText, k.VlanPath, static v => FlowKey.FormatVlan(v)!);
        string proto = k.Proto switch
        {
            Transport.Tcp => "tcp",
            Transport.Udp => "udp",
            Transport.Icmp => "icmp",
            Transport.Icmpv6 => "icmpv6",
            _ => "ip",
        };
        bool icmp = k.Proto is Transport.Icmp or Transport.Icmpv6;
        string epA = Endpoint(k.A, icmp ? -1 : k.PortA);
        string epB = Endpoint(k.B, icmp ? -1 : k.PortB);
        var stats = e.FirstSenderIsA
            ? new FlowStats(proto, epA, epB, e.PacketsFromA, e.PacketsFromB, e.BytesFromA, e.BytesFromB, Sec(e.FirstNs), Sec(e.LastNs), outer, vlan)
            : new FlowStats(proto, epB, epA, e.PacketsFromB, e.PacketsFromA, e.BytesFromB, e.BytesFromA, Sec(e.FirstNs), Sec(e.LastNs), outer, vlan);
        _flowStats.Add((e.Order, stats));

        var t = e.Tcp;
        if (t is not { HasSyn: true }) return;
        string client = t.ClientIsA ? epA : epB;
        string server = t.ClientIsA ? epB : epA;
        var outcome = t.HasAck ? HandshakeOutcome.Established
            : t.RefusedByRst ? HandshakeOutcome.Refused
            : t.ResetInHandshake ? HandshakeOutcome.Reset
            : !t.HasSynAck ? HandshakeOutcome.Unanswered
            : HandshakeOutcome.Unknown;
        _handshakes.Add((e.Order, new Handshake
        {
            Client = client,
            Server = server,
            SynTime = Sec(t.FirstSynNs),
            SynAckRttMicros = t.HasSynAck ? (t.SynAckNs - t.FirstSynNs) / 1000.0 : null,
            AckRttMicros = t.HasAck ? (t.AckNs - t.FirstSynNs) / 1000.0 : null,
            SynRetransmits = t.SynRetransmits,
            SynRetransmitGapsMicros = t.SynGapsMicros ?? (IReadOnlyList<double>)[],
            Outcome = outcome,
            Outer = outer,
            Vlan = vlan,
            SynFrame = t.FirstSynFrame,
            SourceFile = _source,
            Isn = t.Isn,
        }));
    }

    internal static double Sec(long ns) => ns / 1_000_000_000.0;

    // Finished flows are kept as results, so their strings are most of the result's memory. Server endpoints
    // (ports below the ephemeral range), VLAN paths and tunnels repeat across connections: one string each.
    private const int MaxCachedStrings = 16384;
    private readonly Dictionary<(IpAddr, int), string> _endpointText = [];
    private readonly Dictionary<ulong, string> _vlanText = [];
    private readonly Dictionary<Tunnel, string> _outerText = [];

    private string Endpoint(IpAddr ip, int port)
    {
        if (port >= 32768) return ip.WithPort(port);
        return Cached(_endpointText, (ip, port), static e => e.Item2 < 0 ? e.Item1.ToString() : e.Item1.WithPort(e.Item2));
    }

    private static string Cached<TKey>(Dictionary<TKey, string> cache, TKey key, Func<TKey, string> make) where TKey : notnull
    {
        if (cache.TryGetValue(key, out var s)) return s;
        if (cache.Count >= MaxCachedStrings) cache.Clear();
        return cache[key] = make(key);
    }

    /// <summary>Ends the file: finishes every live flow and hands results over in stream order.</summary>
    public void Complete()
    {
        foreach (var e in _flows.Values) Finish(e);
        _flows.Clear();
        _handshakes.Sort((a, b) => a.Order.CompareTo(b.Order));
        _flowStats.Sort((a, b) => a.Order.CompareTo(b.Order));
        foreach (var (_, h) in _handshakes) _acc.Handshakes.Add(h);
        foreach (var (_, s) in _flowStats) _acc.Flows.Add(s);
        _echoes.Complete(_acc.IcmpEchoes);
        if (_cut > 0)
            _acc.Problems.Add(new InputProblem(_source, ProblemSeverity.Info,
                $"{_cut} frame(s) were cut by the capture's snaplen before the headers the analysis reads (first: frame {_firstCutFrame}); they are counted, their missing fields are not guessed",
                _firstCutFrame));
        if (_listedMalformed > _settings.MaxListedProblemsPerFile)
            _acc.Problems.Add(new InputProblem(_source, ProblemSeverity.Warning,
                $"{_listedMalformed} malformed frames in total; only the first {_settings.MaxListedProblemsPerFile} are listed"));
    }
}
