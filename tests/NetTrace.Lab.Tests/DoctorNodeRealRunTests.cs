using System.Diagnostics;
using System.Text.Json;
using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using NetTrace.Tracer.Node;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>`nettrace doctor` on this machine: the story-1 sections are there, with values that match the kernel's.</summary>
public class DoctorNodeRealRunTests
{
    private static int OnlineCpus() => CpuSet.ParseList(File.ReadAllText("/sys/devices/system/cpu/online"))!.Count;

    [Fact]
    public void Json_run_has_the_node_sections_with_this_machines_values()
    {
        var devicesBefore = HostDevices();
        // Other test processes add and remove host routes while this runs: the doctor's counts must lie between
        // what the tables held just before and just after its run.
        int v6Before = File.ReadAllLines("/proc/net/ipv6_route").Length, v4Before = File.ReadAllLines("/proc/net/route").Length - 1;
        var stdout = new StringWriter();
        var clock = Stopwatch.StartNew();
        int code = new DoctorHandler(new DoctorOptions(Json: true, Netns: null, SoftnetInterval: TimeSpan.FromSeconds(0.2)),
            stdout, new StringWriter()).Run();
        var elapsed = clock.Elapsed;
        Assert.InRange(code, NetTrace.Cli.Program.ExitOk, NetTrace.Cli.Program.ExitWarnings);
        Assert.True(elapsed < TimeSpan.FromSeconds(8), $"doctor took {elapsed}");

        using var doc = JsonDocument.Parse(stdout.ToString());
        var checks = doc.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetString()!, c => c);
        Assert.Contains("nat-random-fully", checks.Keys);                         // the existing checks still run

        var softnet = checks["softnet"];
        Assert.NotEqual("skipped", softnet.GetProperty("status").GetString());
        var totals = softnet.GetProperty("data").GetProperty("totals").EnumerateArray().ToList();
        Assert.Equal(OnlineCpus(), totals.Count);
        Assert.Equal(Enumerable.Range(0, OnlineCpus()), totals.Select(t => t.GetProperty("cpuOrRow").GetInt32()));
        Assert.All(totals, t => Assert.True(t.GetProperty("processed").GetInt64() > 0));
        Assert.Equal(OnlineCpus(), softnet.GetProperty("data").GetProperty("delta").GetArrayLength());
        Assert.True(softnet.GetProperty("data").GetProperty("sysctls").GetProperty("netdev_max_backlog").GetInt64() > 0);

        var slow = checks["slow-kernel-files"];
        var procNet = slow.GetProperty("data").GetProperty("procNet").EnumerateArray().ToList();
        Assert.Equal(["/proc/net/ipv6_route", "/proc/net/route", "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"],
            procNet.Select(p => p.GetProperty("path").GetString()));
        Assert.All(procNet, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("error").ValueKind));
        var ipv6 = procNet[0];
        int v6After = File.ReadAllLines("/proc/net/ipv6_route").Length, v4After = File.ReadAllLines("/proc/net/route").Length - 1;
        Assert.InRange(ipv6.GetProperty("lines").GetInt64(), Math.Min(v6Before, v6After), Math.Max(v6Before, v6After));
        Assert.InRange(procNet[1].GetProperty("lines").GetInt64(), Math.Min(v4Before, v4After), Math.Max(v4Before, v4After));
        Assert.InRange(ipv6.GetProperty("reads").GetInt32(), 1, DoctorSlowReadsCheck.Repeats);
        var memcg = slow.GetProperty("data").GetProperty("memoryStat").EnumerateArray().ToList();
        Assert.NotEmpty(memcg);
        Assert.All(memcg, m => Assert.NotEmpty(m.GetProperty("files").EnumerateArray()));

        var dying = checks["memcg-dying"];
        Assert.NotEqual("skipped", dying.GetProperty("status").GetString());
        var v1 = dying.GetProperty("data").EnumerateArray().FirstOrDefault(h => h.GetProperty("hierarchy").GetProperty("version").GetInt32() == 1);
        if (v1.ValueKind != JsonValueKind.Undefined)
        {
            // Independently: /proc/cgroups' memory count minus the directories of the memory hierarchy, both read now.
            long num = long.Parse(File.ReadAllLines("/proc/cgroups").Select(l => l.Split('\t')).Single(f => f[0] == "memory")[2]);
            var mount = v1.GetProperty("hierarchy").GetProperty("mountPoint").GetString()!;
            long dirs = 1 + Directory.EnumerateDirectories(mount, "*", SearchOption.AllDirectories).Count();
            Assert.InRange(v1.GetProperty("dying").GetInt64(), num - dirs - 20, num - dirs + 20);   // cgroups come and go meanwhile
        }

        var rps = checks["rps-irq"];
        Assert.NotEqual("skipped", rps.GetProperty("status").GetString());
        var devices = rps.GetProperty("data").GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        // Other tests may add or remove host devices meanwhile: those present throughout must be listed, nothing unknown.
        var devicesAfter = HostDevices();
        Assert.Subset(devices.ToHashSet(), devicesBefore.Intersect(devicesAfter).ToHashSet());
        Assert.Superset(devices.ToHashSet(), devicesBefore.Union(devicesAfter).ToHashSet());
        Assert.Equal(devices.Order(StringComparer.Ordinal), devices);
    }

    [Fact]
    public void Text_run_prints_each_node_check_with_its_finding()
    {
        var stdout = new StringWriter();
        new DoctorHandler(new DoctorOptions(Json: false, Netns: null, SoftnetInterval: TimeSpan.Zero), stdout, new StringWriter()).Run();
        var text = stdout.ToString();
        Assert.Matches(@"\[(OK|WARN|FAIL)\s*\] Kernel files slow to read: ", text);
        Assert.Matches(@"/proc/net/ipv6_route: \d+ routes, \d+ B: median [\d.]+ ms", text);
        Assert.Matches(@"\[(OK|WARN)\s*\] Dying memory cgroups: [\d,]+ dying memory cgroups", text);
        Assert.Matches(@"\[(OK|WARN)\s*\] Receive backlog drops and squeezes \(softnet_stat\): \d+ CPUs", text);
        Assert.Contains("totals since boot (no sample interval)", text);
        Assert.Matches(@"\[(OK|WARN)\s*\] RPS/XPS and IRQ affinity: ", text);
    }

    [Fact]
    public void Netns_run_reads_that_namespaces_devices_and_flags_rps_to_one_cpu()
    {
        Privileged.Require("root (network namespaces, mounting a namespace's sysfs)");
        string ns = $"ntdoc{Environment.ProcessId % 10000}r{Random.Shared.Next(100000)}";
        string a = $"nta{Random.Shared.Next(100000)}", b = $"ntb{Random.Shared.Next(100000)}";
        int sysfsMountsBefore = SysfsMounts();
        try
        {
            Cmd.Check("ip", "netns", "add", ns);
            Cmd.Check("ip", "-n", ns, "link", "add", a, "type", "veth", "peer", "name", b);
            Cmd.Check("ip", "netns", "exec", ns, "sh", "-c", $"echo 2 > /sys/class/net/{b}/queues/rx-0/rps_cpus");

            var stdout = new StringWriter();
            int code = new DoctorHandler(new DoctorOptions(Json: false, Netns: ns, SoftnetInterval: TimeSpan.Zero), stdout, new StringWriter()).Run();
            var text = stdout.ToString();
            Assert.Equal(NetTrace.Cli.Program.ExitWarnings, code);
            Assert.Contains($"RPS steers every received packet of {b} to CPU 1", text);
            Assert.Contains($"  rx-0: rps_cpus 1, rps_flow_cnt 0", text);
            // The namespace's own devices only: the host's uplink is not there.
            var host = Directory.EnumerateDirectories("/sys/class/net").Select(Path.GetFileName).First(n => n != "lo");
            Assert.DoesNotContain($"{host} (", text);
            Assert.Equal(sysfsMountsBefore, SysfsMounts());   // the namespace's sysfs never reached the host's mounts
        }
        finally
        {
            Cmd.Run("ip", "netns", "del", ns);
        }
        Assert.DoesNotContain(ns, Cmd.Check("ip", "netns", "list"));
    }

    private static HashSet<string?> HostDevices() => Directory.EnumerateDirectories("/sys/class/net").Select(Path.GetFileName).ToHashSet();

    private static int SysfsMounts() => File.ReadAllLines("/proc/self/mountinfo").Count(l => l.Contains(" - sysfs "));
}
