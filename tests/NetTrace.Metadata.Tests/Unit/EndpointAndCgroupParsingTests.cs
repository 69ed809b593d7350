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

    [Fact]
    public void Cgroup2_mount_is_found_in_a_hybrid_mountinfo()
    {
        string[] mountinfo =
        [
            "35 25 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
            "36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate",
            "37 35 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory",
        ];
        Assert.Equal("/sys/fs/cgroup/unified", CgroupV2.FindMount(mountinfo));
        Assert.Null(CgroupV2.FindMount(["37 35 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"]));
    }

    [Fact]
    public void Unified_path_comes_from_the_0_line_of_proc_pid_cgroup()
    {
        string[] lines = ["4:memory:/kubepods/besteffort/podu/abc", "0::/kubepods/besteffort/podu/abc", "1:name=systemd:/"];
        Assert.Equal("/kubepods/besteffort/podu/abc", CgroupV2.ParseUnifiedPath(lines));
        Assert.Null(CgroupV2.ParseUnifiedPath(["4:memory:/x"]));
    }

    [Fact]
    public void Cgroup_ids_refuse_escaping_paths_and_missing_hierarchies()
    {
        Assert.Null(new CgroupV2(null).IdOfPath("/kubepods"));
        Assert.Null(new CgroupV2("/sys/fs/cgroup/unified").IdOfPath("/../../etc"));
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
