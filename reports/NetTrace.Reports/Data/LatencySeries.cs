using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>
/// One latency measure over time as two parallel arrays (Unix seconds, microseconds). Arrays rather than
/// records of points because a report over a million handshakes builds three of these.
/// </summary>
public sealed class LatencySeries
{
    public string Name { get; }
    public double[] Times { get; }
    public double[] Micros { get; }
    public int Count => Times.Length;

    public LatencySeries(string name, double[] times, double[] micros)
    {
        if (times.Length != micros.Length) throw new ArgumentException("times and values differ in length");
        Name = name; Times = times; Micros = micros;
    }

    public const string HandshakeName = "Handshake RTT (SYN → ACK)";
    public const string SynAckName = "SYN → SYN-ACK";
    public const string IcmpName = "ICMP echo RTT";

    /// <summary>First SYN to the client's ACK: the connect time the application felt, retransmissions included.</summary>
    public static LatencySeries HandshakeRtt(IReadOnlyList<Handshake> hs) =>
        From(HandshakeName, hs, h => h.SynTime, h => h.AckRttMicros);

    /// <summary>First SYN to SYN-ACK: network plus the server's accept path.</summary>
    public static LatencySeries SynToSynAck(IReadOnlyList<Handshake> hs) =>
        From(SynAckName, hs, h => h.SynTime, h => h.SynAckRttMicros);

    public static LatencySeries IcmpRtt(IReadOnlyList<IcmpEcho> echoes) =>
        From(IcmpName, echoes, e => e.RequestTime, e => e.RttMicros);

    private static LatencySeries From<T>(string name, IReadOnlyList<T> items, Func<T, double> time, Func<T, double?> value)
    {
        int n = 0;
        for (int i = 0; i < items.Count; i++) if (IsUsable(value(items[i]))) n++;
        var t = new double[n];
        var v = new double[n];
        int k = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var x = value(items[i]);
            if (!IsUsable(x)) continue;
            t[k] = time(items[i]);
            v[k] = x!.Value;
            k++;
        }
        return new LatencySeries(name, t, v);
    }

    // Negative or non-finite values are decoding errors upstream; they must not bend a log axis.
    private static bool IsUsable(double? v) => v is { } x && double.IsFinite(x) && x >= 0;
}
