using NetTrace.Tracer.Conntrack;
using Xunit;

namespace NetTrace.Lab.Tests;

public class ConntrackStatsTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", name));

    [Fact]
    public void Sums_hex_per_cpu_columns_by_name_on_6_18()
    {
        // Recorded inside the lab's node namespace in the middle of a race.
        var s = ConntrackStats.Parse(Data("nf_conntrack-6.18-race.txt"));
        Assert.Equal(2, s.Cpus);
        Assert.Equal(0x5dc + 0x53d, s.InsertFailed);
        Assert.Equal(1500 + 1341, s.Drop);
        Assert.Equal(0x24c4 + 0x1fe9, s.Get("found"));
        Assert.Equal(0, s.ClashResolve);
        Assert.True(s.Has("clashres"));
        Assert.Equal(0x209c, s.Count);                 // entries is global: taken once, not summed
        Assert.False(s.Has("entries"));
    }

    [Fact]
    public void Reads_an_older_kernel_layout_without_clashres()
    {
        var s = ConntrackStats.Parse(Data("nf_conntrack-4.19-old.txt"));
        Assert.Equal(4, s.Cpus);
        Assert.Equal(4, s.InsertFailed);
        Assert.Equal(4, s.Drop);
        Assert.Equal(2, s.EarlyDrop);
        Assert.Equal(4, s.Invalid);
        Assert.False(s.Has("clashres"));
        Assert.Equal(0, s.ClashResolve);
        Assert.Equal(5, s.Get("search_restart"));
    }

    [Fact]
    public void Delta_subtracts_per_counter()
    {
        var before = ConntrackStats.Parse(Data("nf_conntrack-4.19-old.txt"));
        var after = ConntrackStats.Parse(Data("nf_conntrack-6.18-race.txt"));
        var d = after.Since(before);
        Assert.Equal(2841 - 4, d.InsertFailed);
        Assert.Equal(-2, d.EarlyDrop);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("entries insert_failed\n", "without any CPU row")]
    [InlineData("entries insert_failed\n00000001 zz\n", "not hexadecimal")]
    [InlineData("entries insert_failed drop\n00000001 00000002\n", "has 2 columns, the header 3")]
    [InlineData("00000001 00000002\n", "not a header")]
    public void Bad_input_names_the_problem(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ConntrackStats.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Reads_the_callers_namespace_from_a_dedicated_thread()
    {
        TestSupport.Privileged.Require("root (reads /proc/net/stat/nf_conntrack and nf_conntrack_max)");
        var s = ConntrackStats.Read();
        Assert.True(s.Cpus >= 1);
        Assert.True(s.Max > 0);
        Assert.True(s.Has("insert_failed"));
    }
}
