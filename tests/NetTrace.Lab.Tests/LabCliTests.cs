using System.Text.Json;
using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

public class LabCliTests
{
    [Fact]
    public async Task Help_explains_how_the_race_is_made_and_why_it_is_the_real_one()
    {
        var output = new StringWriter();
        var code = await NetTrace.Cli.Program.BuildRoot().Parse(["lab", "snat-race", "--help"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        var help = output.ToString();
        Assert.Contains("SAME source port", help);
        Assert.Contains("insert_failed", help);
        Assert.Contains("--random-fully", help);
        Assert.Contains("Examples:", help);
    }

    [Fact]
    public async Task Bad_rounds_is_a_usage_error()
    {
        var err = new StringWriter();
        var h = new LabSnatRaceHandler(new LabSnatRaceOptions(new SnatRaceOptions(Rounds: 0), false), new StringWriter(), err);
        Assert.Equal(NetTrace.Cli.Program.ExitUsage, await h.RunAsync(TestContext.Current.CancellationToken));
        Assert.Contains("--rounds", err.ToString());
    }
}

/// <summary>Shares the lab collection with <see cref="SnatRaceLabTests"/> so two labs never race at once.</summary>
[Collection("snat-race-lab")]
public class LabCliPrivilegedTests
{
    [Fact]
    public async Task Json_output_reports_connects_and_counters()
    {
        Privileged.Require("root (network namespaces, iptables NAT)");
        var stdout = new StringWriter();
        var h = new LabSnatRaceHandler(new LabSnatRaceOptions(new SnatRaceOptions(Rounds: 100), Json: true), stdout, new StringWriter());
        var code = await h.RunAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout.ToString());
        var root = doc.RootElement;
        Assert.Equal(200, root.GetProperty("connects").GetInt32());
        var slow = root.GetProperty("slowConnects").GetInt32();
        Assert.Equal(slow, root.GetProperty("conntrack").GetProperty("insertFailed").GetInt64());
        Assert.Equal(slow, root.GetProperty("slow").GetArrayLength());
        Assert.True(root.GetProperty("countsMatch").GetBoolean());
        if (slow > 0) Assert.Equal("snat-port-race", root.GetProperty("finding").GetProperty("kind").GetString());
    }
}
