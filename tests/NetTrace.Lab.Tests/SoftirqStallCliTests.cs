using NetTrace.Cli.Commands;
using NetTrace.Lab.SoftirqStall;
using Xunit;

namespace NetTrace.Lab.Tests;

public class SoftirqStallCliTests
{
    [Fact]
    public async Task Help_explains_the_lab_and_how_it_maps_to_the_incident()
    {
        var output = new StringWriter();
        var code = await NetTrace.Cli.Program.BuildRoot().Parse(["lab", "softirq-stall", "--help"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        var help = output.ToString();
        Assert.Contains("RPS", help);
        Assert.Contains("RSS", help);
        Assert.Contains("memory.stat", help);
        Assert.Contains("zombie", help);
        Assert.Contains("--trace", help);
        Assert.Contains("Examples:", help);
    }

    [Theory]
    [InlineData(0, 200_000, 1, 0, "--stalls")]
    [InlineData(3, 10, 1, 0, "--routes")]
    [InlineData(3, 200_000, 0, 0, "must differ")]
    [InlineData(3, 200_000, 999, 0, "CPUs of this machine")]
    public async Task Bad_options_are_usage_errors(int stalls, int routes, int cpu, int sender, string message)
    {
        var err = new StringWriter();
        var h = new LabSoftirqStallHandler(new LabSoftirqStallOptions(new SoftirqStallOptions(stalls, routes, StallCpu: cpu, SenderCpu: sender), false),
            new StringWriter(), err);
        var code = await h.RunAsync(TestContext.Current.CancellationToken);
        if (NetTrace.TestSupport.Privileged.OptedOut && code == NetTrace.Cli.Program.ExitFailed) return;   // not root: refused earlier
        Assert.Equal(NetTrace.Cli.Program.ExitUsage, code);
        Assert.Contains(message, err.ToString());
    }
}
