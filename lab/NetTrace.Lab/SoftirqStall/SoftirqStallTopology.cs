using System.Net;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Two namespaces, "client" (the load tester / the other node, 10.233.1.1) and "server" (the node with the service,
/// 10.233.1.2), one host pair joined by two veth pairs that stand for two groups of the server NIC's RX queues:
/// <list type="bullet">
/// <item>the stalled path: RPS on the server end's rx-0 sends every packet to the stall CPU — the queue whose
///   interrupts land there. All ICMP (hashed on the addresses alone) and the TCP flows whose Toeplitz queue is that
///   same queue take it (see <see cref="RssSteering"/>);</item>
/// <item>the control path: steered to the sender's CPU, never stalled — the other queues. A policy rule in the client
///   sends TCP from the control port range over it; the server holds the same address there (a /32, so its replies
///   all leave by the first pair).</item>
/// </list>
/// The client's ends are not steered: a reply is processed on the CPU that sent it, i.e. the one that handled the
/// request — as on a real node, where the reply leaves from the request's CPU. Reverse-path filtering is off in
/// both namespaces (a request arrives on one veth, its reply route names the other). Inside the server a third
/// veth pair (both ends local, no traffic) carries the large IPv6 route table the stall walks. No namespace gets a
/// route out of the machine.
/// </summary>
public sealed class SoftirqStallTopology
{
    public static readonly IPAddress ClientIp = IPAddress.Parse("10.233.1.1");
    public static readonly IPAddress ServerIp = IPAddress.Parse("10.233.1.2");
    private const string ControlTable = "100";

    public required NetworkNamespace Client { get; init; }
    public required NetworkNamespace Server { get; init; }
    public required VethPair Stalled { get; init; }
    /// <summary>Client end and server end of the control veth pair.</summary>
    public required (string Client, string Server) Control { get; init; }
    /// <summary>The server-namespace device whose MTU the lab changes (its routes are the table).</summary>
    public required string StallDevice { get; init; }
    public required int RoutesLoaded { get; init; }

    public IReadOnlyList<string> Devices => [Stalled.A.Device, Stalled.B.Device, Control.Client, Control.Server, StallDevice, StallDevice + "p"];

    public static async Task<SoftirqStallTopology> BuildAsync(NetnsLab lab, SoftirqStallOptions o, TextWriter progress,
        CancellationToken ct)
    {
        var client = await lab.AddNamespaceAsync("cli", ct);
        var server = await lab.AddNamespaceAsync("srv", ct);
        foreach (var ns in new[] { client, server })
            foreach (var conf in new[] { "all", "default" })
                await ns.SysctlAsync($"net.ipv4.conf.{conf}.rp_filter", "0");
        var stalled = await lab.ConnectAsync(client, "10.233.1.1/24", server, "10.233.1.2/24", ct);

        string cdev = LabNames.Interface("c"), sdev = LabNames.Interface("s");
        await client.IpAsync(["link", "add", cdev, "type", "veth", "peer", "name", sdev, "netns", server.Name], ct);
        await server.SysctlAsync($"net.ipv4.conf.{sdev}.rp_filter", "0");
        await client.SysctlAsync($"net.ipv4.conf.{cdev}.rp_filter", "0");
        await server.AddAddressAsync(sdev, "10.233.1.2/32");
        await client.SetUpAsync(cdev);
        await server.SetUpAsync(sdev);
        await client.IpAsync(["route", "add", "10.233.1.0/24", "dev", cdev, "src", "10.233.1.1", "table", ControlTable], ct);
        await client.IpAsync(["rule", "add", "ipproto", "tcp", "sport", $"{RssSteering.ControlPortsFrom}-{RssSteering.ControlPortsTo}",
            "lookup", ControlTable, "priority", "100"], ct);

        await RpsSteering.SteerAsync(server, stalled.B.Device, o.StallCpu, ct);
        await RpsSteering.SteerAsync(server, sdev, o.SenderCpu, ct);

        var dev = LabNames.Interface("r");
        await server.IpAsync(["link", "add", dev, "type", "veth", "peer", "name", dev + "p"], ct);
        // Deleting the device drops its routes in one walk, now, while the lab still owns the CPU time. Left to the
        // namespace's deletion, the kernel flushes them later from a worker on any CPU with bottom halves off: real
        // stalls of 10+ ms that would land in whatever runs next (seen: in the next lab's probes).
        // Not checked: after a signal the last-resort handler may already have deleted the namespace.
        lab.OnTeardown(async () =>
        {
            if (server.Exists) await CommandRunner.RunAsync("ip", ["-n", server.Name, "link", "del", dev], check: false);
        });
        await server.SetUpAsync(dev);
        await server.SetUpAsync(dev + "p");
        progress.WriteLine($"loading {o.Routes:N0} IPv6 routes into the server namespace");
        int loaded = await RouteTable.LoadAsync(server, dev, o.Routes, ct);
        if (loaded < o.Routes)
            throw new LabException($"only {loaded} of {o.Routes} IPv6 routes are in the server namespace's table");
        return new SoftirqStallTopology
        {
            Client = client, Server = server, Stalled = stalled, Control = (cdev, sdev), StallDevice = dev, RoutesLoaded = loaded,
        };
    }
}
