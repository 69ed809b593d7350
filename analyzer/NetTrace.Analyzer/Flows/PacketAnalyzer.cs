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
    private ChunkedStore<FinishedFlow> _finished;
    private readonly List<double> _gaps = [];
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
        _finished = new ChunkedStore<FinishedFlow>(settings.ResidentResultChunks);
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

    /// <summary>Moves a flow into the compact results; its live state becomes garbage.</summary>
    private void Finish(FlowEntry e)
    {
        var f = new FinishedFlow
        {
            Key = e.Key,
            Order = e.Order,
            FirstSenderIsA = e.FirstSenderIsA,
            PacketsFromA = e.PacketsFromA,
            PacketsFromB = e.PacketsFromB,
            BytesFromA = e.BytesFromA,
            BytesFromB = e.BytesFromB,
            FirstNs = e.FirstNs,
            LastNs = e.LastNs,
        };
        if (e.Tcp is { HasSyn: true } t)
        {
            f.HasHandshake = true;
            f.ClientIsA = t.ClientIsA;
            f.HasSynAck = t.HasSynAck;
            f.HasAck = t.HasAck;
            f.Outcome = t.HasAck ? HandshakeOutcome.Established
                : t.RefusedByRst ? HandshakeOutcome.Refused
                : t.ResetInHandshake ? HandshakeOutcome.Reset
                : !t.HasSynAck ? HandshakeOutcome.Unanswered
                : HandshakeOutcome.Unknown;
            f.SynRetransmits = t.SynRetransmits;
            f.GapsStart = _gaps.Count;
            if (t.SynGapsMicros is { } gaps) _gaps.AddRange(gaps);
            f.Isn = t.Isn;
            f.FirstSynNs = t.FirstSynNs;
            f.SynAckNs = t.SynAckNs;
            f.AckNs = t.AckNs;
            f.SynFrame = t.FirstSynFrame;
        }
        _finished.Set(f.Order, f);
    }

    internal static double Sec(long ns) => ns / 1_000_000_000.0;

    /// <summary>Ends the file: finishes every live flow and hands results over in stream order.</summary>
    public void Complete()
    {
        foreach (var e in _flows.Values) Finish(e);
        _flows.Clear();
        var results = new FinishedFlows(_source, _finished, _gaps);
        _finished = new ChunkedStore<FinishedFlow>(_settings.ResidentResultChunks);
        _gaps.Clear();
        _acc.Handshakes.AddSegment(results.Handshakes);
        _acc.Flows.AddSegment(results.Flows);
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
