using System.Net;
using System.Text.Json;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Linux;
using NetTrace.Metadata.Cri;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>
/// `nettrace trace --pod NAME --namespace NS --cri-endpoint SOCK --json` (the command's handler, in process) while
/// a CRI-created pod connects to another: the JSON lines name the pod and container, and the other pod's own
/// connects are filtered out.
/// </summary>
[Collection(ContainerdFixture.Collection)]
public sealed class TraceCommandPodTests(ContainerdFixture containerd)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Trace_of_a_pod_selected_by_name_names_it_in_every_event()
    {
        Privileged.Require("root: a private containerd and eBPF");
        Privileged.RequireTool("nsenter");
        var cri = await containerd.StartAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var client = new PodIdentity("checkout-" + tag, "shop", Guid.NewGuid().ToString());
        var server = new PodIdentity("payments-" + tag, "payments", Guid.NewGuid().ToString());
        var clientId = await containerd.RunSandboxAsync(client.Name, client.Namespace, client.Uid);
        var serverId = await containerd.RunSandboxAsync(server.Name, server.Namespace, server.Uid);
        await containerd.RunContainerAsync(clientId, "checkout", containerd.SandboxConfig(client.Name, client.Namespace, client.Uid));
        var cgroups = CgroupIds.Detect();
        var snapshot = await new CriInventory(cri, cgroups).TakeAsync(Ct);
        var clientSandbox = snapshot.Sandboxes.Single(s => s.SandboxId == clientId);
        var serverSandbox = snapshot.Sandboxes.Single(s => s.SandboxId == serverId);
        var container = snapshot.Containers.Single(c => c.SandboxId == clientId && c.Container.Name == "checkout");
        var clientIp = clientSandbox.Ips.Single();
        var serverIp = serverSandbox.Ips.Single();
        using var serverListener = Netns.ListenIn(serverSandbox.NetnsPath!, serverIp, 0);
        using var clientListener = Netns.ListenIn(clientSandbox.NetnsPath!, clientIp, 0);
        var serverPort = ((IPEndPoint)serverListener.LocalEndpoint).Port;
        var clientPort = ((IPEndPoint)clientListener.LocalEndpoint).Port;
        using var accepting = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var acceptLoops = new[] { AcceptAll(serverListener, accepting.Token), AcceptAll(clientListener, accepting.Token) };

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var handler = new TraceHandler(new TraceOptions
        {
            Duration = "5s", Pods = ["checkout-" + tag[..3] + "*"], Namespace = "shop", CriEndpoint = cri.Endpoint.SocketPath,
            Probes = ["tcp-connect"], Json = true, View = "none",
        }, TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr));
        var run = handler.RunAsync(Ct);

        // Connects from both pods while the trace runs (the first may come before the probes attach).
        var procs = $"{cgroups.UnifiedMount}{container.CgroupPath}/cgroup.procs";
        for (var i = 0; i < 4 && !run.IsCompleted; i++)
        {
            await Task.Delay(800, Ct);
            await Netns.RunInAsync(clientSandbox.NetnsPath!, $"echo $$ > {procs} && exec 3<>/dev/tcp/{serverIp}/{serverPort} && exec 3>&-");
            await Netns.RunInAsync(serverSandbox.NetnsPath!, $"exec 3<>/dev/tcp/{clientIp}/{clientPort} && exec 3>&-");
        }
        var code = await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await accepting.CancelAsync();
        await Task.WhenAll(acceptLoops);

        Assert.True(code == Program.ExitOk, $"exit {code}: {stderr}");
        Assert.Contains($"pod metadata: CRI: {cri.Endpoint.SocketPath}: containerd", stderr.ToString());
        var connects = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "connect").ToList();
        Assert.NotEmpty(connects);
        foreach (var c in connects)
        {
            Assert.Contains(serverIp.ToString(), c.GetProperty("dst").GetString());   // only the client pod's connects
            var pod = c.GetProperty("pod");
            Assert.Equal(client.Name, pod.GetProperty("name").GetString());
            Assert.Equal(client.Namespace, pod.GetProperty("namespace").GetString());
            Assert.Equal(client.Uid, pod.GetProperty("uid").GetString());
            Assert.Equal("checkout", pod.GetProperty("container").GetString());
            Assert.Equal(clientSandbox.NetnsInode, c.GetProperty("netns").GetUInt64());
        }

        await containerd.StopAndRemoveSandboxAsync(clientId);
        await containerd.StopAndRemoveSandboxAsync(serverId);
    }

    private static async Task AcceptAll(System.Net.Sockets.TcpListener listener, CancellationToken ct)
    {
        try
        {
            while (true) (await listener.AcceptTcpClientAsync(ct)).Dispose();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
