namespace NetTrace.CaptureGen;

/// <summary>A server the node's pods talk to, with its network distance (median RTT) as seen from the node.</summary>
public sealed record Server(string Name, byte[] Ip, ushort Port, double MedianRttMicros, ushort Vlan, double Weight)
{
    public bool V6 => Ip.Length == 16;
}

/// <summary>
/// The capturing node's view: pods on this node (clients), services elsewhere (servers). The capture is taken on the
/// node's interface, so client packets are seen when sent and server packets when the node receives them.
/// Addresses are private (RFC 1918, ULA) or documentation ranges.
/// </summary>
public sealed class Topology
{
    public static readonly byte[] NodeMac = [0x02, 0x42, 0x0a, 0x00, 0x01, 0x05];
    public static readonly byte[] GatewayMac = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
    public static readonly byte[] NodeIp = [10, 0, 1, 5];
    public static readonly byte[] NodeIp6 = [0xfd, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05];

    public IReadOnlyList<Server> V4Servers { get; } =
    [
        new("web", [10, 0, 2, 10], 443, 350, 0, 30),   // payload bytes are random: TLS-shaped, never parsed as cleartext
        new("api", [10, 0, 2, 11], 443, 500, 0, 30),
        new("payments", [10, 96, 0, 12], 443, 800, 0, 15),
        new("postgres", [10, 0, 3, 20], 5432, 250, 30, 15),          // storage network on VLAN 30
        new("external", [93, 184, 216, 34], 443, 24_000, 0, 10),
    ];

    public IReadOnlyList<Server> V6Servers { get; } =
    [
        new("api-v6", [0xfd, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11], 443, 500, 0, 70),
        new("external-v6", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], 443, 30_000, 0, 30),
    ];

    public Server Dns { get; } = new("kube-dns", [10, 96, 0, 10], 53, 300, 0, 0);

    /// <summary>Port nobody listens on: connects there are refused.</summary>
    public const ushort ClosedPort = 8081;

    public int ClientPods { get; }

    public Topology(int clientPods) => ClientPods = clientPods;

    public byte[] ClientIp(int pod, bool v6) => v6
        ? [0xfd, 0, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)(pod >> 8), (byte)pod]
        : [10, 244, (byte)(1 + pod / 250), (byte)(2 + pod % 250)];

    public static Server Pick(IReadOnlyList<Server> servers, Rng rng)
    {
        double total = 0;
        foreach (var s in servers) total += s.Weight;
        double x = rng.NextDouble() * total;
        foreach (var s in servers) { x -= s.Weight; if (x < 0) return s; }
        return servers[^1];
    }
}
