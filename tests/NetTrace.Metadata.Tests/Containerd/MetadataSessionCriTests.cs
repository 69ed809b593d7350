using NetTrace.Metadata.Index;
using NetTrace.Metadata.Sources;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>The session a trace runs with, fed by the real containerd: probe text, and pods coming and going.</summary>
[Collection(ContainerdFixture.Collection)]
public sealed class MetadataSessionCriTests(ContainerdFixture containerd)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Probe_reports_the_runtime_that_answered()
    {
        Privileged.Require("root: runs a private containerd with runc and CNI");
        var client = await containerd.StartAsync();

        var statuses = await MetadataProbe.CheckAsync(new MetadataOptions { CriEndpoint = "unix://" + client.Endpoint.SocketPath, UseApiserver = false }, Ct);

        var cri = statuses[0];
        Assert.True(cri.Answered, cri.ToString());
        Assert.Equal(client.Endpoint.SocketPath, cri.Target);
        Assert.Matches(@"^containerd 1\.\d+\.\d+\S* \(CRI v1\), \d+ ready pod sandboxes$", cri.Detail);
    }

    [Fact]
    public async Task Periodic_refresh_adds_new_sandboxes_and_drops_stopped_ones()
    {
        Privileged.Require("root: runs a private containerd with runc and CNI");
        var client = await containerd.StartAsync();
        await using var session = await MetadataSession.StartAsync(new MetadataOptions
        {
            CriEndpoint = client.Endpoint.SocketPath, UseApiserver = false, CriRefreshInterval = TimeSpan.FromMilliseconds(200),
        }, Ct);
        Assert.True(session.Sources[0].Answered, session.Sources[0].ToString());
        Assert.Contains("netns and", session.Sources[0].Detail);

        var pod = new PodIdentity("late-" + Guid.NewGuid().ToString("N")[..6], "shop", Guid.NewGuid().ToString());
        var id = await containerd.RunSandboxAsync(pod.Name, pod.Namespace, pod.Uid);
        var entry = await Eventually(() => session.Index.Cri.Sandboxes.SingleOrDefault(s => s.SandboxId == id));
        var inode = await CriInventoryTests.StatInodeAsync($"/proc/{entry.Pid}/ns/net");
        Assert.Equal(pod, session.Resolver.ResolveNetns(inode));

        // Nothing changes for a while: refreshes only list, they ask no status again.
        var calls = session.Cri!.Inventory.StatusCalls;
        var refreshes = session.Cri.Refreshes;
        await Eventually(() => session.Cri.Refreshes >= refreshes + 3 ? "" : null);
        Assert.Equal(calls, session.Cri.Inventory.StatusCalls);
        Assert.Equal(pod, session.Resolver.ResolveNetns(inode));

        await containerd.StopAndRemoveSandboxAsync(id);
        await Eventually(() => session.Resolver.ResolveNetns(inode) == null ? "gone" : null);
        Assert.True(session.Cri.Refreshes >= 5);
        Assert.Equal(0, session.Cri.Failures);
    }

    private static async Task<T> Eventually<T>(Func<T?> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail("not reached within 10 s");
            await Task.Delay(50, Ct);
        }
    }
}
