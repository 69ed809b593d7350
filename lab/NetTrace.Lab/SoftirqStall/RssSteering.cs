using System.Net;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Stalls;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The NIC the lab imitates: RSS with the analyzer's default settings (Toeplitz, the Microsoft key, a round-robin
/// table over 8 queues). ICMP is hashed on the address pair alone, so all pings between the two hosts land on one
/// queue — that queue is the stalled one, its interrupts (here: RPS) on the stall CPU. TCP is hashed on the 4-tuple:
/// the prober picks source ports whose queue is the stalled one for the stalled path and ports on any other queue
/// for the control path, so a capture analysed with the same settings attributes every flow to the queue the lab
/// really sent it through.
/// </summary>
internal sealed class RssSteering
{
    /// <summary>Source ports of TCP probes on the stalled queue: 20000-44999; on the other queues: 45000-64999 (the
    /// client's policy rule sends that range over the control veth).</summary>
    public const int StalledPortsFrom = 20000, StalledPortsTo = 44999, ControlPortsFrom = 45000, ControlPortsTo = 64999;

    public RssSettings Rss { get; } = RssSettings.Default;
    public int StalledQueue { get; }
    public IReadOnlyList<ushort> StalledPorts { get; }
    public IReadOnlyList<ushort> ControlPorts { get; }

    public RssSteering(IPAddress client, IPAddress server, int serverPort)
    {
        var c = IpAddr.FromV4(client.GetAddressBytes());
        var s = IpAddr.FromV4(server.GetAddressBytes());
        StalledQueue = Rss.QueueOf(c, s, 0, 0, withPorts: false);
        int Queue(int port) => Rss.QueueOf(c, s, (ushort)port, (ushort)serverPort, withPorts: true);
        StalledPorts = Range(StalledPortsFrom, StalledPortsTo).Where(p => Queue(p) == StalledQueue).Select(p => (ushort)p).ToList();
        ControlPorts = Range(ControlPortsFrom, ControlPortsTo).Where(p => Queue(p) != StalledQueue).Select(p => (ushort)p).ToList();
    }

    private static IEnumerable<int> Range(int from, int to) => Enumerable.Range(from, to - from + 1);
}
