using System.Net;
using System.Net.Sockets;
using NetTrace.Lab.Netns;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Tracer.Tests.Integration;

/// <summary>The namespace library the integration tests and labs build on: real namespaces, veth, iptables.</summary>
public class NetnsLabTests
{
    [Fact]
    public async Task Two_namespaces_joined_by_veth_talk_and_everything_is_gone_after_dispose()
    {
        Privileged.Require("root (network namespaces)");
        Privileged.RequireTool("ip");
        Privileged.RequireTool("iptables");
        string[] names;
        string vethA;
        await using (var lab = new NetnsLab("t"))
        {
            var a = await lab.AddNamespaceAsync("a");
            var b = await lab.AddNamespaceAsync("b");
            var link = await lab.ConnectAsync(a, "10.213.7.2/24", b, "10.213.7.1/24");
            names = [a.Name, b.Name];
            vethA = link.A.Device;

            Assert.Equal(NamespaceFile.Inode(a.Path), a.Inode);
            Assert.NotEqual(a.Inode, b.Inode);
            Assert.NotEqual(NamespaceFile.Inode("/proc/self/ns/net"), a.Inode);
            Assert.Contains(vethA, (await a.IpAsync(["-o", "link", "show"])).Stdout);
            Assert.DoesNotContain(vethA, (await b.IpAsync(["-o", "link", "show"])).Stdout);

            // A listener in b, a connect from a: sockets keep the namespace they were created in.
            using var listener = await b.RunInsideAsync(() =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Parse("10.213.7.1"), 7777));
                s.Listen();
                return s;
            });
            using var client = await a.RunInsideAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.213.7.1"), 7777)).WaitAsync(TimeSpan.FromSeconds(3));
            using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(IPAddress.Parse("10.213.7.2"), ((IPEndPoint)accepted.RemoteEndPoint!).Address);

            // An iptables rule lives inside b only.
            await b.IptablesAsync("-A", "INPUT", "-p", "tcp", "--dport", "7778", "-j", "DROP");
            Assert.Contains("--dport 7778", (await b.IptablesAsync("-S", "INPUT")).Stdout);
            Assert.DoesNotContain("--dport 7778", (await CommandRunner.RunAsync("iptables", ["-w", "5", "-S", "INPUT"])).Stdout);
        }
        foreach (var n in names) Assert.False(File.Exists(Path.Combine(NamespaceFile.NamedDir, n)), $"{n} still exists");
        Assert.Empty(LabCleanup.LiveNamespaces.Intersect(names));
    }

    [Fact]
    public async Task Teardown_runs_even_when_the_body_throws()
    {
        Privileged.Require("root (network namespaces)");
        string? name = null;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var lab = new NetnsLab("t");
            name = (await lab.AddNamespaceAsync("x")).Name;
            throw new InvalidOperationException("test body failed");
        });
        Assert.NotNull(name);
        Assert.False(File.Exists(Path.Combine(NamespaceFile.NamedDir, name!)));
    }

    [Fact]
    public async Task Namespaces_of_dead_owners_are_swept_but_live_ones_are_not()
    {
        Privileged.Require("root (network namespaces)");
        // A pid that does not exist (above pid_max) owns this one.
        var stale = "ntstale-99999999-abcdef";
        await CommandRunner.RunAsync("ip", ["netns", "add", stale]);
        try
        {
            await using var lab = new NetnsLab("t");   // construction sweeps
            var mine = await lab.AddNamespaceAsync("live");
            Assert.False(File.Exists(Path.Combine(NamespaceFile.NamedDir, stale)));
            Assert.Empty(LabCleanup.DeleteStale());
            Assert.True(mine.Exists);
        }
        finally
        {
            await CommandRunner.RunAsync("ip", ["netns", "delete", stale], check: false);
        }
    }

    [Fact]
    public void Names_are_unique_short_and_parseable()
    {
        var n = LabNames.Namespace("abc");
        Assert.Matches($"^ntabc-{Environment.ProcessId}-[0-9a-f]{{6}}$", n);
        Assert.True(LabNames.Interface("peer").Length <= 15);
        Assert.NotEqual(LabNames.Interface(), LabNames.Interface());
        Assert.Throws<ArgumentException>(() => LabNames.Namespace("has-dash"));
    }
}
