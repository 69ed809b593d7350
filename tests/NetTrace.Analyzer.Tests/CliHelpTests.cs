using NetTrace.Cli;
using Xunit;

namespace NetTrace.Analyzer.Tests;

public class CliHelpTests
{
    [Fact]
    public async Task Root_help_exits_zero_and_names_the_tool()
    {
        var output = new StringWriter();
        var config = new System.CommandLine.InvocationConfiguration { Output = output };
        var code = await Program.BuildRoot().Parse(["--help"]).InvokeAsync(config);
        Assert.Equal(0, code);
        Assert.Contains("nettrace", output.ToString());
    }
}
