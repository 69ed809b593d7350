using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Detectors;

/// <summary>A handshake of the run's table with every SYN's time, as the SNAT race detectors need them. Made only for the
/// handshakes a detector looks at closely; the detectors scan the compact table for the rest.</summary>
internal sealed class SnatRaceTcp
{
    private readonly HandshakeTable _table;

    private SnatRaceTcp(HandshakeTable table, int index)
    {
        _table = table;
        Index = index;
        var h = table[index];
        Client = h.Client;
        Server = h.Server;
        var times = new double[h.GapCount + 1];
        times[0] = h.SynTime;
        for (int i = 0; i < h.GapCount; i++) times[i + 1] = times[i] + table.Gap(h, i) / 1e6;
        SynTimes = times;
    }

    /// <summary>Position in the table: the identity of the handshake.</summary>
    public int Index { get; }
    public Endpoint Client { get; }
    public Endpoint Server { get; }
    public double[] SynTimes { get; }
    public HandshakeFact H => _table[Index];
    public string File => _table.FileOf(H);
    public uint? Isn => H.HasIsn ? H.Isn : null;
    public double FirstSyn => SynTimes[0];
    public double LastSyn => SynTimes[^1];
    public string ClientText => Client.Ip.WithPort(Client.Port);
    public string ServerText => Server.Ip.WithPort(Server.Port);

    /// <summary>The first SYN got no answer, the next one went out one initial RTO (1 s / 3 s) later, and that one was
    /// answered at once: the path and the server were fine, only that first SYN was lost.</summary>
    public static bool LostFirstSynThenRecovered(HandshakeTable t, in HandshakeFact h)
    {
        if (h.SynRetransmits < 1 || h.GapCount == 0) return false;
        if (!FindingsBuilder.IsInitialRtoGap(t.Gap(h, 0))) return false;
        if (h.Outcome != HandshakeOutcome.Established || double.IsNaN(h.SynAckRtt)) return false;
        // Answered after the last SYN, quickly: rtt is measured from the first SYN.
        double last = h.SynTime;
        for (int i = 0; i < h.GapCount; i++) last += t.Gap(h, i) / 1e6;
        double afterLast = h.SynAckRtt - (last - h.SynTime) * 1e6;
        return afterLast is >= 0 and < 200_000;
    }

    /// <summary>The handshake at <paramref name="index"/>, or null when its endpoints are not ip:port.</summary>
    public static SnatRaceTcp? From(HandshakeTable table, int index) => table[index].Parsed ? new SnatRaceTcp(table, index) : null;
}
