using NetTrace.Cli.Commands;
using NetTrace.Tracer.Node;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The story-1 doctor checks' verdicts on given measurements: thresholds, wording, what is named.</summary>
public class DoctorNodeVerdictTests
{
    private static FileReadTiming T(string path, double longestMs, long lines = 10, long bytes = 1000) =>
        new(path, 3, longestMs * 0.9, longestMs, longestMs, bytes, lines, null);

    private static MemoryStatSample Memcg(params FileReadTiming[] files) =>
        new(new MemcgHierarchy(1, "/sys/fs/cgroup/memory"), "/sys/fs/cgroup/memory/kubepods", files, files.Length, true, false);

    private static IReadOnlyList<FileReadTiming> ProcNet(double ipv6RouteMs, long routes = 400_000) =>
    [
        T("/proc/net/ipv6_route", ipv6RouteMs, routes, routes * 149), T("/proc/net/route", 0.02, 3),
        T("/proc/net/tcp", 0.05, 12), T("/proc/net/tcp6", 0.03, 4),
        new("/proc/net/udp6", 0, 0, 0, 0, 0, 0, "permission denied (run as root)"),
    ];

    [Fact]
    public void Slow_reads_fail_at_100_ms_and_name_the_file_and_its_size()
    {
        var c = DoctorSlowReadsCheck.Evaluate(new(
            [Memcg(T("/sys/fs/cgroup/memory/memory.stat", 0.03), T("/sys/fs/cgroup/memory/kubepods/memory.stat", 0.02))],
            ProcNet(121), new Dictionary<string, long> { ["tcp_ehash_entries"] = 262144 }), []);
        Assert.Equal(DoctorStatus.Fail, c.Status);
        Assert.Equal("1 of 6 files have a read() of 10 ms or more; slowest 121 ms (/proc/net/ipv6_route)", c.Summary);
        Assert.Contains(c.Details, d => d.StartsWith("/proc/net/ipv6_route: 400,000 routes, 56.8 MiB: median 108.9 ms, max 121 ms"));
        Assert.Contains(c.Details, d => d == "/proc/net/udp6: could not be read: permission denied (run as root)");
        Assert.Contains(c.Details, d => d.StartsWith("/proc/net/tcp: 12 sockets (walks 262,144 hash buckets, net.ipv4.tcp_ehash_entries), 1000 B:"));
        Assert.Contains(c.Details, d => d.StartsWith("memory.stat, cgroup v1 at /sys/fs/cgroup/memory: 2 of 2 cgroups timed (from /sys/fs/cgroup/memory/kubepods and the root; 3 reads each)"));
        Assert.Contains("cadvisor", c.Meaning);
        Assert.Contains("bottom halves disabled", c.Meaning);
    }

    [Fact]
    public void Slow_reads_warn_at_10_ms_on_memory_stat_and_are_ok_below()
    {
        var warn = DoctorSlowReadsCheck.Evaluate(new([Memcg(T("/sys/fs/cgroup/memory/kubepods/memory.stat", 12.5))], ProcNet(0.1, 8)), []);
        Assert.Equal(DoctorStatus.Warn, warn.Status);
        Assert.Contains("slowest 12.5 ms (/sys/fs/cgroup/memory/kubepods/memory.stat)", warn.Summary);

        var ok = DoctorSlowReadsCheck.Evaluate(new([Memcg(T("/x/memory.stat", 0.02))], ProcNet(0.1, 8)), ["a note"]);
        Assert.Equal(DoctorStatus.Ok, ok.Status);
        Assert.Equal("5 files timed, slowest read() 0.1 ms (/proc/net/ipv6_route), under 10 ms", ok.Summary);
        Assert.Equal("nothing to do", ok.Action);
        Assert.Contains("note: a note", ok.Details);

        var none = DoctorSlowReadsCheck.Evaluate(new([], []), ["no memory cgroup hierarchy is mounted"]);
        Assert.Equal(DoctorStatus.Skipped, none.Status);
    }

    private static DyingMemcgs Dying(long? n, string? error = null) =>
        new(new MemcgHierarchy(1, "/sys/fs/cgroup/memory"), n, 40, "/proc/cgroups memory num_cgroups", "/sys/fs/cgroup/memory/kubepods", null, error);

    [Fact]
    public void Dying_memcgs_warn_earlier_on_kernels_whose_memory_stat_walks_them()
    {
        var old = DoctorDyingMemcgCheck.Evaluate([Dying(150)], new Version(4, 19, 0));
        Assert.Equal(DoctorStatus.Warn, old.Status);
        Assert.Equal("150 dying memory cgroups on a kernel before 5.13: every memory.stat read walks them", old.Summary);
        Assert.Contains("drop_caches", old.Action);
        Assert.Contains("cgroup.memory=nokmem", old.Action);

        var fresh = DoctorDyingMemcgCheck.Evaluate([Dying(150)], new Version(6, 18, 44));
        Assert.Equal(DoctorStatus.Ok, fresh.Status);
        Assert.Equal("150 dying memory cgroups (under 1,000)", fresh.Summary);

        var many = DoctorDyingMemcgCheck.Evaluate([Dying(30_000)], new Version(6, 18));
        Assert.Equal(DoctorStatus.Warn, many.Status);
        Assert.StartsWith("30,000 dying memory cgroups: kernel memory", many.Summary);

        var unknown = DoctorDyingMemcgCheck.Evaluate([Dying(null, "walk stopped")], new Version(6, 18));
        Assert.Equal(DoctorStatus.Skipped, unknown.Status);
        Assert.Contains(unknown.Details, d => d.EndsWith("not counted: walk stopped"));
    }

    [Fact]
    public void Softnet_damaged_or_missing_file_is_a_skipped_check_that_says_why()
    {
        var dir = Directory.CreateTempSubdirectory("ntdoc-softnet-").FullName;
        try
        {
            var damaged = Path.Combine(dir, "softnet_stat");
            File.WriteAllText(damaged, "0001 0002 0003\n");
            var c = DoctorSoftnetCheck.Run(TimeSpan.Zero, CancellationToken.None, damaged);
            Assert.Equal(DoctorStatus.Skipped, c.Status);
            Assert.Equal($"{damaged} could not be read: softnet_stat line 1 has 3 columns; expected 10 to 15: '0001 0002 0003'", c.Summary);

            var missing = DoctorSoftnetCheck.Run(TimeSpan.Zero, CancellationToken.None, Path.Combine(dir, "none"));
            Assert.Equal(DoctorStatus.Skipped, missing.Status);
            Assert.Contains("could not be read", missing.Summary);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static SoftnetRow Row(int cpu, long processed, long dropped, long squeeze) =>
        new(cpu, cpu, processed, dropped, squeeze, 0, 0, 0, 15);

    [Fact]
    public void Softnet_warns_on_drops_or_on_squeezes_happening_now_and_names_the_cpu()
    {
        var sysctls = new Dictionary<string, long> { ["netdev_max_backlog"] = 1000, ["netdev_budget"] = 300 };
        var clean = DoctorSoftnetCheck.Evaluate(new([Row(0, 100, 0, 5), Row(1, 200, 0, 0)],
            [new SoftnetDelta(0, 10, 0, 0, 0, 0), new SoftnetDelta(1, 20, 0, 0, 0, 0)], 1.0, sysctls));
        Assert.Equal(DoctorStatus.Ok, clean.Status);
        Assert.Equal("2 CPUs; no backlog drops; time_squeeze 5 since boot (most on cpu0: 5)", clean.Summary);
        Assert.Contains(clean.Details, d => d.StartsWith("cpu0   processed 100 (+10)  dropped 0 (+0)  time_squeeze 5 (+0)"));
        Assert.Contains("net.core: netdev_max_backlog 1000, netdev_budget 300", clean.Details);

        var squeezing = DoctorSoftnetCheck.Evaluate(new([Row(0, 100, 0, 5), Row(1, 200, 0, 9)],
            [new SoftnetDelta(0, 10, 0, 0, 0, 0), new SoftnetDelta(1, 20, 0, 4, 0, 0)], 2.0, sysctls));
        Assert.Equal(DoctorStatus.Warn, squeezing.Status);
        Assert.Contains("now: +0 drops, +4 squeezes in 2.0 s", squeezing.Summary);
        Assert.Contains("netdev_budget", squeezing.Action);

        var dropped = DoctorSoftnetCheck.Evaluate(new([Row(0, 100, 0, 0), Row(3, 200, 77, 0)], null, 0, sysctls));
        Assert.Equal(DoctorStatus.Warn, dropped.Status);
        Assert.Contains("77 backlog drops since boot (most on cpu3: 77)", dropped.Summary);
        Assert.Contains("totals since boot (no sample interval)", dropped.Details);
        Assert.Contains("netdev_max_backlog", dropped.Meaning);
    }
}
