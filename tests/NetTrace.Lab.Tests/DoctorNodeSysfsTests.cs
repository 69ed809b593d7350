using NetTrace.Cli.Commands;
using NetTrace.Tracer.Node;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>Devices, queues, IRQs and memory cgroups read from sysfs / procfs / cgroupfs trees built in a temp dir.</summary>
public sealed class DoctorNodeSysfsTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("ntdoc-sysfs-").FullName;
    private string Sys => Path.Combine(root, "sys");
    private string Proc => Path.Combine(root, "proc");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", name));

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>class/net/NAME with queues; a bus device (symlink "device") when <paramref name="busPath"/> is given.</summary>
    private void Device(string name, string? busPath, string[] rps, string[] xps)
    {
        var dev = Path.Combine(Sys, "class", "net", name);
        Directory.CreateDirectory(dev);
        for (int i = 0; i < rps.Length; i++)
        {
            Write(Path.Combine(dev, "queues", $"rx-{i}", "rps_cpus"), rps[i] + "\n");
            Write(Path.Combine(dev, "queues", $"rx-{i}", "rps_flow_cnt"), "0\n");
        }
        for (int i = 0; i < xps.Length; i++)
            Directory.CreateDirectory(Path.Combine(dev, "queues", $"tx-{i}"));   // xps_cpus absent: "not present"
        for (int i = 0; i < xps.Length; i++)
            if (xps[i] != "") Write(Path.Combine(dev, "queues", $"tx-{i}", "xps_cpus"), xps[i] + "\n");
        if (busPath != null)
        {
            var target = Path.Combine(Sys, "devices", busPath);
            Directory.CreateDirectory(target);
            File.CreateSymbolicLink(Path.Combine(dev, "device"), target);
        }
    }

    private void Msi(string busPath, params int[] irqs)
    {
        foreach (var i in irqs) Write(Path.Combine(Sys, "devices", busPath, "msi_irqs", i.ToString()), "msix\n");
    }

    private void Irq(int irq, string affinity, string? effective = null)
    {
        Write(Path.Combine(Proc, "irq", irq.ToString(), "smp_affinity_list"), affinity + "\n");
        if (effective != null) Write(Path.Combine(Proc, "irq", irq.ToString(), "effective_affinity_list"), effective + "\n");
    }

    [Fact]
    public void Mlx5_queues_on_one_cpu_and_rps_to_one_cpu_are_flagged_and_spread_irqs_are_not()
    {
        // ens3: mlx5 names its vectors after the PCI address only: found through msi_irqs and "@pci:".
        Device("ens3", "pci0000:00/0000:03:00.0", ["0", "0", "0"], ["1", "2", "4"]);
        Msi("pci0000:00/0000:03:00.0", 98, 99, 100, 101);
        foreach (var i in new[] { 99, 100, 101 }) Irq(i, "0", "0");
        Irq(98, "0-3", "0");
        // eth1: vectors named after the interface, spread over CPUs.
        Device("eth1", "pci0000:00/0000:04:00.0", ["0", "0"], ["", ""]);
        Irq(120, "0-3", "1");
        Irq(121, "0-3", "3");
        // veth1: virtual, RPS sends everything to CPU 1 (the lab's setup).
        Device("veth1", null, ["2"], ["0"]);
        Device("lo", null, ["0"], ["0"]);
        Device("vxl2", null, ["2", "0"], ["0", "0"]);                 // RPS on one of two queues only
        Write(Path.Combine(Sys, "class", "net", "bonding_masters"), "\n");

        var table = ProcInterrupts.Parse(Data("interrupts-mlx5-4cpu-cpu2-offline.txt"));
        var devices = new NetDeviceQueueReader(Sys, Proc).ReadAll(table);
        Assert.Equal(["ens3", "eth1", "lo", "veth1", "vxl2"], devices.Select(d => d.Name));

        var ens3 = devices[0];
        Assert.Equal("0000:03:00.0", ens3.BusDevice);
        Assert.Equal(["98", "99", "100", "101"], ens3.Irqs.Select(i => i.Irq));
        Assert.False(ens3.Irqs[0].IsQueue);                      // mlx5_async0
        Assert.Equal([0], ens3.Irqs[1].EffectiveAffinity!);
        Assert.Equal(881234, ens3.Irqs[1].CountsByCpu[0]);
        Assert.Equal(3, ens3.Irqs[3].CountsByCpu[1]);
        Assert.Equal([0, 1, 3], ens3.Irqs[3].CountsByCpu.Keys.Order());   // CPU 2 is offline: no column
        Assert.Equal([[0], [1], [2]], ens3.Tx.Select(q => q.Cpus!.ToArray()));
        Assert.False(ens3.HasRps);

        var eth1 = devices[1];
        Assert.Equal(["120", "121"], eth1.Irqs.Select(i => i.Irq));
        Assert.All(eth1.Tx, q => Assert.Equal("xps_cpus: not present", q.Error));

        var veth = devices[3];
        Assert.True(veth.IsVirtual);
        Assert.Equal([1], veth.Rx[0].Cpus!);

        var check = DoctorRpsIrqCheck.Evaluate(new DoctorRpsIrqCheck.Result(devices, 3), []);
        Assert.Equal(DoctorStatus.Warn, check.Status);
        Assert.Contains("all 3 queue IRQs of ens3 are bound to CPU 0", check.Summary);
        Assert.Contains("RPS steers every received packet of veth1 to CPU 1", check.Summary);
        Assert.Contains("RPS steers every packet of 1 of vxl2's 2 rx queues to CPU 1", check.Summary);
        Assert.Equal(3, check.Summary.Split("; ").Length);          // nothing about eth1, whose IRQs are spread
        Assert.Contains(check.Details, d => d.StartsWith("  IRQ 99 mlx5_comp0@pci:0000:03:00.0: affinity 0, effective 0; count cpu0 881234, other CPUs 0"));
        Assert.Contains(check.Details, d => d == "1 device without IRQs, RPS or XPS: lo");
    }

    [Fact]
    public void Virtio_single_queue_nic_finds_its_vectors_under_the_pci_parent_and_is_only_noted()
    {
        Device("eth0", "pci0000:00/0000:00:03.0/virtio2", ["0"], [""]);
        Msi("pci0000:00/0000:00:03.0", 37, 38, 39);
        Irq(37, "0-1"); Irq(38, "0-1", "1"); Irq(39, "0-1", "0");
        var table = ProcInterrupts.Parse(Data("interrupts-6.18-virtio.txt"));
        var eth0 = new NetDeviceQueueReader(Sys, Proc).Read("eth0", table);
        Assert.Equal("virtio2", eth0.BusDevice);
        Assert.Equal(["37", "38", "39"], eth0.Irqs.Select(i => i.Irq));
        Assert.Equal(["virtio2-config", "virtio2-input.0", "virtio2-output.0"], eth0.Irqs.Select(i => i.Name));
        Assert.Equal([false, true, true], eth0.Irqs.Select(i => i.IsQueue));

        var check = DoctorRpsIrqCheck.Evaluate(new DoctorRpsIrqCheck.Result([eth0], 2), []);
        Assert.Equal(DoctorStatus.Ok, check.Status);
        Assert.Equal("eth0 has 1 rx queue and no RPS: all its receive work runs on CPU 1", check.Summary);
    }

    [Fact]
    public void Missing_sysfs_files_are_reported_not_thrown()
    {
        Directory.CreateDirectory(Path.Combine(Sys, "class", "net", "odd", "queues", "rx-0"));
        Write(Path.Combine(Sys, "class", "net", "odd", "queues", "rx-1", "rps_cpus"), "not-hex\n");
        var d = new NetDeviceQueueReader(Sys, Proc).Read("odd", null);
        Assert.Equal("rps_cpus: not present", d.Rx[0].Error);
        Assert.Equal("rps_cpus: not a CPU mask: 'not-hex'", d.Rx[1].Error);
        Assert.Empty(d.Irqs);
        Assert.Throws<DirectoryNotFoundException>(() => new NetDeviceQueueReader(Path.Combine(root, "none"), Proc).ReadAll(null));
    }

    [Fact]
    public void Cgroup_v1_dying_count_is_num_cgroups_minus_directories_and_memory_stat_is_sampled_from_kubepods()
    {
        var mem = Path.Combine(root, "memory");
        foreach (var d in new[] { "", "kubepods", "kubepods/besteffort", "kubepods/besteffort/pod1", "kubepods/besteffort/pod1/c1", "kubepods/burstable", "user.slice" })
            Write(Path.Combine(mem, d, "memory.stat"), "cache 0\nrss 4096\n");
        var procCgroups = Path.Combine(root, "cgroups");
        Write(procCgroups, "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\nmemory\t4\t57\t1\n");

        var h = new MemcgHierarchy(1, mem);
        var dying = MemcgSurvey.CountDying(h, procCgroups, TimeSpan.FromSeconds(2));
        Assert.Null(dying.Error);
        Assert.Equal(50, dying.Dying);
        Assert.Equal(7, dying.Live);
        Assert.Equal(Path.Combine(mem, "kubepods"), dying.KubepodsPath);

        var all = MemcgSurvey.SampleMemoryStat(h, repeats: 2, maxCgroups: 100, TimeSpan.FromSeconds(2));
        Assert.Equal(Path.Combine(mem, "kubepods"), all.StartedAt);
        Assert.Equal(6, all.Files.Count);                        // the root, then kubepods and its 4 descendants; not user.slice
        Assert.Equal(Path.Combine(mem, "memory.stat"), all.Files[0].Path);
        Assert.All(all.Files, f => { Assert.True(f.Ok); Assert.Equal(2, f.Reads); Assert.Equal(17, f.Bytes); Assert.Equal(2, f.Lines); });
        Assert.True(all.WalkComplete);

        var few = MemcgSurvey.SampleMemoryStat(h, repeats: 1, maxCgroups: 3, TimeSpan.FromSeconds(2));
        Assert.Equal(3, few.Files.Count);
        Assert.False(few.WalkComplete);

        var sub = MemcgSurvey.CountDying(h with { Root = "/kubepods" }, procCgroups, TimeSpan.FromSeconds(2));
        Assert.Null(sub.Dying);
        Assert.Contains("not its root", sub.Error);
        var broken = MemcgSurvey.CountDying(h, Path.Combine(root, "no-such-file"), TimeSpan.FromSeconds(2));
        Assert.Null(broken.Dying);
        Assert.Contains("no-such-file", broken.Error);
    }

    [Fact]
    public void Cgroup_v2_dying_count_prefers_the_memory_subsystem_field()
    {
        var cg = Path.Combine(root, "unified");
        Write(Path.Combine(cg, "cgroup.stat"), "nr_descendants 5\nnr_dying_descendants 7\nnr_dying_subsys_memory 4\n");
        Write(Path.Combine(cg, "kubepods.slice", "cgroup.stat"), "nr_descendants 3\nnr_dying_descendants 3\n");
        var d = MemcgSurvey.CountDying(new MemcgHierarchy(2, cg), "/nonexistent", TimeSpan.FromSeconds(1));
        Assert.Equal(4, d.Dying);
        Assert.Equal(5, d.Live);
        Assert.Equal("cgroup.stat nr_dying_subsys_memory", d.Source);
        Assert.Equal(3, d.KubepodsDying);

        Write(Path.Combine(cg, "cgroup.stat"), "nr_descendants 5\nnr_dying_descendants lots\n");
        var bad = MemcgSurvey.CountDying(new MemcgHierarchy(2, cg), "/nonexistent", TimeSpan.FromSeconds(1));
        Assert.Null(bad.Dying);
        Assert.Contains("cgroup.stat", bad.Error);
    }

    [Fact]
    public void File_timer_counts_bytes_and_lines_and_reports_a_missing_file()
    {
        var f = Path.Combine(root, "table");
        Write(f, string.Concat(Enumerable.Range(0, 10_000).Select(i => $"route {i}\n")));
        var t = KernelFileTimer.Time(f, 3, TimeSpan.FromSeconds(5));
        Assert.True(t.Ok);
        Assert.Equal(3, t.Reads);
        Assert.Equal(10_000, t.Lines);
        Assert.Equal(new FileInfo(f).Length, t.Bytes);
        Assert.InRange(t.LongestCallMs, 0, t.MaxMs);
        Assert.InRange(t.MedianMs, 0, t.MaxMs);

        var missing = KernelFileTimer.Time(Path.Combine(root, "gone"), 3, TimeSpan.FromSeconds(1), "/proc/net/gone");
        Assert.False(missing.Ok);
        Assert.Equal("/proc/net/gone", missing.Path);
        Assert.Equal("not present", missing.Error);
    }
}
