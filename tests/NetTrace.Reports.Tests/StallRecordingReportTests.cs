using System.Net;
using System.Text.RegularExpressions;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.Events;
using NetTrace.Events.Recording;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>
/// `nettrace report FILE.ntrace` on a recording with live stall events (as `nettrace trace --probes softirq,rx-latency,cpu-gaps`
/// writes them): the analyzer's live stall detector fills the stall analysis, the report draws it, and a hostile task
/// name from the kernel stays text.
/// </summary>
public class StallRecordingReportTests : IDisposable
{
    private const ulong T0 = 1_790_000_000_000_000_000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ntstallrec");
    public void Dispose() => _dir.Delete(true);

    private static ulong At(double ms) => T0 + (ulong)(ms * 1e6);

    private static TraceEvent Watch(params uint[] cpus)
    {
        var w = new CpuGapWatch { PeriodNs = 2_000_000, ThresholdNs = 5_000_000 };
        w.Cpus.Add(cpus);
        return new TraceEvent { CpuGapWatch = w };
    }

    private static TraceEvent DelayHistogram(int cpu, double startMs, double endMs, double maxMs)
    {
        var h = new SoftirqHistogram
        {
            Cpu = (uint)cpu, Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RaiseToEntry, MaxNs = (ulong)(maxMs * 1e6),
            IntervalStartUnixNs = At(startMs), IntervalEndUnixNs = At(endMs),
        };
        h.Buckets.Add([900, 40, 2]);
        return new TraceEvent { SoftirqHistogram = h };
    }

    /// <summary>NET_RX raised on <paramref name="cpu"/> while <paramref name="holder"/> ran, entered <paramref name="delayMs"/> later in its context.</summary>
    private static TraceEvent Delay(int cpu, double entryMs, double delayMs, string holder) => new()
    {
        SoftirqStall = new SoftirqStallEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(entryMs), Comm = holder, Pid = 4242 },
            Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RaiseToEntry, RaiseToEntryNs = (ulong)(delayMs * 1e6),
            Context = ExecContext.SoftirqInTask, RaiseComm = holder, RaisePid = 4242, RaiseKtimeNs = (ulong)((entryMs - delayMs) * 1e6),
            ThresholdNs = 2_000_000,
        },
    };

    private static TraceEvent Packet(int cpu, double receivedMs, double latencyMs, IpProtocol proto, int sport, int dport, string holder) => new()
    {
        RxLatency = new RxLatencyEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(receivedMs), Comm = holder, Pid = 4242 },
            Tuple = EventAddresses.MakeTuple(IPAddress.Parse("10.1.0.1"), sport, IPAddress.Parse("10.1.0.2"), dport, proto),
            LatencyNs = (ulong)(latencyMs * 1e6), QueuedCpu = 0, QueuedAt = RxQueuedAt.NetifRx, Context = ExecContext.SoftirqInTask,
            ContextTask = $"{holder}[4242]", ThresholdNs = 2_000_000,
        },
    };

    private static TraceEvent Gap(int cpu, double endMs, double gapMs) => new()
    {
        CpuGap = new CpuGapEvent { Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(endMs), Comm = "swapper/" + cpu }, GapNs = (ulong)(gapMs * 1e6), PeriodNs = 2_000_000 },
    };

    [Fact]
    public void Recording_with_softirq_stalls_is_reported_with_heatmap_holder_and_vm_pause()
    {
        string hostile = TestModels.ScriptPayload[..15];   // a comm is at most 15 bytes: "<script>documen"
        var path = Path.Combine(_dir.FullName, "stalls.ntrace");
        using (var w = RecordingWriter.Create(path))
        {
            w.Write(new TraceEvent { Header = new SessionHeader { Host = "node-a", Kernel = "6.18", ToolVersion = "test", StartTimeUnixNs = At(0) } });
            w.Write(Watch(0, 1));
            for (int i = 0; i < 10; i++)
                foreach (int cpu in new[] { 0, 1 })
                    w.Write(DelayHistogram(cpu, i * 1000, (i + 1) * 1000, cpu == 1 && i == 3 ? 80 : 0.02));
            w.Write(Delay(1, 3130, 80, hostile));
            w.Write(Packet(1, 3130.2, 79, IpProtocol.Icmp, 77, 5, hostile));
            w.Write(Packet(1, 3130.4, 60, IpProtocol.Tcp, 40000, 8080, hostile));
            w.Write(Gap(0, 7900, 25));
            w.Write(Gap(1, 7902, 24));
            w.Write(new TraceEvent { End = new SessionEnd { EndTimeUnixNs = At(10_000), EventsWritten = 27, Reason = "duration" } });
        }
        var html = Path.Combine(_dir.FullName, "stalls.html");
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = ReportHandler.Run(new ReportOptions { Inputs = [path], Output = html, Quiet = true }, o, e, TestContext.Current.CancellationToken);
        var problems = NetTrace.Analyzer.CaptureAnalyzer.Analyze([path], NetTrace.Analyzer.AnalyzeSettings.Default, null, TestContext.Current.CancellationToken).Problems;
        Assert.True(code == Program.ExitOk, $"exit {code}: {string.Join("; ", problems.Select(p => p.Message))}");

        var text = File.ReadAllText(html);
        int a = text.IndexOf("<section id=\"stalls\">", StringComparison.Ordinal);
        Assert.True(a > 0, "no stall section");
        var s = text[a..text.IndexOf("</section>", a, StringComparison.Ordinal)];
        Assert.Contains("Only live eBPF data", s);
        Assert.Equal(["0", "1"], Regex.Matches(s, "<g data-cpu=\"([0-9]+)\">").Select(m => m.Groups[1].Value));
        Assert.Contains("data-ms=\"80\"", s);                         // the stalled second on CPU 1 is the dark cell
        Assert.Contains("<td>all CPUs (VM pause)</td>", s);
        Assert.Contains("<td>CPU 1</td><td>one CPU</td>", s);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;documen (pid 4242)", s);
        Assert.Contains("softirq-stall", text);
        // Both live findings (the one-CPU stall and the VM pause) point the reader to the section.
        var findings = text[text.IndexOf("<section id=\"findings\">", StringComparison.Ordinal)..a];
        Assert.Contains("<td class=\"mono\">vm-pause</td>", findings);
        Assert.Equal(2, Regex.Matches(findings, "<a href=\"#stalls\">").Count);
    }
}
