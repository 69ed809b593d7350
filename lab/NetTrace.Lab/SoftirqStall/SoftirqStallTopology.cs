using System.Net;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Two namespaces, "client" (the load tester / the other node) and "server" (the node with the service), joined by
/// two veth pairs:
/// <list type="bullet">
/// <item>the stalled path: the server end's rx-0 queue steers every received packet to the stall CPU with RPS —
///   the stand-in for a NIC whose RSS queue interrupts land on that CPU;</item>
/// <item>the control path: steered to the sender's CPU, which is never stalled — the flows of another queue.</item>
/// </list>
/// Inside the server namespace a third veth pair (both ends local, no traffic) carries a large IPv6 route table:
/// the device whose MTU changes, and the routes the kernel walks with bottom halves disabled. No namespace gets
/// a route out of the machine; all addresses are private to the two namespaces.
/// </summary>
public sealed class SoftirqStallTopology
{
    public static readonly IPAddress ClientIp = IPAddress.Parse("10.233.1.1");
    public static readonly IPAddress ServerIp = IPAddress.Parse("10.233.1.2");
    public static readonly IPAddress ControlClientIp = IPAddress.Parse("10.233.2.1");
    public static readonly IPAddress ControlServerIp = IPAddress.Parse("10.233.2.2");

    public required NetworkNamespace Client { get; init; }
    public required NetworkNamespace Server { get; init; }
    public required VethPair Stalled { get; init; }
    public required VethPair Control { get; init; }
    /// <summary>The server-namespace device whose MTU the lab changes (its routes are the table).</summary>
    public required string StallDevice { get; init; }
    public required int RoutesLoaded { get; init; }

    public static async Task<SoftirqStallTopology> BuildAsync(NetnsLab lab, SoftirqStallOptions o, TextWriter progress,
        CancellationToken ct)
    {
        var client = await lab.AddNamespaceAsync("cli", ct);
        var server = await lab.AddNamespaceAsync("srv", ct);
        var stalled = await lab.ConnectAsync(client, "10.233.1.1/24", server, "10.233.1.2/24", ct);
        var control = await lab.ConnectAsync(client, "10.233.2.1/24", server, "10.233.2.2/24", ct);
        // Both directions of each path: requests are steered on the server end, replies on the client end, so a
        // probe's whole round trip is handled by one CPU (as on a real node, where the reply leaves from the CPU
        // that handled the request and the other node's NIC hashes it the same way every time).
        await RpsSteering.SteerAsync(server, stalled.B.Device, o.StallCpu, ct);
        await RpsSteering.SteerAsync(client, stalled.A.Device, o.StallCpu, ct);
        await RpsSteering.SteerAsync(server, control.B.Device, o.SenderCpu, ct);
        await RpsSteering.SteerAsync(client, control.A.Device, o.SenderCpu, ct);

        var dev = LabNames.Interface("r");
        await server.IpAsync(["link", "add", dev, "type", "veth", "peer", "name", dev + "p"], ct);
        await server.SetUpAsync(dev);
        await server.SetUpAsync(dev + "p");
        progress.WriteLine($"loading {o.Routes:N0} IPv6 routes into the server namespace");
        int loaded = await RouteTable.LoadAsync(server, dev, o.Routes, ct);
        if (loaded < o.Routes)
            throw new LabException($"only {loaded} of {o.Routes} IPv6 routes are in the server namespace's table");
        return new SoftirqStallTopology
        {
            Client = client, Server = server, Stalled = stalled, Control = control, StallDevice = dev, RoutesLoaded = loaded,
        };
    }
}
