using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Flows;

/// <summary>Live state of one flow (for TCP: one stream). Allocated once per flow, never per packet.</summary>
internal sealed class FlowEntry(FlowKey key, int order, bool firstSenderIsA, long firstNs)
{
    public readonly FlowKey Key = key;
    /// <summary>Creation order within the file: TCP streams are reported in this (tshark's tcp.stream) order.</summary>
    public readonly int Order = order;
    /// <summary>FlowStats' A side is the endpoint that sent the first packet.</summary>
    public readonly bool FirstSenderIsA = firstSenderIsA;
    public long PacketsFromA, PacketsFromB, BytesFromA, BytesFromB;
    public readonly long FirstNs = firstNs;
    public long LastNs = firstNs;
    public TcpStream? Tcp;

    public void Count(bool fromA, int bytes, long ns)
    {
        if (fromA) { PacketsFromA++; BytesFromA += bytes; }
        else { PacketsFromB++; BytesFromB += bytes; }
        LastNs = ns;
    }
}

/// <summary>
/// TCP stream state, following the oracle's handshake rules: client = sender of the first SYN; SYN-ACK = first
/// SYN+ACK from the server acking ISN+1; ACK = first later client segment with ACK, no SYN/RST, acking server ISN+1.
/// </summary>
internal sealed class TcpStream
{
    public bool BaseSetA, BaseSetB;
    public uint BaseA, BaseB;

    public bool HasSyn;
    public bool ClientIsA;
    public uint Isn;
    public long FirstSynNs, LastSynNs;
    public long FirstSynFrame;
    public int Syns, SynRetransmits;
    public List<double>? SynGapsMicros;

    public bool HasSynAck;
    public long SynAckNs;
    public uint ServerIsn;

    public bool HasAck;
    public long AckNs;

    public bool RefusedByRst;      // RST from the server before any SYN-ACK
    public bool ResetInHandshake;  // RST after the SYN-ACK, before the handshake completed
    public int Rsts;
    public bool FinA, FinB;

    public bool Closed => Rsts > 0 || (FinA && FinB);

    /// <summary>A pure SYN whose sequence number differs from the direction's first one starts a new stream (port reuse).</summary>
    public bool IsNewConnection(bool fromA, uint seq) => fromA ? BaseSetA && BaseA != seq : BaseSetB && BaseB != seq;

    /// <summary>Feeds one segment; returns true when it is a retransmitted SYN.</summary>
    public bool Segment(bool fromA, in PacketInfo p, long ns, long frame)
    {
        byte f = p.TcpFlagBits;
        uint seq = p.Seq;
        if (fromA) { if (!BaseSetA) { BaseSetA = true; BaseA = seq; } }
        else if (!BaseSetB) { BaseSetB = true; BaseB = seq; }

        bool syn = (f & TcpFlags.Syn) != 0, ack = (f & TcpFlags.Ack) != 0, rst = (f & TcpFlags.Rst) != 0;
        bool fromClient = HasSyn && fromA == ClientIsA;
        bool retransmittedSyn = false;

        if (syn && !ack)
        {
            if (!HasSyn)
            {
                HasSyn = true;
                ClientIsA = fromA;
                Isn = seq;
                FirstSynNs = LastSynNs = ns;
                FirstSynFrame = frame;
                Syns = 1;
            }
            else if (fromClient)
            {
                Syns++;
                if (seq == Isn)
                {
                    SynRetransmits++;
                    retransmittedSyn = true;
                    (SynGapsMicros ??= []).Add((ns - LastSynNs) / 1000.0);
                }
                LastSynNs = ns;
            }
        }
        else if (syn && ack)
        {
            if (HasSyn && !fromClient && !HasSynAck && p.Ack == unchecked(Isn + 1))
            {
                HasSynAck = true;
                SynAckNs = ns;
                ServerIsn = seq;
            }
        }
        else if (ack && !rst && HasSynAck && !HasAck && fromClient && p.Ack == unchecked(ServerIsn + 1))
        {
            HasAck = true;
            AckNs = ns;
        }

        if (rst)
        {
            Rsts++;
            if (HasSyn && !fromClient && !HasSynAck) RefusedByRst = true;
            else if (HasSynAck && !HasAck) ResetInHandshake = true;
        }
        if ((f & TcpFlags.Fin) != 0)
        {
            if (fromA) FinA = true;
            else FinB = true;
        }
        return retransmittedSyn;
    }
}
