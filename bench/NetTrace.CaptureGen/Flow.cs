namespace NetTrace.CaptureGen;

/// <summary>One conversation's addressing and the per-direction header state that changes packet by packet.</summary>
internal sealed class Flow
{
    public required byte[] ClientIp { get; init; }
    public required byte[] ServerIp { get; init; }
    public ushort ClientPort { get; init; }
    public ushort ServerPort { get; init; }
    public ushort Vlan { get; init; }
    public byte Protocol { get; init; }        // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
    public int RxQueue { get; init; }
    public byte ServerTtl { get; init; } = 62;
    public uint ClientTsOffset { get; init; }
    public uint ServerTsOffset { get; init; }
    public ushort ClientIpId;
    public ushort ServerIpId;
    public int PacketsScheduled;
    public int PacketsWritten;
    /// <summary>Requests still to come on an established TCP connection; null once its close is scheduled.</summary>
    public TcpExchange? Exchange;

    public bool V6 => ClientIp.Length == 16;

    /// <summary>
    /// The NIC's receive-side scaling picks a queue from the 4-tuple for TCP/UDP but from the address pair alone for
    /// ICMP, which is why all pings between two hosts share one queue (and one CPU's stalls).
    /// </summary>
    public static int RssQueue(byte[] a, byte[] b, ushort pa, ushort pb, bool usePorts, int queues)
    {
        uint h = 2166136261;
        foreach (var x in a) h = (h ^ x) * 16777619;
        foreach (var x in b) h = (h ^ x) * 16777619;
        if (usePorts) { h = (h ^ pa) * 16777619; h = (h ^ pb) * 16777619; }
        return (int)(h % (uint)queues);
    }
}

internal enum PendingKind : byte { Tcp, DnsQuery, DnsResponse, EchoRequest, EchoReply, NextConnection, NextPing, NextRound }

/// <summary>Where an established connection's request/response exchange stands between rounds.</summary>
internal sealed class TcpExchange
{
    public required Server Server { get; init; }
    public bool Pooled { get; init; }
    public uint ClientNext, ServerNext;   // next sequence numbers
    public int RoundsLeft, Rounds;
}

/// <summary>A packet (or a scheduling tick) waiting in the time-ordered queue.</summary>
internal struct Pending
{
    public Flow? Flow;
    public PendingKind Kind;
    public bool FromClient;
    public byte TcpFlags;
    public uint Seq;
    public uint Ack;
    public int PayloadLength;
    public int Aux;      // DNS: name index | AAAA flag; echo: sequence number; NextPing: pinger index
    public ushort Aux2;  // DNS transaction id; echo identifier
    public long EchoRequestNanos; // a reply carries its request's send time, as ping's payload does
}

internal readonly record struct PendingKey(long TimeNanos, long Order);

internal sealed class PendingKeyComparer : IComparer<PendingKey>
{
    public static readonly PendingKeyComparer Instance = new();
    public int Compare(PendingKey x, PendingKey y)
    {
        int c = x.TimeNanos.CompareTo(y.TimeNanos);
        return c != 0 ? c : x.Order.CompareTo(y.Order);
    }
}

internal static class TcpFlags
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;
}
