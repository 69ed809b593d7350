using System.Text.Json;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using Xunit;

namespace NetTrace.Bench.Tests;

/// <summary>`nettrace demo` analyzes the embedded samples/demo.pcapng and says where it came from.</summary>
public class DemoCommandTests
{
    private static string ShippedSample => Path.Combine(NetTrace.TestSupport.RepoRoot.Path, "samples", "demo.pcapng");

    [Fact]
    public void Demo_prints_the_summary_of_the_embedded_sample_and_its_provenance()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DemoHandler.Run(new DemoOptions { Quiet = true }, stdout, stderr, TestContext.Current.CancellationToken);
        string text = stdout.ToString();
        Assert.True(code == Program.ExitOk, $"exit {code}; stderr: {stderr}");
        Assert.Contains("synthetic capture made by the project's own generator", text);
        Assert.Contains("bench/NetTrace.CaptureGen", text);
        Assert.Contains("nettrace analyze", text);
        Assert.True(text.Length > DemoHandler.Provenance.Length + 400, "the analysis summary follows the provenance");
    }

    [Fact]
    public void Demo_json_is_the_analysis_of_the_shipped_file_and_the_temp_copy_is_removed()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DemoHandler.Run(new DemoOptions { Json = true }, stdout, stderr, TestContext.Current.CancellationToken);
        Assert.True(code == Program.ExitOk, $"exit {code}; stderr: {stderr}");
        Assert.Contains("synthetic capture", stderr.ToString());

        using var doc = JsonDocument.Parse(stdout.ToString()); // stdout is only the JSON document
        var summary = doc.RootElement.GetProperty("summary");
        var shipped = ReadBack.Read(ShippedSample);
        Assert.Equal(shipped.Frames, summary.GetProperty("frames").GetInt64());
        Assert.Equal(shipped.Connections.Count, summary.GetProperty("tcpStreams").GetInt64());
        Assert.Equal(shipped.Connections.Values.Sum(c => c.SynTimes.Count - 1), summary.GetProperty("synRetransmits").GetInt64());
        Assert.Equal(shipped.Syn, summary.GetProperty("syn").GetInt64());

        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"nettrace-demo-{Environment.ProcessId}-*"));
    }

    [Fact]
    public void The_embedded_sample_is_byte_for_byte_the_shipped_file()
    {
        var extracted = DemoHandler.ExtractSample();
        try { Assert.Equal(File.ReadAllBytes(ShippedSample), File.ReadAllBytes(extracted)); }
        finally { File.Delete(extracted); }
    }

    [Fact]
    public async Task Demo_is_registered_and_its_help_has_examples()
    {
        var output = new StringWriter();
        var config = new System.CommandLine.InvocationConfiguration { Output = output };
        int code = await Program.BuildRoot().Parse(["demo", "--help"]).InvokeAsync(config, TestContext.Current.CancellationToken);
        Assert.Equal(0, code);
        Assert.Contains("nettrace demo --json", output.ToString());
    }
}
