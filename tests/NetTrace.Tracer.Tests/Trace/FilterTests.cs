using System.Net;
using NetTrace.Events;
using NetTrace.Tracer.Trace;
using Xunit;

namespace NetTrace.Tracer.Tests.Trace;

public class FilterTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.1.2.128/25", "10.1.2.200", true)]
    [InlineData("10.1.2.128/25", "10.1.2.127", false)]
    [InlineData("10.1.2.3", "10.1.2.3", true)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("fd00:1::/32", "fd00:1:ffff::5", true)]
    [InlineData("fd00:1::/32", "fd00:2::5", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.2.3.4", true)]        // v4-mapped counts as IPv4
    [InlineData("fd00::/8", "10.0.0.1", false)]
    public void Cidr_matching(string cidr, string address, bool expected) =>
        Assert.Equal(expected, new CidrSet([cidr]).Contains(IPAddress.Parse(address).GetAddressBytes()));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("not-an-ip/8")]
    [InlineData("10.0.0.0/-1")]
    public void Bad_cidrs_are_refused(string cidr) => Assert.Throws<FormatException>(() => new CidrSet([cidr]));

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("250ms", 250)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2", 2_000)]
    public void Durations(string text, double ms) => Assert.Equal(ms, DurationParser.Parse(text).TotalMilliseconds);

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("0s")]
    [InlineData("m")]
    public void Bad_durations(string text) => Assert.Throws<FormatException>(() => DurationParser.Parse(text));

    [Fact]
    public void Port_and_pid_filters_judge_connects_but_pid_does_not_judge_softirq_context_events()
    {
        var f = new TraceFilter([], [42], [443], new CidrSet([]));
        var mine = new TraceEvent { Connect = new ConnectEvent { Origin = new Origin { Pid = 42 },
            Tuple = EventAddresses.MakeTuple(IPAddress.Loopback, 5000, IPAddress.Loopback, 443, IpProtocol.Tcp) } };
        var otherPid = mine.Clone(); otherPid.Connect.Origin.Pid = 7;
        var otherPort = mine.Clone(); otherPort.Connect.Tuple.Dport = 80;
        var drop = new TraceEvent { Drop = new DropEvent { Origin = new Origin { Pid = 7 },
            Tuple = EventAddresses.MakeTuple(IPAddress.Loopback, 443, IPAddress.Loopback, 5000, IpProtocol.Tcp) } };
        Assert.True(f.Accepts(mine));
        Assert.False(f.Accepts(otherPid));
        Assert.False(f.Accepts(otherPort));
        Assert.True(f.Accepts(drop));
    }

    [Fact]
    public void Probe_lists()
    {
        Assert.Equal(ProbeNames.All.ToHashSet(), TraceRequest.ParseProbes([]));
        Assert.Equal(new HashSet<string> { "drops", "tcp-connect" }, TraceRequest.ParseProbes(["drops, tcp-connect"]));
        Assert.Throws<FormatException>(() => TraceRequest.ParseProbes(["kprobe-magic"]));
    }

    [Fact]
    public void Netns_names_resolve_to_the_inode_and_unknown_names_fail_clearly()
    {
        var self = NetnsTarget.Resolve("/proc/self/ns/net");
        Assert.Equal(NetnsTarget.Current(), self.Inode);
        Assert.True(self.Inode > 0);
        var e = Assert.Throws<FileNotFoundException>(() => NetnsTarget.Resolve("no-such-netns-xyz"));
        Assert.Contains("ip netns list", e.Message);
        Assert.Throws<IOException>(() => NetnsTarget.InodeOf("/proc/self/ns/uts"));
    }
}
