using NetTrace.Metadata.Index;
using NetTrace.Metadata.Sources;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>
/// The runtime goes away during a trace: refreshes fail and are counted with the reason, the last view is kept for
/// the staleness limit, then dropped (the kernel may reuse the inodes). Uses its own containerd, killed; stop.sh
/// must still clean up the pods that outlived it.
/// </summary>
[Collection(ContainerdFixture.Collection)]
public sealed class RuntimeGoneTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly TimeSpan Staleness = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task When_the_runtime_stops_answering_the_index_keeps_its_last_view_then_drops_it()
    {
        Privileged.Require("root: runs a private containerd with runc and CNI");
        var own = new ContainerdFixture();
        var uid = Guid.NewGuid().ToString();
        try
        {
            var cri = await own.StartAsync();
            var pod = new PodIdentity("doomed-" + Guid.NewGuid().ToString("N")[..6], "shop", uid);
            await own.RunSandboxAsync(pod.Name, pod.Namespace, pod.Uid);
            await using var session = await MetadataSession.StartAsync(new MetadataOptions
            {
                CriEndpoint = cri.Endpoint.SocketPath, UseApiserver = false,
                CriRefreshInterval = TimeSpan.FromMilliseconds(100), CriMaxStaleness = Staleness,
            }, Ct);
            var inode = session.Index.Cri.Sandboxes.Single(s => s.Pod == pod).NetnsInode;
            Assert.Equal(pod, session.Resolver.ResolveNetns(inode));

            // containerd dies (crash, OOM kill, upgrade); its pods keep running.
            var containerd = System.Diagnostics.Process.GetProcessById(int.Parse(own.Env["CONTAINERD_PID"]));
            containerd.Kill();
            await containerd.WaitForExitAsync(Ct);

            // Failing refreshes first keep the last view...
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (session.Cri!.Failures < 1 && DateTime.UtcNow < deadline) await Task.Delay(20, Ct);
            Assert.True(session.Cri.Failures >= 1, "no failed refresh after containerd died");
            Assert.True(DateTimeOffset.UtcNow - session.Cri.LastSuccess < Staleness - TimeSpan.FromSeconds(1), "first failure came too late to check");
            Assert.Equal(pod, session.Resolver.ResolveNetns(inode));
            Assert.NotNull(session.Cri.LastError);
            // ...until it is older than the staleness limit.
            deadline = DateTime.UtcNow.AddSeconds(15);
            while (session.Resolver.ResolveNetns(inode) != null && DateTime.UtcNow < deadline) await Task.Delay(20, Ct);
            var droppedAt = DateTimeOffset.UtcNow;
            Assert.Null(session.Resolver.ResolveNetns(inode));
            Assert.True(droppedAt - session.Cri.LastSuccess >= Staleness, $"dropped {droppedAt - session.Cri.LastSuccess} after the last success");
        }
        finally
        {
            await own.DisposeAsync();
        }
        Assert.False(Directory.Exists(own.Dir));
        Assert.All(Directory.GetDirectories("/sys/fs/cgroup"), h => Assert.False(Directory.Exists(Path.Combine(h, "kubepods/besteffort/pod" + uid))));
    }
}
