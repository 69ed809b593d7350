using System.Net;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Linux;
using NetTrace.TestSupport;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>
/// The end-to-end check: a real eBPF trace session (tcpconnect, filtered in the kernel on the client pod's
/// netns) sees a connect made from inside a CRI-created sandbox to another sandbox, and the event's kernel ids
/// resolve through the index built from containerd to that pod and container.
/// </summary>
[Collection(ContainerdFixture.Collection)]
public sealed class TracedPodTrafficTests(ContainerdFixture containerd)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private sealed class ConnectSink : ITraceEventSink
    {
        public readonly List<TcpConnectEvent> Connects = [];
        public void OnTcpConnect(in TcpConnectEvent e) { lock (Connects) Connects.Add(e); }
        public void OnIcmpEcho(in IcmpEchoEvent e) { }
        public void OnDrop(in DropEvent e) { }
        public void OnSoftirq(in SoftirqEvent e) { }
        public List<TcpConnectEvent> Snapshot() { lock (Connects) return [.. Connects]; }
    }

    [Fact]
    public async Task A_traced_connect_from_a_sandbox_resolves_to_its_pod_and_container()
    {
        Privileged.Require("root: a private containerd and eBPF");
        Privileged.RequireTool("nsenter");
        var cri = await containerd.StartAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var client = new PodIdentity("checkout-" + tag, "shop", Guid.NewGuid().ToString());
        var server = new PodIdentity("payments-" + tag, "payments", Guid.NewGuid().ToString());
        var clientId = await containerd.RunSandboxAsync(client.Name, client.Namespace, client.Uid);
        var serverId = await containerd.RunSandboxAsync(server.Name, server.Namespace, server.Uid);
        var containerId = await containerd.RunContainerAsync(clientId, "checkout", containerd.SandboxConfig(client.Name, client.Namespace, client.Uid));

        var cgroups = CgroupIds.Detect();
        var index = new MetadataIndex();
        index.ApplyCri(await new CriInventory(cri, cgroups).TakeAsync(Ct));
        var clientSandbox = index.Cri.Sandboxes.Single(s => s.SandboxId == clientId);
        var serverSandbox = index.Cri.Sandboxes.Single(s => s.SandboxId == serverId);
        var container = index.Cri.Containers.Single(c => c.Container.Id == containerId);
        var serverIp = serverSandbox.Ips.Single();
        using var listener = Netns.ListenIn(serverSandbox.NetnsPath!, serverIp, 0);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync(Ct).AsTask();

        var sink = new ConnectSink();
        using var session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.TcpConnect,
            NetnsInode = checked((uint)clientSandbox.NetnsInode),
        }, sink);

        // A host-side connect in another netns during the session: the kernel filter must keep it out.
        using var hostListener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hostListener.Start();
        var hostPort = ((IPEndPoint)hostListener.LocalEndpoint).Port;
        using (var host = new System.Net.Sockets.TcpClient()) await host.ConnectAsync(IPAddress.Loopback, hostPort, Ct);

        // The "pod process": joins the container's cgroup (v2, as a task started by runc would be), enters the
        // pod's netns, connects to the other pod.
        var procs = $"{cgroups.UnifiedMount}{container.CgroupPath}/cgroup.procs";
        var connect = Netns.RunInAsync(clientSandbox.NetnsPath!,
            $"echo $$ > {procs} && exec 3<>/dev/tcp/{serverIp}/{port} && echo $$ && exec 3>&-");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TcpConnectEvent? established = null;
        while (established == null && DateTime.UtcNow < deadline)
        {
            session.Poll(50);
            established = sink.Snapshot().Cast<TcpConnectEvent?>()
                .FirstOrDefault(e => e!.Value.Kind == TcpConnectKind.Established && e.Value.DestinationPort == port);
        }
        var connectingPid = int.Parse((await connect).Trim());
        using var accepted = await accept.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.True(established.HasValue, $"no Established event to {serverIp}:{port}; saw {sink.Snapshot().Count} connect events");
        var e = established.Value;
        Assert.Equal(serverIp, e.Destination);
        Assert.Equal(clientSandbox.Ips.Single(), e.Source);
        Assert.Equal(connectingPid, e.Owner.Pid);
        // The event's kernel ids name the pod, the container, and both ends' pods.
        Assert.Equal(client, index.ResolveNetns(e.Header.NetnsInode));
        Assert.Equal(new ContainerIdentity(client, "checkout", containerId), index.ResolveCgroup(e.Owner.CgroupId));
        Assert.Equal(client.Name, index.ResolveIp(e.Source)?.Name);
        Assert.Equal(server.Name, index.ResolveIp(e.Destination)?.Name);
        // Nothing from other network namespaces got through the filter.
        Assert.All(sink.Snapshot(), c => Assert.Equal(clientSandbox.NetnsInode, (ulong)c.Header.NetnsInode));
        Assert.DoesNotContain(sink.Snapshot(), c => c.DestinationPort == hostPort);

        session.Dispose();
        await containerd.StopAndRemoveSandboxAsync(clientId);
        await containerd.StopAndRemoveSandboxAsync(serverId);
    }
}
