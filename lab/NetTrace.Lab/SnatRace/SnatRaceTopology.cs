using System.Net;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// A node in network namespaces: pod namespaces on a bridge in a node namespace that routes them out of one
/// "uplink" veth with MASQUERADE, to an "external" server namespace on the other end of that veth.
/// Nothing here touches the host's namespace, routes or firewall: every link, address, sysctl and NAT rule lives
/// in namespaces this object created, and deleting the namespaces removes all of it.
/// <code>
///  pod0 eth0 10.244.0.10 ─┐
///  pod1 eth0 10.244.0.11 ─┼─ br0 10.244.0.1 [node: ip_forward, MASQUERADE -o ext0] ext0 203.0.113.1 ── eth0 203.0.113.10 srv
///  ...                   ─┘
/// </code>
/// </summary>
public sealed class SnatRaceTopology : IDisposable
{
    public const string PodCidr = "10.244.0.0/24";
    public const string BridgeDev = "br0";
    public const string UplinkDev = "ext0";
    public static readonly IPAddress NodeUplinkIp = IPAddress.Parse("203.0.113.1");   // TEST-NET-3: never routed
    public static readonly IPAddress ServerIp = IPAddress.Parse("203.0.113.10");
    public static IPAddress PodIp(int i) => IPAddress.Parse($"10.244.0.{10 + i}");

    public SnatRaceNames Names { get; }
    public int Pods { get; }
    public bool RandomFully { get; }
    public string NatRule { get; }
    private readonly List<string> _created = [];

    private SnatRaceTopology(SnatRaceNames names, int pods, bool randomFully)
    {
        Names = names; Pods = pods; RandomFully = randomFully;
        NatRule = $"-A POSTROUTING -s {PodCidr} -o {UplinkDev} -j MASQUERADE" + (randomFully ? " --random-fully" : "");
    }

    public string NetnsPath(string name) => Path.Combine("/run/netns", name);

    /// <summary>Builds the topology; on any failure removes what it had already made and rethrows.</summary>
    public static SnatRaceTopology Create(SnatRaceNames names, int pods, bool randomFully)
    {
        var t = new SnatRaceTopology(names, pods, randomFully);
        try { t.Build(); return t; }
        catch { t.Dispose(); throw; }
    }

    private void AddNetns(string name)
    {
        Cmd.Check("ip", "netns", "add", name);
        _created.Add(name);
    }

    private void Build()
    {
        string node = Names.Node, srv = Names.Server;
        AddNetns(node);
        AddNetns(srv);
        Cmd.Check("ip", "-n", node, "link", "set", "lo", "up");
        Cmd.Check("ip", "-n", srv, "link", "set", "lo", "up");
        Cmd.Check("ip", "-n", node, "link", "add", BridgeDev, "type", "bridge");
        Cmd.Check("ip", "-n", node, "addr", "add", "10.244.0.1/24", "dev", BridgeDev);
        Cmd.Check("ip", "-n", node, "link", "set", BridgeDev, "up");
        for (int i = 0; i < Pods; i++)
        {
            string pod = Names.Pod(i), port = $"veth{i}";
            AddNetns(pod);
            Cmd.Check("ip", "-n", node, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod);
            Cmd.Check("ip", "-n", node, "link", "set", port, "master", BridgeDev, "up");
            Cmd.Check("ip", "-n", pod, "addr", "add", $"{PodIp(i)}/24", "dev", "eth0");
            Cmd.Check("ip", "-n", pod, "link", "set", "lo", "up");
            Cmd.Check("ip", "-n", pod, "link", "set", "eth0", "up");
            Cmd.Check("ip", "-n", pod, "route", "add", "default", "via", "10.244.0.1");
        }
        Cmd.Check("ip", "-n", node, "link", "add", UplinkDev, "type", "veth", "peer", "name", "eth0", "netns", srv);
        Cmd.Check("ip", "-n", node, "addr", "add", $"{NodeUplinkIp}/24", "dev", UplinkDev);
        Cmd.Check("ip", "-n", node, "link", "set", UplinkDev, "up");
        Cmd.Check("ip", "-n", srv, "addr", "add", $"{ServerIp}/24", "dev", "eth0");
        Cmd.Check("ip", "-n", srv, "link", "set", "eth0", "up");
        // Both settings are per namespace: the host's forwarding and firewall stay as they were.
        Cmd.Check("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Cmd.Check("ip", ["netns", "exec", node, "iptables-nft", "-t", "nat", .. NatRule.Split(' ')]);
    }

    /// <summary>Deletes this run's namespaces (with them every veth, bridge, address and NAT rule inside).
    /// Processes still inside (a capture) are killed first so the namespaces really go away.</summary>
    public void Dispose()
    {
        var errors = new List<string>();
        foreach (var ns in Enumerable.Reverse(_created))
            if (!SnatRaceCleanup.RemoveNetns(ns, out var err)) errors.Add(err);
        _created.Clear();
        if (errors.Count > 0) throw new LabException("lab cleanup incomplete: " + string.Join("; ", errors));
    }
}
