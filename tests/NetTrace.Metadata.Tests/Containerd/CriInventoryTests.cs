using System.Net;
using System.Net.Sockets;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Linux;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>
/// The CRI client and the index against a real containerd (Debian's, with runc and the CNI bridge), pods created
/// through the CRI API as kubelet would. Expected ids are read independently with coreutils' stat on /proc.
/// </summary>
[Collection(ContainerdFixture.Collection)]
public sealed class CriInventoryTests(ContainerdFixture containerd)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<CriClient> StartAsync()
    {
        Privileged.Require("root: runs a private containerd with runc and CNI");
        Privileged.RequireTool("containerd");
        Privileged.RequireTool("nsenter");
        return await containerd.StartAsync();
    }

    [Fact]
    public async Task Index_maps_each_sandbox_netns_inode_to_its_pod_and_drops_removed_sandboxes()
    {
        var cri = await StartAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var podA = new PodIdentity("web-" + tag, "shop", Guid.NewGuid().ToString());
        var podB = new PodIdentity("db-" + tag, "data", Guid.NewGuid().ToString());
        var idA = await containerd.RunSandboxAsync(podA.Name, podA.Namespace, podA.Uid);
        var idB = await containerd.RunSandboxAsync(podB.Name, podB.Namespace, podB.Uid);

        var index = new MetadataIndex();
        var inventory = new CriInventory(cri, CgroupIds.Detect());
        var snapshot = await inventory.TakeAsync(Ct);
        index.ApplyCri(snapshot);

        Assert.StartsWith("containerd", snapshot.Runtime);
        foreach (var (id, pod) in new[] { (idA, podA), (idB, podB) })
        {
            var entry = Assert.Single(snapshot.Sandboxes, s => s.SandboxId == id);
            Assert.Equal(pod, entry.Pod);
            Assert.NotNull(entry.NetnsPath);
            // Independent reading: the sandbox's pause process' netns inode, via stat(1).
            var expected = await StatInodeAsync($"/proc/{entry.Pid}/ns/net");
            Assert.Equal(expected, entry.NetnsInode);
            Assert.Equal(pod, index.ResolveNetns(expected));
            // The pod IP CNI assigned resolves to the pod, and is the one the netns really has.
            var ip = Assert.Single(entry.Ips);
            Assert.Contains(ip.ToString(), await Netns.RunInAsync(entry.NetnsPath!, "ip -4 -o addr show dev eth0"));
            Assert.Equal(pod.Name, index.ResolveIp(ip)?.Name);
        }
        var inodeA = snapshot.Sandboxes.Single(s => s.SandboxId == idA).NetnsInode;
        Assert.NotEqual(inodeA, snapshot.Sandboxes.Single(s => s.SandboxId == idB).NetnsInode);
        Assert.Null(index.ResolveNetns(await StatInodeAsync("/proc/self/ns/net")));   // the host netns is no pod

        await containerd.StopAndRemoveSandboxAsync(idA);
        index.ApplyCri(await inventory.TakeAsync(Ct));

        Assert.Null(index.ResolveNetns(inodeA));
        Assert.DoesNotContain(index.Cri.Sandboxes, s => s.SandboxId == idA);
        Assert.Equal(podB, index.ResolveNetns(index.Cri.Sandboxes.Single(s => s.SandboxId == idB).NetnsInode));
        await containerd.StopAndRemoveSandboxAsync(idB);
    }

    [Fact]
    public async Task Index_maps_a_running_containers_cgroup_v2_id_to_the_container()
    {
        var cri = await StartAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var pod = new PodIdentity("api-" + tag, "shop", Guid.NewGuid().ToString());
        var sandboxId = await containerd.RunSandboxAsync(pod.Name, pod.Namespace, pod.Uid);
        var containerId = await containerd.RunContainerAsync(sandboxId, "server", containerd.SandboxConfig(pod.Name, pod.Namespace, pod.Uid));

        var cgroups = CgroupIds.Detect();
        Assert.NotNull(cgroups.UnifiedMount);   // this machine: hybrid v1 + cgroup2 at /sys/fs/cgroup/unified
        var snapshot = await new CriInventory(cri, cgroups).TakeAsync(Ct);
        var index = new MetadataIndex();
        index.ApplyCri(snapshot);

        var entry = Assert.Single(snapshot.Containers, c => c.Container.Id == containerId);
        Assert.Equal("server", entry.Container.Name);
        Assert.Equal(pod, entry.Container.Pod);
        // Independent reading: the container task's v2 path from /proc/PID/cgroup, its directory inode via stat(1).
        var v2Path = File.ReadLines($"/proc/{entry.Pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        Assert.Contains(containerId, v2Path);
        var expectedId = await StatInodeAsync(cgroups.UnifiedMount + v2Path);
        Assert.Equal(expectedId, entry.CgroupId);
        Assert.Equal(entry.Container, index.ResolveCgroup(expectedId));
        Assert.Null(index.ResolveCgroup(await StatInodeAsync(cgroups.UnifiedMount!)));   // the v2 root is nobody's

        await containerd.StopAndRemoveSandboxAsync(sandboxId);
        index.ApplyCri(await new CriInventory(cri, cgroups).TakeAsync(Ct));
        Assert.Null(index.ResolveCgroup(expectedId));
    }

    [Fact]
    public async Task Traffic_from_inside_a_sandbox_carries_a_netns_inode_that_resolves_to_that_pod()
    {
        var cri = await StartAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var client = new PodIdentity("client-" + tag, "shop", Guid.NewGuid().ToString());
        var server = new PodIdentity("server-" + tag, "payments", Guid.NewGuid().ToString());
        var clientId = await containerd.RunSandboxAsync(client.Name, client.Namespace, client.Uid);
        var serverId = await containerd.RunSandboxAsync(server.Name, server.Namespace, server.Uid);
        var index = new MetadataIndex();
        index.ApplyCri(await new CriInventory(cri, CgroupIds.Detect()).TakeAsync(Ct));
        var clientSandbox = index.Cri.Sandboxes.Single(s => s.SandboxId == clientId);
        var serverSandbox = index.Cri.Sandboxes.Single(s => s.SandboxId == serverId);
        var serverIp = serverSandbox.Ips.Single();

        using var listener = Netns.ListenIn(serverSandbox.NetnsPath!, serverIp, 0);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync(Ct).AsTask();

        // A process in the client pod's netns connects to the server pod and reports the netns its socket used.
        var output = await Netns.RunInAsync(clientSandbox.NetnsPath!,
            $"exec 3<>/dev/tcp/{serverIp}/{port} && stat -L -c %i /proc/self/ns/net && exec 3>&-");
        var connectingInode = ulong.Parse(output.Trim());
        using var accepted = await accept.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var peer = (IPEndPoint)accepted.Client.RemoteEndPoint!;

        Assert.Equal(client, index.ResolveNetns(connectingInode));
        Assert.Equal(client.Name, index.ResolveIp(peer.Address)?.Name);     // the peer address the server saw
        Assert.Equal(server.Name, index.ResolveIp(serverIp)?.Name);
        Assert.Equal(server, index.ResolveNetns(serverSandbox.NetnsInode));

        await containerd.StopAndRemoveSandboxAsync(clientId);
        await containerd.StopAndRemoveSandboxAsync(serverId);
    }

    internal static async Task<ulong> StatInodeAsync(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-L", "-c", "%i", path }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = await p.StandardOutput.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        Assert.Equal(0, p.ExitCode);
        return ulong.Parse(text.Trim());
    }
}
