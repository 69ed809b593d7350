using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Flows;

/// <summary>A finished flow as it is kept until output: a struct without references (~250 bytes).</summary>
internal struct FinishedFlow
{
    public FlowKey Key;
    public int Order;
    public bool FirstSenderIsA;
    public long PacketsFromA, PacketsFromB, BytesFromA, BytesFromB, FirstNs, LastNs;
    /// <summary>A TCP stream that began with a SYN: the fields below describe its handshake.</summary>
    public bool HasHandshake;
    public bool ClientIsA, HasSynAck, HasAck;
    public HandshakeOutcome Outcome;
    public int SynRetransmits;
    /// <summary>Index of this handshake's first SYN gap in the file's gap array (one gap per retransmit).</summary>
    public int GapsStart;
    public uint Isn;
    public long FirstSynNs, SynAckNs, AckNs, SynFrame;
}

/// <summary>One file's finished flows, in stream order, turned into FlowStats and Handshake records on demand.</summary>
internal sealed class FinishedFlows
{
    private readonly string _source;
    /// <summary>Flows stored at their stream (creation) order, which numbers a file's flows 0..n-1.</summary>
    private readonly ChunkedStore<FinishedFlow> _store;
    /// <summary>Orders of the flows that have a handshake.</summary>
    private readonly int[] _handshakes;
    private readonly double[] _gaps;

    public FinishedFlows(string source, ChunkedStore<FinishedFlow> store, List<double> gaps)
    {
        _source = source;
        _store = store;
        var hs = new List<int>();
        for (int i = 0; i < store.Count; i++)
            if (store[i].HasHandshake) hs.Add(i);
        _handshakes = hs.ToArray();
        _gaps = gaps.ToArray();
    }

    public IReadOnlyList<FlowStats> Flows => new LazyList<FlowStats>(_store.Count, Stats);
    public IReadOnlyList<Handshake> Handshakes => new HandshakeList(this);

    /// <summary>The file's handshakes as records built on access; the findings copy them compactly instead.</summary>
    internal sealed class HandshakeList(FinishedFlows owner) : IReadOnlyList<Handshake>
    {
        public int Count => owner._handshakes.Length;
        public Handshake this[int index] => (uint)index < (uint)Count ? owner.Handshake(owner._handshakes[index]) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<Handshake> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return owner.Handshake(owner._handshakes[i]);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>Adds the handshakes to the findings' table without making records or strings.</summary>
        public void AppendTo(Findings.HandshakeTable table)
        {
            int file = table.FileId(owner._source);
            foreach (int i in owner._handshakes)
            {
                var f = owner._store[i];
                var k = f.Key;
                table.Add(f.ClientIsA ? k.A : k.B, f.ClientIsA ? k.PortA : k.PortB, f.ClientIsA ? k.B : k.A, f.ClientIsA ? k.PortB : k.PortA,
                    PacketAnalyzer.Sec(f.FirstSynNs), f.HasSynAck ? (f.SynAckNs - f.FirstSynNs) / 1000.0 : double.NaN, f.SynRetransmits,
                    owner._gaps.AsSpan(f.GapsStart, f.SynRetransmits), f.Outcome, f.Isn, file);
            }
        }
    }

    private static string Proto(Transport t) => t switch
    {
        Transport.Tcp => "tcp",
        Transport.Udp => "udp",
        Transport.Icmp => "icmp",
        Transport.Icmpv6 => "icmpv6",
        _ => "ip",
    };

    private static (string A, string B) Endpoints(in FlowKey k)
    {
        bool icmp = k.Proto is Transport.Icmp or Transport.Icmpv6;
        return icmp ? (k.A.ToString(), k.B.ToString()) : (k.A.WithPort(k.PortA), k.B.WithPort(k.PortB));
    }

    private static string? Outer(in FlowKey k) => k.TunnelKind == TunnelKind.None ? null : k.Tunnel.ToString();

    private FlowStats Stats(int i)
    {
        var f = _store[i];
        var (a, b) = Endpoints(f.Key);
        double first = PacketAnalyzer.Sec(f.FirstNs), last = PacketAnalyzer.Sec(f.LastNs);
        string? outer = Outer(f.Key), vlan = f.Key.VlanText();
        return f.FirstSenderIsA
            ? new FlowStats(Proto(f.Key.Proto), a, b, f.PacketsFromA, f.PacketsFromB, f.BytesFromA, f.BytesFromB, first, last, outer, vlan)
            : new FlowStats(Proto(f.Key.Proto), b, a, f.PacketsFromB, f.PacketsFromA, f.BytesFromB, f.BytesFromA, first, last, outer, vlan);
    }

    private Handshake Handshake(int i)
    {
        var f = _store[i];
        var (a, b) = Endpoints(f.Key);
        return new Handshake
        {
            Client = f.ClientIsA ? a : b,
            Server = f.ClientIsA ? b : a,
            SynTime = PacketAnalyzer.Sec(f.FirstSynNs),
            SynAckRttMicros = f.HasSynAck ? (f.SynAckNs - f.FirstSynNs) / 1000.0 : null,
            AckRttMicros = f.HasAck ? (f.AckNs - f.FirstSynNs) / 1000.0 : null,
            SynRetransmits = f.SynRetransmits,
            SynRetransmitGapsMicros = f.SynRetransmits == 0 ? Array.Empty<double>() : new ArraySegment<double>(_gaps, f.GapsStart, f.SynRetransmits),
            Outcome = f.Outcome,
            Outer = Outer(f.Key),
            Vlan = f.Key.VlanText(),
            SynFrame = f.SynFrame,
            SourceFile = _source,
            Isn = f.Isn,
        };
    }
}
