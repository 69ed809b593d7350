using System.Text.Json;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.Events;
using NetTrace.Tracer.Tests.Trace;
using NetTrace.Tracer.Trace;
using NetTrace.Tracer.Trace.LiveView;
using Xunit;
using static NetTrace.Tracer.Tests.Stalls.StallEvents;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>`nettrace trace` with stall events: JSON lines carry the holder and the packets, the recording analyses
/// into the same stall windows and findings (`nettrace analyze FILE.ntrace`), the live view names the holder.</summary>
public sealed class StallOutputTests
{
    private static readonly TraceEvent[] Script =
    [
        Watch(0, 1),
        Delay(1, 130, 30),
        Packet(1, 130.2, 29, IpProtocol.Icmp, sport: 77, dport: 5),
        Packet(1, 130.4, 12, IpProtocol.Tcp, sport: 40000, dport: 8080),
        Gap(0, 900, 25), Gap(1, 902, 24),
    ];

    [Fact]
    public async Task Trace_json_lines_and_recording_carry_the_stall_and_analyze_finds_it()
    {
        var dir = Directory.CreateTempSubdirectory("nt-stall-");
        try
        {
            var path = Path.Combine(dir.FullName, "stall.ntrace");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var handler = new TraceHandler(new TraceOptions { Duration = "1500ms", Json = true, Output = path, NoMetadata = true, View = "none", StallThreshold = "5ms" },
                stdout, stderr, sourceFactory: request =>
                {
                    Assert.Equal(TimeSpan.FromMilliseconds(5), request.RxLatencyThreshold);
                    return new ScriptedSource(Script);
                });
            Assert.Equal(Program.ExitOk, await handler.RunAsync(CancellationToken.None));

            var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var stall = lines.Single(j => j.GetProperty("type").GetString() == "softirq_stall");
            Assert.Equal(1, stall.GetProperty("cpu").GetInt32());
            Assert.Equal("ip", stall.GetProperty("raise_comm").GetString());
            Assert.Equal(4242, stall.GetProperty("raise_pid").GetInt32());
            Assert.Equal(30_000, stall.GetProperty("raise_to_entry_us").GetDouble(), 1);
            var packets = lines.Where(j => j.GetProperty("type").GetString() == "rx_latency").ToList();
            Assert.Equal(2, packets.Count);
            Assert.Equal("icmp", packets[0].GetProperty("proto").GetString());
            Assert.Equal(77, packets[0].GetProperty("id").GetInt32());
            Assert.Equal("10.1.0.1:40000", packets[1].GetProperty("src").GetString());
            Assert.Equal(12_000, packets[1].GetProperty("latency_us").GetDouble(), 1);
            Assert.Equal(2, lines.Count(j => j.GetProperty("type").GetString() == "cpu_gap"));
            Assert.Equal([0, 1], lines.Single(j => j.GetProperty("type").GetString() == "cpu_gap_watch").GetProperty("cpus").EnumerateArray().Select(c => c.GetInt32()));

            var result = CaptureAnalyzer.Analyze([path], new AnalyzeSettings(), null, CancellationToken.None);
            Assert.NotNull(result.Stalls);
            var windows = result.Stalls!.Stalls;
            Assert.Equal(2, windows.Count);
            var w = windows[0];
            Assert.Equal((1, StallScope.OneCpu, "ip (pid 4242)", 2, 1, 1), (w.Cpu, w.Scope, w.HeldBy, w.PacketsDelayed, w.IcmpDelayed, w.TcpDelayed));
            Assert.Equal(StallScope.AllCpus, windows[1].Scope);
            Assert.Contains(result.Findings, f => f.Kind == "softirq-stall" && f.Title.StartsWith("NET_RX held off on cpu1: 1 stall(s), max 30.0 ms"));
            Assert.Contains(result.Findings, f => f.Kind == "vm-pause");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_live_view_names_the_holder_and_the_slowest_packet_per_cpu()
    {
        var stats = new TraceStats();
        foreach (var e in Script) stats.Add(e);
        var s = stats.Snapshot();
        Assert.Equal(2UL, s.RxSlowPackets);
        Assert.Equal(29, s.RxMaxLatencyMsByCpu![1], 3);
        Assert.Equal(2UL, s.CpuGaps);
        var stall = Assert.Single(s.RecentStalls!);
        Assert.EndsWith("softirq NET_RX cpu1 waited 30.000 ms, held by ip[4242], ran in softirq-in-task ip[4242]", stall);
        var table = string.Join('\n', new TerminalTableView(TextWriter.Null).Render(s, null));
        Assert.Contains("rx path", table);
        Assert.Contains("held by ip[4242]", table);
        Assert.Contains("cpu gaps", table);
    }

    [Fact]
    public async Task A_bad_stall_threshold_is_a_usage_error()
    {
        var stderr = new StringWriter();
        var handler = new TraceHandler(new TraceOptions { StallThreshold = "fast", NoMetadata = true }, new StringWriter(), stderr,
            sourceFactory: _ => throw new InvalidOperationException("must not start"));
        Assert.Equal(Program.ExitUsage, await handler.RunAsync(CancellationToken.None));
        Assert.Contains("fast", stderr.ToString());
    }

    [Fact]
    public async Task Trace_help_shows_the_stall_example_and_option()
    {
        var output = new StringWriter();
        var code = await Program.BuildRoot().Parse(["trace", "--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.Equal(0, code);
        Assert.Contains("--stall-threshold", output.ToString());
        Assert.Contains("--probes softirq,rx-latency,cpu-gaps", output.ToString());
    }
}
