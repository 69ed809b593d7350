using System.Globalization;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Stalls;

namespace NetTrace.Analyzer.Tests.Stalls;

/// <summary>
/// Handshake and echo records between two hosts with a latency model: connects from many source ports and pings,
/// each probe's latency computed from its send time and its queues (request at the responder, reply at the requester).
/// </summary>
internal sealed class ProbeScript
{
    public const double T0 = 1_772_000_000;
    public const string A = "10.30.0.1", B = "10.30.0.2";
    public static readonly RssSettings Rss = RssSettings.WithQueues(8);
    private static readonly IpAddr IpA = IpAddr.FromV4([10, 30, 0, 1]), IpB = IpAddr.FromV4([10, 30, 0, 2]);

    public List<Handshake> Handshakes { get; } = [];
    public List<IcmpEcho> Echoes { get; } = [];

    public static int IcmpQueueAtB => Rss.QueueOf(IpA, IpB, 0, 0, false);
    public static int QueueAtB(ushort port) => Rss.QueueOf(IpA, IpB, port, 80, true);
    public static int QueueAtA(ushort port) => Rss.QueueOf(IpB, IpA, 80, port, true);

    /// <summary>Probe kind, send time (s after T0), queue of the request at B, queue of the reply at A → latency in ms.</summary>
    public delegate double Latency(bool icmp, double t, int queueAtB, int queueAtA);

    /// <summary>A connect every <paramref name="connectMs"/> and a ping every <paramref name="pingMs"/> for <paramref name="seconds"/>.</summary>
    public static ProbeScript Run(double seconds, Latency latency, double connectMs = 2.5, double pingMs = 10)
    {
        var s = new ProbeScript();
        ushort port = 40000;
        for (double t = 0; t < seconds; t += connectMs / 1000)
        {
            port += 3;
            double ms = latency(false, t, QueueAtB(port), QueueAtA(port));
            s.Handshakes.Add(new Handshake
            {
                Client = $"{A}:{port}", Server = $"{B}:80", SynTime = T0 + t, SynAckRttMicros = ms * 1000,
                Outcome = HandshakeOutcome.Established,
            });
        }
        int seq = 0;
        for (double t = 0.0013; t < seconds; t += pingMs / 1000)
        {
            double ms = latency(true, t, IcmpQueueAtB, Rss.QueueOf(IpB, IpA, 0, 0, false));
            s.Echoes.Add(new IcmpEcho { Src = A, Dst = B, Id = 77, Seq = ++seq, RequestTime = T0 + t, RttMicros = ms * 1000 });
        }
        return s;
    }

    /// <summary>Latency of a probe held by a stall [start, end) (s after T0) when it arrives (after <paramref name="oneWayMs"/>).</summary>
    public static double Held(double t, double start, double end, double baseMs, double oneWayMs = 0.1)
    {
        double arrival = t + oneWayMs / 1000;
        return arrival >= start && arrival < end ? (end - t) * 1000 + baseMs - oneWayMs : baseMs;
    }

    /// <summary>A small deterministic jitter in [0, 1) from the time.</summary>
    public static double Jitter(double t) => (Math.Sin(t * 7919.0) + 1) / 2;

    public StallDetector.Result? Detect(StallOptions? options = null) =>
        StallDetector.Detect(Handshakes, Echoes, options ?? new StallOptions { Rss = Rss });

    public static string Port(string endpoint) => endpoint[(endpoint.LastIndexOf(':') + 1)..];
    public static ushort PortOf(string endpoint) => ushort.Parse(Port(endpoint), CultureInfo.InvariantCulture);
}
