using NetTrace.Tracer.Node;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The node-inspection parsers (softnet_stat, /proc/interrupts, CPU masks, cgroup files) on fixture text.</summary>
public class DoctorNodeParserTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", name));

    [Fact]
    public void Softnet_6_18_has_15_columns_and_prints_the_cpu_number()
    {
        var rows = SoftnetStat.Parse(Data("softnet_stat-6.18-vm.txt"));
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(15, r.Columns));
        Assert.Equal([0, 1], rows.Select(r => r.Cpu!.Value));
        Assert.Equal(0x0377d84c, rows[0].Processed);
        Assert.Equal(0x10, rows[1].TimeSqueeze);
        Assert.Equal(0, rows[1].Dropped);
        Assert.Equal(0, rows[1].BacklogLength);
    }

    [Fact]
    public void Softnet_5_10_rows_skip_an_offline_cpu_and_are_keyed_by_the_printed_number()
    {
        var rows = SoftnetStat.Parse(Data("softnet_stat-5.10-cpu1-offline.txt"));
        Assert.Equal([0, 2, 3], rows.Select(r => r.CpuOrRow));
        Assert.Equal(5, rows[1].Dropped);
        Assert.Equal(0x20, rows[1].ReceivedRps);
        Assert.Equal(1, rows[1].FlowLimitCount);
        Assert.Equal(4, rows[1].BacklogLength);
    }

    [Fact]
    public void Softnet_4_19_has_flow_limit_but_no_cpu_number_and_3_10_lacks_flow_limit()
    {
        var rows = SoftnetStat.Parse(Data("softnet_stat-4.19.txt"));
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Null(r.Cpu));
        Assert.Equal([0, 1, 2], rows.Select(r => r.CpuOrRow));
        Assert.Equal(0x2c, rows[1].Dropped);
        Assert.Equal(1000, rows[1].ReceivedRps);
        Assert.Equal(2, rows[1].FlowLimitCount);
        Assert.Null(rows[1].BacklogLength);

        var old = SoftnetStat.Parse(Data("softnet_stat-3.10.txt"));
        Assert.Equal(10, old[0].Columns);
        Assert.Null(old[1].FlowLimitCount);
        Assert.Equal(5, old[1].ReceivedRps);
    }

    [Fact]
    public void Softnet_damaged_text_names_the_line_and_column()
    {
        var e = Assert.Throws<FormatException>(() => SoftnetStat.Parse("0001 0002 0003\n"));
        Assert.Contains("line 1 has 3 columns", e.Message);
        e = Assert.Throws<FormatException>(() => SoftnetStat.Parse(Data("softnet_stat-4.19.txt") + "0000000g 0 0 0 0 0 0 0 0 0 0\n"));
        Assert.Contains("line 4 column 1 is not hex", e.Message);
    }

    [Fact]
    public void Softnet_delta_matches_cpus_by_number_and_undoes_a_32_bit_wrap()
    {
        var before = SoftnetStat.Parse("fffffff0 00000001 00000002 0 0 0 0 0 0 0 0 0 00000000\n00000010 0 0 0 0 0 0 0 0 0 0 0 00000002\n");
        var after = SoftnetStat.Parse("00000010 00000004 00000002 0 0 0 0 0 0 0 0 0 00000000\n00000011 0 0 0 0 0 0 0 0 0 0 0 00000002\n");
        var d = SoftnetStat.Delta(before, after);
        Assert.Equal([0, 2], d.Select(x => x.Cpu));
        Assert.Equal(0x20, d[0].Processed);          // wrapped from 0xfffffff0 to 0x10
        Assert.Equal(3, d[0].Dropped);
        Assert.Equal(0, d[0].TimeSqueeze);
        Assert.Equal(1, d[1].Processed);
    }

    [Fact]
    public void Interrupts_of_a_virtio_vm_parse_per_cpu_with_descriptions()
    {
        var t = ProcInterrupts.Parse(Data("interrupts-6.18-virtio.txt"));
        Assert.Equal([0, 1], t.Cpus);
        var input = t.Lines.Single(l => l.Description.EndsWith("virtio2-input.0"));
        Assert.Equal("38", input.Irq);
        Assert.Equal(2, input.Counts.Count);
        Assert.Contains("virtio2-input.0", input.Words);
        var err = t.Lines.Single(l => l.Irq == "ERR");
        Assert.Single(err.Counts);
        Assert.False(err.IsNumbered);
        Assert.Equal("Local timer interrupts", t.Lines.Single(l => l.Irq == "LOC").Description);
    }

    [Fact]
    public void Interrupts_header_with_an_offline_cpu_keeps_the_cpu_numbers()
    {
        var t = ProcInterrupts.Parse(Data("interrupts-mlx5-4cpu-cpu2-offline.txt"));
        Assert.Equal([0, 1, 3], t.Cpus);
        var comp2 = t.Lines.Single(l => l.Irq == "101");
        Assert.Equal([877001L, 3, 0], comp2.Counts);
        Assert.Equal(["i8042", "serio"], t.Lines.Single(l => l.Irq == "12").Words.TakeLast(2));
        Assert.Throws<FormatException>(() => ProcInterrupts.Parse("garbage header\n 1: 2 3\n"));
    }

    [Theory]
    [InlineData("0", "none")]
    [InlineData("2", "1")]
    [InlineData("f", "0-3")]
    [InlineData("00000000,00000001", "0")]
    [InlineData("00000001,00000000", "32")]
    [InlineData("a5", "0,2,5,7")]
    public void Cpu_masks_parse(string mask, string list) => Assert.Equal(list, CpuSet.Format(CpuSet.ParseMask(mask)!));

    [Fact]
    public void Cpu_lists_parse_and_bad_text_is_null()
    {
        Assert.Equal([0, 1, 2, 3, 8, 10, 11], CpuSet.ParseList("0-3,8,10-11\n")!);
        Assert.Empty(CpuSet.ParseList("\n")!);
        Assert.Null(CpuSet.ParseList("3-1"));
        Assert.Null(CpuSet.ParseList("x"));
        Assert.Null(CpuSet.ParseMask("zz"));
    }

    [Fact]
    public void Cgroup_stat_and_proc_cgroups_parse()
    {
        var s = CgroupFiles.ParseCgroupStat("nr_descendants 12\nnr_dying_descendants 3401\nnr_dying_subsys_memory 3390\n");
        Assert.Equal(3401, s["nr_dying_descendants"]);
        Assert.Equal(3390, s["nr_dying_subsys_memory"]);
        Assert.Throws<FormatException>(() => CgroupFiles.ParseCgroupStat("nr_descendants twelve\n"));

        var rows = CgroupFiles.ParseProcCgroups(
            "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\nmemory\t4\t243\t1\nhugetlb\t0\t1\t0\n");
        Assert.Equal(3, rows.Count);
        var mem = rows.Single(r => r.Subsystem == "memory");
        Assert.Equal(243, mem.NumCgroups);
        Assert.True(mem.Enabled);
        Assert.False(rows[2].Enabled);
        Assert.Throws<FormatException>(() => CgroupFiles.ParseProcCgroups("memory 4\n"));
    }

    [Fact]
    public void Mountinfo_finds_v1_memory_and_v2_only_with_memory_controller()
    {
        const string mountinfo =
            "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n" +
            "34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
            "35 30 0:31 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
            "36 30 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n" +
            "37 30 0:33 /kubepods /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n";
        var found = CgroupFiles.FindMemoryHierarchies(mountinfo, mp => mp == "/mnt/my cg");
        Assert.Equal(2, found.Count);
        Assert.Equal(new MemcgHierarchy(1, "/sys/fs/cgroup/memory", "/"), found[0]);
        Assert.Equal(new MemcgHierarchy(2, "/mnt/my cg", "/kubepods"), found[1]);
    }
}
