using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Linux;
using Xunit;

namespace NetTrace.Metadata.Tests.Unit;

public sealed class EndpointAndCgroupParsingTests
{
    [Theory]
    [InlineData("unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock")]
    [InlineData("unix:/var/run/crio/crio.sock", "/var/run/crio/crio.sock")]
    [InlineData(" /tmp/x.sock ", "/tmp/x.sock")]
    public void Cri_endpoints_accept_unix_urls_and_paths(string text, string path) => Assert.Equal(path, CriEndpoint.Parse(text).SocketPath);

    [Theory]
    [InlineData("tcp://127.0.0.1:1234")]
    [InlineData("relative.sock")]
    public void Cri_endpoints_refuse_what_is_not_an_absolute_unix_socket(string text) =>
        Assert.Throws<FormatException>(() => CriEndpoint.Parse(text));

    private static readonly string[] HybridMountinfo =
    [
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct",
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
    ];

    [Fact]
    public void Cgroup_mounts_are_found_in_a_hybrid_mountinfo()
    {
        Assert.Equal("/sys/fs/cgroup/unified", CgroupIds.FindUnifiedMount(HybridMountinfo));
        Assert.Equal("/sys/fs/cgroup/cpu", CgroupIds.FindCpuMount(HybridMountinfo));   // not cpuacct
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", CgroupIds.FindCpuMount(["25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct"]));
        Assert.Null(CgroupIds.FindUnifiedMount(["37 35 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"]));
    }

    [Fact]
    public void Task_paths_come_from_proc_pid_cgroup()
    {
        string[] lines = ["4:memory:/kubepods/besteffort/podu/abc", "3:cpu,cpuacct:/kubepods/besteffort/podu/abc", "0::/kubepods/besteffort/podu/abc", "1:name=systemd:/"];
        Assert.Equal(("/kubepods/besteffort/podu/abc", "/kubepods/besteffort/podu/abc"), CgroupIds.ParsePaths(lines));
        Assert.Equal((null, null), CgroupIds.ParsePaths(["4:memory:/x", "1:name=systemd:/"]));
    }

    [Fact]
    public void Roots_missing_hierarchies_and_escaping_paths_give_no_id()
    {
        Assert.Null(new CgroupIds(null, null).IdOf(("/kubepods", "/kubepods")));
        Assert.Null(new CgroupIds("/sys/fs/cgroup/unified", "/sys/fs/cgroup/cpu").IdOf(("/", "/")));   // both roots: id 1, nobody's
        Assert.Null(new CgroupIds("/sys/fs/cgroup/unified").IdOf(("/../../etc", null)));
    }

    [Fact]
    public void Netns_links_parse_to_inodes()
    {
        Assert.Equal(4026532281UL, FileInode.ParseNsLink("net:[4026532281]"));
        Assert.Null(FileInode.ParseNsLink("net:[]"));
        Assert.Null(FileInode.ParseNsLink(null));
        // This process' own netns: readlink and stat must agree.
        Assert.Equal(FileInode.Of("/proc/self/ns/net"), FileInode.NetnsOfPid(Environment.ProcessId));
    }
}
